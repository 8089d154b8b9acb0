"""Staff-only reads: the queue as the counters and stations see it, and finding a ticket."""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.wrappers import Response

from .. import domain
from ..auth import require_actor
from ..extensions import db
from .blueprint import bp
from .serialize import ticket_json


def _office_for_staff(slug: str):
    return domain.office_for(db.session, require_actor(), slug, "staff_view")


@bp.get("/offices/<office>/queue")
def staff_queue(office: str) -> Response:
    found = _office_for_staff(office)
    return jsonify(domain.staff_view(db.session, found, domain.utcnow()))


@bp.get("/offices/<office>/tickets/find")
def find(office: str) -> Response:
    found = _office_for_staff(office)
    now = domain.utcnow()
    tickets = domain.find_tickets(
        db.session, found, request.args.get("q", ""), domain.local_day(now, found.timezone)
    )
    return jsonify([ticket_json(t, *domain.estimate(db.session, t, now)) for t in tickets])
