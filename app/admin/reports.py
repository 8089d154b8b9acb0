"""The report page: tables, charts drawn as SVG on the server, CSV links and a printable layout."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from flask import render_template, request
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import domain
from ..auth import staff_page
from ..domain.errors import InvalidInput
from ..domain.reports import FIRST_DAY, LAST_DAY, parse_day, report
from ..errors import render_message
from ..extensions import db
from .blueprint import bp, office_in_scope
from .charts import HALF, Series, bar_chart, colour_of


def presets(today: date) -> list[tuple[str, date, date]]:
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    return [
        (gettext("Today"), today, today),
        (gettext("Yesterday"), today - timedelta(days=1), today - timedelta(days=1)),
        (gettext("Last 7 days"), today - timedelta(days=6), today),
        (
            gettext("This month"),
            month_start,
            month_start.replace(day=calendar.monthrange(today.year, today.month)[1]),
        ),
        (gettext("Last month"), last_month_end.replace(day=1), last_month_end),
        (gettext("This year"), today.replace(month=1, day=1), today.replace(month=12, day=31)),
    ]


MONTHLY_AFTER_DAYS = 62


def periods(data: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The per-day rows, or per-month rows when the range is longer than two months."""
    days = data["days"]
    if (date.fromisoformat(data["to"]) - date.fromisoformat(data["from"])).days < (
        MONTHLY_AFTER_DAYS
    ):
        return days, False
    months: dict[str, dict[str, Any]] = {}
    for d in days:
        month = months.setdefault(d["day"][:7], {"day": d["day"][:7], "issued": 0, "services": {}})
        month["issued"] += d["issued"]
        for code, n in d["services"].items():
            month["services"][code] = month["services"].get(code, 0) + n
    return list(months.values()), True


def charts(data: dict[str, Any], colours: dict[str, str]) -> dict[str, Any]:
    used = [s for s in data["services"] if s["issued"]] or data["services"]
    codes = [s["code"] for s in used]
    minutes = gettext("min")
    rows, monthly = periods(data)
    per_period = (
        bar_chart(
            gettext("Tickets per month") if monthly else gettext("Tickets per day"),
            [r["day"] if monthly else r["day"][5:] for r in rows],
            [
                Series(code, [r["services"].get(code, 0) for r in rows], colours[code])
                for code in codes
            ],
            stacked=True,
        )
        if rows
        else None
    )
    hours = (
        bar_chart(
            gettext("Arrivals per hour"),
            [f"{h['hour']:02d}" for h in data["hours"]],
            [Series(gettext("Tickets"), [h["issued"] for h in data["hours"]], "#1f6feb")],
        )
        if data["hours"]
        else None
    )

    def in_minutes(key: str) -> list[float | None]:
        return [None if s[key] is None else round(s[key] / 60, 1) for s in used]

    waits = (
        bar_chart(
            gettext("Waiting time per service"),
            codes,
            [
                Series(gettext("Average"), in_minutes("wait_avg_s"), "#1f6feb"),
                Series(gettext("Median"), in_minutes("wait_median_s"), "#0f766e"),
                Series(gettext("90th percentile"), in_minutes("wait_p90_s"), "#d97706"),
            ],
            unit=f" {minutes}",
            width=HALF,
        )
        if any(s["wait_avg_s"] is not None for s in used)
        else None
    )
    service_times = (
        bar_chart(
            gettext("Service time per service (average)"),
            codes,
            [Series(gettext("Average"), in_minutes("service_avg_s"), "#7c3aed")],
            unit=f" {minutes}",
            width=HALF,
        )
        if any(s["service_avg_s"] is not None for s in used)
        else None
    )
    return {
        "per_day": per_period,
        "hours": hours,
        "waits": waits,
        "service_times": service_times,
        "periods": rows,
        "monthly": monthly,
    }


@bp.get("/<office>/reports")
@staff_page("admin")
def reports(slug: str) -> Response | tuple[str, int] | str:
    office = office_in_scope(slug)
    today = domain.local_day(domain.utcnow(), office.timezone)
    error = None
    try:
        day_from = parse_day(request.args.get("from"), "from", today)
        day_to = parse_day(
            request.args.get("to"), "to", day_from if request.args.get("from") else today
        )
        data = report(db.session, office, day_from, day_to, domain.utcnow())
    except InvalidInput as exc:
        error = render_message(exc.template, exc.params)
        day_from = day_to = today
        data = report(db.session, office, today, today, domain.utcnow())
    colours = {
        s.code: colour_of(i, s.colour)
        for i, s in enumerate(sorted(office.services, key=lambda s: s.code))
    }
    page = render_template(
        "admin/reports.html",
        office=office,
        data=data,
        day_from=day_from,
        day_to=day_to,
        presets=presets(today),
        charts=charts(data, colours),
        error=error,
        printed_at=domain.clock.iso(domain.utcnow(), office.timezone),
        first_day=FIRST_DAY,
        last_day=LAST_DAY,
    )
    return (page, 400) if error else page
