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
def services(slug: str) -> Response:
    office = domain.office_by_slug(db.session, slug)
    return jsonify(services_json(db.session, office, domain.utcnow()))


@bp.get("/offices/<office>/counters")
def counters(slug: str) -> Response:
    office = domain.office_by_slug(db.session, slug)
    return jsonify([counter_json(c) for c in office.counters])


@bp.get("/offices/<office>/printers")
def printers(slug: str) -> Response:
    office = domain.office_for(db.session, require_actor(), slug, "staff_view")
    return jsonify(printer_states(db.session, office.id))


@bp.get("/offices/<office>/board")
def board(slug: str) -> Response:
    office = domain.office_by_slug(db.session, slug)
    return jsonify(cached_board(db.session, office, domain.utcnow()))


@bp.get("/track/<token>")
def track(token: str) -> Response:
    ticket = domain.ticket_by_token(db.session, token)
    return jsonify(domain.track(db.session, ticket, domain.utcnow()))
