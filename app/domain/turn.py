"""Taking the office's turn before any write.

Every write first increments the office's change sequence. On PostgreSQL that row lock is held
until commit, so the writes of one office run one after another and always take their locks in
the same order (office, then counter or ticket, then the day's number row): they cannot deadlock,
and ``seq`` follows commit order. On SQLite writes are serialised anyway.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..models import Counter, Office, Ticket
from .access import Actor, require
from .errors import N_, NotFound
from .events import bump_seq
from .lookup import counter_by_id, office_for, ticket_by_id

_TICKET_OFFICE = select(Ticket.office_id).where(Ticket.id == bindparam("id"))
_COUNTER_OFFICE = select(Counter.office_id).where(Counter.id == bindparam("id"))


def _turn_of(
    session: Session, office_of: Any, row_id: int, permission: str, actor: Actor, missing: str
) -> int:
    require(actor, permission)
    office_id = session.scalar(office_of, {"id": row_id})
    if office_id is None:
        raise NotFound(missing, id=row_id)
    require(actor, permission, office_id)
    return bump_seq(session, office_id)


def ticket_turn(
    session: Session, ticket_id: int, permission: str, actor: Actor
) -> tuple[Ticket, int]:
    """Check ``actor``, take the turn of the ticket's office, and load the ticket locked.

    Returns (ticket, seq). Raises Forbidden and NotFound.
    """
    seq = _turn_of(
        session,
        _TICKET_OFFICE,
        ticket_id,
        permission,
        actor,
        N_("There is no ticket with id %(id)s."),
    )
    return ticket_by_id(session, ticket_id, lock=True), seq


def counter_turn(
    session: Session, counter_id: int, permission: str, actor: Actor
) -> tuple[Counter, int]:
    """Check ``actor``, take the turn of the counter's office, and load the counter locked.

    Returns (counter, seq). Raises Forbidden and NotFound.
    """
    seq = _turn_of(
        session,
        _COUNTER_OFFICE,
        counter_id,
        permission,
        actor,
        N_("There is no counter with id %(id)s."),
    )
    return counter_by_id(session, counter_id, lock=True), seq


def office_turn(session: Session, slug: str, permission: str, actor: Actor) -> Office:
    """Check ``actor``, load the office ``slug`` and take its turn.

    Raises Forbidden and NotFound.
    """
    office = office_for(session, actor, slug, permission)
    bump_seq(session, office.id)
    return office
