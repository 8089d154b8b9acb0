"""The office report, as JSON or as CSV."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import domain
from ..auth import require_actor
from ..csvsafe import render
from ..domain.reports import parse_day, report
from ..errors import ApiError
from ..extensions import db
from .blueprint import bp
from .openapi import CSV_TABLES

CSV_COLUMNS = (
    "code",
    "name",
    "issued",
    "served",
    "no_show",
    "cancelled",
    "wait_avg_s",
    "wait_median_s",
    "wait_p90_s",
    "service_avg_s",
    "no_show_rate",
)
THROUGHPUT = ("served", "no_show", "no_show_rate", "service_avg_s")


def csv_rows(data: dict[str, Any], table: str) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of one table of the report ``data``."""
    if table == "services":
        return list(CSV_COLUMNS), [[row[c] for c in CSV_COLUMNS] for row in data["services"]]
    if table == "days":
        codes = [row["code"] for row in data["services"]]
        return ["day", *codes, "issued"], [
            [d["day"], *(d["services"].get(c, 0) for c in codes), d["issued"]] for d in data["days"]
        ]
    if table == "hours":
        return ["hour", "issued"], [[h["hour"], h["issued"]] for h in data["hours"]]
    if table in ("counters", "operators"):
        key = ("number", "name") if table == "counters" else ("username", "name")
        columns = [*key, *THROUGHPUT]
        return columns, [[row[c] for c in columns] for row in data[table]]
    if table == "bookings":
        columns = ["day", "service", "booked", "cancelled", "checked_in", "missed"]
        return columns, [[row[c] for c in columns] for row in data["bookings"]]
    if table == "channels":
        return ["channel", "issued"], [[k, v] for k, v in data["channels"].items()]
    legs = data["pipeline"]
    rows: list[list[Any]] = [
        [name, leg["count"], leg["avg_s"], leg["median_s"], leg["p90_s"]]
        for name, leg in legs.items()
        if name != "not_collected"
    ]
    rows.append(["not_collected", legs["not_collected"], None, None, None])
    return ["leg", "count", "avg_s", "median_s", "p90_s"], rows


@bp.get("/offices/<office>/report")
def office_report(slug: str) -> Response:
    office = domain.office_for(db.session, require_actor(), slug, "report")
    today = domain.local_day(domain.utcnow(), office.timezone)
    day_from = parse_day(request.args.get("from"), "from", today)
    day_to = parse_day(
        request.args.get("to"), "to", day_from if request.args.get("from") else today
    )
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise ApiError(422, "invalid_field", gettext("The parameter format must be json or csv."))
    table = request.args.get("table", "services")
    if table not in CSV_TABLES:
        raise ApiError(
            422,
            "invalid_field",
            gettext("The parameter table must be one of %(names)s.", names=", ".join(CSV_TABLES)),
        )
    data = report(db.session, office, day_from, day_to, domain.utcnow())
    if fmt == "json":
        return jsonify(data)
    header, rows = csv_rows(data, table)
    suffix = "" if table == "services" else f"-{table}"
    filename = f"loket-{office.slug}-{data['from']}-{data['to']}{suffix}.csv"
    return Response(
        render(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
