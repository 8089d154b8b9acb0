"""The blueprint of the JSON API under ``/api/v1``; the route modules register on it."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
