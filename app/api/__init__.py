"""The JSON API under ``/api/v1`` (see ``openapi.py`` and the README)."""

from . import booking, moves, public, reports, staff, survey  # noqa: F401 - route modules register on bp
from .blueprint import bp

__all__ = ["bp"]
