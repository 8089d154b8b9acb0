"""Taking the office's turn before any write.

Every write first increments the office's change sequence. On PostgreSQL that row lock is held
until commit, so the writes of one office run one after another and always take their locks in
the same order (office, then counter or ticket, then the day's number row): they cannot deadlock,
and ``seq`` follows commit order. On SQLite writes are serialised anyway.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..models import Counter, Office, Ticket, as_loaded
from .access import Actor, require
from .errors import N_, NotFound
from .events import OfficeChanged, record
from .lookup import counter_by_id, ticket_by_id

_offices = Office.__table__


def _bump_through(table: Any) -> Any:
    """UPDATE the office of the ``table`` row :row_id (its seq + 1), returning every column."""
    office_of = select(table.c.office_id).where(table.c.id == bindparam("row_id")).scalar_subquery()
    return (
        update(_offices)
        .where(_offices.c.id == office_of)
        .values(seq=_offices.c.seq + 1)
        .returning(*_offices.c)
    )


_TICKET_TURN = _bump_through(Ticket.__table__)
_COUNTER_TURN = _bump_through(Counter.__table__)
# The office by its slug, its turn taken in the same statement (every column returned).
_OFFICE_TURN = (
    update(_offices)
    .where(_offices.c.slug == bindparam("office_slug"))
    .values(seq=_offices.c.seq + 1)
    .returning(*_offices.c)
)


def _take_turn(
    session: Session,
    turn: Any,
    params: dict[str, Any],
    permission: str,
    actor: Actor,
    missing: str,
    **missing_args: Any,
) -> Office:
    """Run ``turn`` (an UPDATE of one office's seq returning every column), then check that
    ``actor`` may work in that office (a refusal rolls the turn back with the request's
    transaction). Raises NotFound(``missing``) if no office was updated.

    Returns the office, made an instance from the returned row: a Core statement costs a third of
    an ORM load of the same row (issuing's most expensive statement). An instance of the office
    loaded earlier in the request gets the new values (``seq`` above all).
    """
    require(actor, permission)
    row = session.connection().execute(turn, params).mappings().first()
    if row is None:
        raise NotFound(missing, **missing_args)
    require(actor, permission, row["id"])
    office = as_loaded(session, Office, dict(row))
    record(session, OfficeChanged(office.id, office.seq))
    return office


def ticket_turn(
    session: Session, ticket_id: int, permission: str, actor: Actor
) -> tuple[Ticket, int]:
    """Check ``actor``, take the turn of the ticket's office, and load the ticket locked.

    Returns (ticket, seq). Raises Forbidden and NotFound.
    """
    office = _take_turn(
        session,
        _TICKET_TURN,
        {"row_id": ticket_id},
        permission,
        actor,
        N_("There is no ticket with id %(id)s."),
        id=ticket_id,
    )
    ticket = ticket_by_id(session, ticket_id, lock=True)
    # Held by the ticket: the session keeps its objects only while something refers to them,
    # and the reply reads the office (its time zone, its slug).
    set_committed_value(ticket, "office", office)
    return ticket, office.seq


def counter_turn(
    session: Session, counter_id: int, permission: str, actor: Actor
) -> tuple[Counter, int]:
    """Check ``actor``, take the turn of the counter's office, and load the counter locked.

    Returns (counter, seq). Raises Forbidden and NotFound.
    """
    office = _take_turn(
        session,
        _COUNTER_TURN,
        {"row_id": counter_id},
        permission,
        actor,
        N_("There is no counter with id %(id)s."),
        id=counter_id,
    )
    counter = counter_by_id(session, counter_id, lock=True)
    set_committed_value(counter, "office", office)
    return counter, office.seq


def office_turn(session: Session, slug: str, permission: str, actor: Actor) -> Office:
    """Check ``actor``, load the office ``slug`` and take its turn, in one statement.

    Raises Forbidden and NotFound (checked as in ``office_for``; a refusal after the lookup
    rolls the turn back with the request's transaction). An instance of the office loaded
    earlier in the request gets the new values (``seq`` above all).
    """
    return _take_turn(
        session,
        _OFFICE_TURN,
        {"office_slug": slug},
        permission,
        actor,
        N_("There is no office called %(office)s."),
        office=slug,
    )
