"""The report page: tables, charts drawn as SVG on the server, CSV links and a printable layout."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from flask import render_template, request
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import queue
from ..auth import staff_page
from ..errors import render_message
from ..extensions import db
from ..queue.errors import InvalidInput
from ..queue.reports import parse_day, report
from . import bp, office_in_scope, offices_in_scope
from .charts import Series, bar_chart, colour_of


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


def charts(data: dict[str, Any], colours: dict[str, str]) -> dict[str, Any]:
    services = data["services"]
    codes = [s["code"] for s in services]
    minutes = gettext("min")
    days = data["days"]
    per_day = (
        bar_chart(
            gettext("Tickets per day"),
            [d["day"][5:] for d in days],
            [
                Series(code, [d["services"].get(code, 0) for d in days], colours[code])
                for code in codes
            ],
            stacked=True,
        )
        if days
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
        return [None if s[key] is None else round(s[key] / 60, 1) for s in services]

    waited = any(s["wait_avg_s"] is not None for s in services)
    waits = (
        bar_chart(
            gettext("Waiting time per service"),
            codes,
            [
                Series(gettext("average"), in_minutes("wait_avg_s"), "#1f6feb"),
                Series(gettext("median"), in_minutes("wait_median_s"), "#0f766e"),
                Series(gettext("90th percentile"), in_minutes("wait_p90_s"), "#d97706"),
            ],
            unit=f" {minutes}",
        )
        if waited
        else None
    )
    served = any(s["service_avg_s"] is not None for s in services)
    service_times = (
        bar_chart(
            gettext("Service time per service (average)"),
            codes,
            [Series(gettext("average"), in_minutes("service_avg_s"), "#7c3aed")],
            unit=f" {minutes}",
        )
        if served
        else None
    )
    return {"per_day": per_day, "hours": hours, "waits": waits, "service_times": service_times}


@bp.get("/<office>/reports")
@staff_page("admin")
def reports(office: str) -> Response | tuple[str, int] | str:
    found = office_in_scope(office)
    today = queue.local_day(queue.utcnow(), found.timezone)
    error = None
    try:
        day_from = parse_day(request.args.get("from"), "from", today)
        day_to = parse_day(
            request.args.get("to"), "to", day_from if request.args.get("from") else today
        )
        data = report(db.session, found, day_from, day_to)
    except InvalidInput as exc:
        error = render_message(exc.template, exc.params)
        day_from = day_to = today
        data = report(db.session, found, today, today)
    colours = {
        s.code: colour_of(i, s.colour)
        for i, s in enumerate(sorted(found.services, key=lambda s: s.code))
    }
    page = render_template(
        "admin/reports.html",
        office=found,
        offices=offices_in_scope(),
        data=data,
        day_from=day_from,
        day_to=day_to,
        presets=presets(today),
        charts=charts(data, colours),
        error=error,
        printed_at=queue.clock.iso(queue.utcnow(), found.timezone),
    )
    return (page, 400) if error else page
