"""The JSON API under ``/api/v1`` (see ``openapi.py`` and the README)."""

# The route modules register on bp.
from . import booking, moves, notify, public, reports, staff, survey  # noqa: F401
from .blueprint import bp

__all__ = ["bp"]
