"""The administration blueprint and what every admin view shares: the offices an administrator
manages, the office switcher on every page, the "saved" confirmation."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g

from .. import domain
from ..extensions import db
from ..models import Office

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


def offices_in_scope() -> list[Office]:
    return domain.offices_of(db.session, g.actor)


def office_in_scope(slug: str) -> Office:
    """The office ``slug`` if this administrator manages it (404 / 403 otherwise)."""
    office = domain.office_by_slug(db.session, slug)
    if not g.actor.covers(office.id):
        abort(403)
    return office


@bp.context_processor
def _office_switcher() -> dict:
    """Every admin page's office switcher: the offices this administrator manages."""
    if getattr(g, "actor", None) is None:  # an error page before anyone was identified
        return {}
    return {"offices": offices_in_scope()}


def saved(message: str) -> None:
    flash(message, "ok")
