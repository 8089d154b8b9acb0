"""The JSON API under ``/api/v1`` (see ``openapi.py`` and the README)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import moves, public, reports, staff  # noqa: E402,F401 - route modules register on bp
