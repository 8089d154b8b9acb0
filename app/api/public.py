"""Public read-only routes: offices, services, counters, the board, a ticket's track, the spec."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import queue
from ..auth import require_actor
from ..extensions import db
from ..models import Office
from ..printing import printer_states
from ..queue.snapshots import waiting_counts
from . import bp
from .openapi import spec
from .serialize import counter_json


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(spec())


@bp.get("/offices")
def offices() -> Response:
    rows = db.session.scalars(select(Office).order_by(Office.name)).all()
    return jsonify([{"slug": o.slug, "name": o.name, "timezone": o.timezone} for o in rows])


@bp.get("/offices/<office>/services")
def services(office: str) -> Response:
    found = queue.office_by_slug(db.session, office)
    now = queue.utcnow()
    is_open = queue.open_services(db.session, found, now)
    waiting = waiting_counts(db.session, found.id, queue.local_day(now, found.timezone))
    return jsonify(
        [
            {
                "code": s.code,
                "name": s.name,
                "name_en": s.name_en,
                "colour": s.colour,
                "produces_card": s.produces_card,
                "open": is_open[s.id],
                "active": s.active,
                "daily_quota": s.daily_quota,
                "waiting": waiting.get(s.id, 0),
            }
            for s in found.services
        ]
    )


@bp.get("/offices/<office>/counters")
def counters(office: str) -> Response:
    found = queue.office_by_slug(db.session, office)
    return jsonify([counter_json(c) for c in found.counters])


@bp.get("/offices/<office>/printers")
def printers(office: str) -> Response:
    actor = require_actor()
    queue.require(actor, "staff_view")
    found = queue.office_by_slug(db.session, office)
    queue.require(actor, "staff_view", found.id)
    return jsonify(printer_states(db.session, found.id))


@bp.get("/offices/<office>/board")
def board(office: str) -> Response:
    found = queue.office_by_slug(db.session, office)
    return jsonify(queue.board(db.session, found, queue.utcnow()))


@bp.get("/track/<token>")
def track(token: str) -> Response:
    ticket = queue.ticket_by_token(db.session, token)
    return jsonify(queue.track(db.session, ticket, queue.utcnow()))
