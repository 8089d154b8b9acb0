"""Appending to the ticket's move log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ..models import Ticket, TicketEvent
from .access import Actor

_INSERT = insert(TicketEvent.__table__)


def log_move(
    session: Session,
    ticket: Ticket,
    action: str,
    actor: Actor,
    now: datetime,
    from_status: str | None,
    from_stage: str | None,
    note: str | None = None,
) -> None:
    """Add one row to the append-only log describing ``ticket``'s move to its current state."""
    # A plain INSERT through the connection (no ORM work): the log is written on every move and
    # never read back in the same request; the ticket is flushed already (it has its id).
    session.connection().execute(
        _INSERT,
        {
            "ticket_id": ticket.id,
            "office_id": ticket.office_id,
            "at": now,
            "action": action,
            "from_status": from_status,
            "to_status": ticket.status,
            "from_stage": from_stage,
            "to_stage": ticket.stage,
            "counter_id": ticket.counter_id,
            "service_id": ticket.service_id,
            "user_id": actor.user_id,
            "note": note,
            "remote_addr": actor.remote_addr,
        },
    )
