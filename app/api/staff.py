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
def staff_queue(slug: str) -> Response:
    office = _office_for_staff(slug)
    return jsonify(domain.staff_view(db.session, office, domain.utcnow()))


@bp.get("/offices/<office>/tickets/find")
def find(slug: str) -> Response:
    office = _office_for_staff(slug)
    now = domain.utcnow()
    tickets = domain.find_tickets(
        db.session, office, request.args.get("q", ""), domain.local_day(now, office.timezone)
    )
    return jsonify([ticket_json(t, *domain.estimate(db.session, t, now)) for t in tickets])
