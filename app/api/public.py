"""Public read-only routes: offices, services, counters, the board, a ticket's track, the spec."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import domain
from ..auth import require_actor
from ..board_cache import cached_board
from ..extensions import db
from ..models import Office
from ..print_jobs import printer_states
from .blueprint import bp
from .openapi import spec
from .serialize import counter_json, services_json


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(spec())


@bp.get("/offices")
def offices() -> Response:
    rows = db.session.scalars(select(Office).order_by(Office.name)).all()
    return jsonify([{"slug": o.slug, "name": o.name, "timezone": o.timezone} for o in rows])


@bp.get("/offices/<office>/services")
def services(office: str) -> Response:
    found = domain.office_by_slug(db.session, office)
    return jsonify(services_json(db.session, found, domain.utcnow()))


@bp.get("/offices/<office>/counters")
def counters(office: str) -> Response:
    found = domain.office_by_slug(db.session, office)
    return jsonify([counter_json(c) for c in found.counters])


@bp.get("/offices/<office>/printers")
def printers(office: str) -> Response:
    found = domain.office_for(db.session, require_actor(), office, "staff_view")
    return jsonify(printer_states(db.session, found.id))


@bp.get("/offices/<office>/board")
def board(office: str) -> Response:
    found = domain.office_by_slug(db.session, office)
    return jsonify(cached_board(db.session, found, domain.utcnow()))


@bp.get("/track/<token>")
def track(token: str) -> Response:
    ticket = domain.ticket_by_token(db.session, token)
    return jsonify(domain.track(db.session, ticket, domain.utcnow()))
