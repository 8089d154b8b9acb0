"""Administration: ``/admin`` — the live dashboard, settings, users and devices, printers,
reports, the satisfaction survey and the audit trail. An administrator without an office
manages every office; one with an office manages only that one. Every change is recorded in the
audit trail."""

from __future__ import annotations

from . import (  # noqa: F401 - the view modules register on bp
    bookings,
    dashboard,
    devices,
    filters,
    offices,
    printers,
    reports,
    setup,
    survey,
    trail,
    users,
)
from .blueprint import bp

__all__ = ["bp"]
