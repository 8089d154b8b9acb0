"""Ticket numbers: consecutive per office, service and office-local day, with no gaps or repeats.

One statement both creates the day's row and increments it, so concurrent requests (threads or
several server processes) each get their own number; the increment is undone with the rest of the
transaction when issuing fails, so a refused ticket leaves no gap.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import DailySequence


def _statement(insert: Any) -> Any:
    table = DailySequence.__table__
    return (
        insert(table)
        .values(last_number=1)
        .on_conflict_do_update(
            index_elements=["office_id", "service_id", "day"],
            set_={"last_number": table.c.last_number + 1},
        )
        .returning(table.c.last_number)
    )


_NEXT = {"postgresql": _statement(postgresql.insert), "sqlite": _statement(sqlite.insert)}


def next_number(session: Session, office_id: int, service_id: int, day: date) -> int:
    """Take the next number for ``service_id`` on ``day`` (1 for the day's first ticket)."""
    stmt = _NEXT[session.get_bind().dialect.name]
    params = {"office_id": office_id, "service_id": service_id, "day": day}
    return session.connection().execute(stmt, params).scalar_one()  # Core: no ORM work


def format_code(service_code: str, number: int) -> str:
    """``A-007``: the service letter, a hyphen and the number padded to three digits."""
    return f"{service_code}-{number:03d}"
