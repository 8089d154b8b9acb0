"""What a domain function changed, recorded on the session and published after commit.

Domain functions call ``record``; ``app.realtime`` takes the events from the session once the
transaction has committed (and drops them on rollback), so nothing is announced that did not happen.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from ..models import Counter, Office, Ticket

EVENTS_KEY = "loket.events"


@dataclass(frozen=True)
class OfficeChanged:
    """Anything on the office's board may have changed; ``seq`` is the office's new sequence."""

    office_id: int
    seq: int


@dataclass(frozen=True)
class TicketChanged:
    """The status, stage or counter of one ticket changed. ``token`` names its room, so the
    publisher loads the ticket only when someone follows it."""

    ticket_id: int
    token: str | None = None


@dataclass(frozen=True)
class QueueMoved:
    """The waiting tickets of a service moved (their order changed, so ``ahead`` changed for
    some) or their pace changed (a counter opened or closed, a service time went into the
    average), so their estimated wait changed: each follower gets its new Track."""

    office_id: int
    service_id: int


@dataclass(frozen=True)
class Announced:
    """Something the TV says out loud: a call, a recall, or a card ready for pickup."""

    office_id: int
    kind: str  # "call" | "recall" | "pickup"
    ticket_id: int
    code: str
    service: str
    counter: int | None
    counter_name: str | None
    seq: int


@dataclass(frozen=True)
class PrintQueued:
    """A print job is waiting for its printer ("server" or a kiosk's agent)."""

    office_id: int
    job_id: int
    target: str


@dataclass(frozen=True)
class NoticeQueued:
    """A card-ready message is waiting for the sender (``app.sms``)."""

    office_id: int
    notice_id: int


Event = OfficeChanged | TicketChanged | QueueMoved | Announced | PrintQueued | NoticeQueued


def announcement(ticket: Ticket, counter: Counter | None, kind: str, seq: int) -> Announced:
    """The Announced event of ``kind`` for ``ticket`` (at ``counter``, if any)."""
    return Announced(
        office_id=ticket.office_id,
        kind=kind,
        ticket_id=ticket.id,
        code=ticket.code,
        service=ticket.service.code,
        counter=counter.number if counter else None,
        counter_name=counter.name if counter else None,
        seq=seq,
    )


def ticket_changed(ticket: Ticket) -> TicketChanged:
    """The TicketChanged event of ``ticket`` (with its token, which names its room)."""
    return TicketChanged(ticket.id, ticket.token)


def record(session: Session, *events: Event) -> None:
    """Queue ``events`` for publication when ``session`` commits."""
    session.info.setdefault(EVENTS_KEY, []).extend(events)


def pending(session: Session) -> list[Event]:
    """The events recorded on ``session`` and not yet published (for tests and the publisher)."""
    return list(session.info.get(EVENTS_KEY, ()))


def take(session: Session) -> list[Event]:
    """Remove and return the recorded events."""
    return session.info.pop(EVENTS_KEY, [])


_offices = Office.__table__
# A Core statement built once: cheaper than an ORM bulk update built each time.
_BUMP = (
    update(_offices)
    .where(_offices.c.id == bindparam("office"))
    .values(seq=_offices.c.seq + 1)
    .returning(_offices.c.seq)
)


def bump_seq(session: Session, office_id: int) -> int:
    """Increase the office's change sequence by one and return the new value.

    Also records OfficeChanged. On PostgreSQL the row stays locked until commit, so every change
    of one office gets its own sequence number in commit order.
    """
    seq = session.connection().execute(_BUMP, {"office": office_id}).scalar_one()
    record(session, OfficeChanged(office_id, seq))
    return seq
