"""The office report, as JSON or as CSV."""

from __future__ import annotations

import csv
import io

from flask import jsonify, request
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import queue
from ..auth import require_actor
from ..errors import ApiError
from ..extensions import db
from ..queue.reports import parse_day, report
from . import bp

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
)


@bp.get("/offices/<office>/report")
def office_report(office: str) -> Response:
    actor = require_actor()
    queue.require(actor, "report")
    found = queue.office_by_slug(db.session, office)
    queue.require(actor, "report", found.id)
    today = queue.local_day(queue.utcnow(), found.timezone)
    day_from = parse_day(request.args.get("from"), "from", today)
    day_to = parse_day(
        request.args.get("to"), "to", day_from if request.args.get("from") else today
    )
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise ApiError(422, "invalid_field", gettext("The parameter format must be json or csv."))
    data = report(db.session, found, day_from, day_to)
    if fmt == "json":
        return jsonify(data)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in data["services"]:
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    filename = f"loket-{found.slug}-{data['from']}-{data['to']}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
