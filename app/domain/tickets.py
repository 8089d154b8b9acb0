"""Issuing a ticket, transferring it, putting an absent one back, and cancelling it."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from ..models import Office, Service, Ticket, as_loaded
from .access import Actor
from .clock import local_day
from .errors import N_, Closed, InvalidInput, InvalidTransition
from .events import QueueMoved, record, ticket_changed
from .log import log_move
from .lookup import service_by_code
from .numbering import format_code, next_number
from .rollover import roll_over
from .schedule import Calendar, check_can_issue, load_calendar, reserved_today, service_names
from .states import ISSUED, change_status, check_status_move
from .turn import office_turn, ticket_turn


def _boost(office: Office, priority: bool) -> timedelta:
    return timedelta(minutes=office.priority_boost_min) if priority else timedelta(0)


def issue(
    session: Session,
    office_slug: str,
    service_code: str,
    *,
    priority: bool,
    now: datetime,
    actor: Actor,
) -> Ticket:
    """Issue the next ticket of ``service_code`` at the office ``office_slug``.

    Raises Forbidden (role or office), NotFound (office), InvalidInput (unknown service) and
    Closed (inactive, outside opening hours, after the cut-off, a closed special day, or the
    daily quota reached).
    """
    return issue_once(session, office_slug, service_code, priority=priority, now=now, actor=actor)[
        0
    ]


_BY_KEY = select(Ticket).where(
    Ticket.office_id == bindparam("office_id"), Ticket.idempotency_key == bindparam("key")
)


def issue_once(
    session: Session,
    office_slug: str,
    service_code: str,
    *,
    priority: bool,
    now: datetime,
    actor: Actor,
    idempotency_key: str | None = None,
    channel: str = "kiosk",
) -> tuple[Ticket, bool]:
    """Like ``issue``; with ``idempotency_key``, a repeated request (a double tap, a retry after
    a lost answer) gets the ticket the first one made. Returns (ticket, True when repeated).

    Raises what ``issue`` raises.
    """
    office = office_turn(session, office_slug, "issue", actor)
    if idempotency_key is not None:
        # Looked up after taking the office's turn: a twin request waits and then finds it.
        earlier = session.scalar(_BY_KEY, {"office_id": office.id, "key": idempotency_key})
        if earlier is not None:
            return earlier, True
    service, calendar, day = _issuing(session, office, service_code, now)
    number = next_number(session, office.id, service.id, day)
    # Checked after taking the number so that the quota holds under concurrency; a refusal rolls
    # the number back with the transaction, leaving no gap. Places booked for today that can
    # still check in are not for walk-ins.
    check_can_issue(calendar, service, now, number - 1 + _reserved(session, office, service, now))
    ticket = new_ticket(
        session,
        office,
        service,
        day,
        number,
        priority,
        now,
        actor,
        channel=channel,
        idempotency_key=idempotency_key,
    )
    log_move(session, ticket, "issue", actor, now, None, None)
    record(session, ticket_changed(ticket))
    if priority:
        record(session, QueueMoved(office.id, service.id))
    return ticket, False


def _reserved(session: Session, office: Office, service: Service, now: datetime) -> int:
    if service.daily_quota is None:
        return 0  # no quota: bookings take nothing from walk-ins
    return reserved_today(session, office, now, service.id).get(service.id, 0)


def _issuing(
    session: Session, office: Office, service_code: str, now: datetime
) -> tuple[Service, Calendar, date]:
    """With the office's turn taken: close earlier days, then the service, the calendar and
    the office-local day to number in."""
    roll_over(session, office, now)
    service = service_by_code(session, office, service_code)
    return service, load_calendar(session, office, now), local_day(now, office.timezone)


_TICKETS = Ticket.__table__
_INSERT_TICKET = insert(_TICKETS).returning(_TICKETS.c.id)
# Every column a new ticket has, so the instance made below is complete (none left to load).
_COLUMNS = tuple(c.key for c in _TICKETS.columns if c.key != "id")


def new_ticket(
    session: Session,
    office: Office,
    service: Service,
    day: date,
    number: int,
    priority: bool,
    now: datetime,
    actor: Actor,
    *,
    channel: str = "kiosk",
    sort_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> Ticket:
    """Add a waiting ticket (one INSERT) and return it as a persistent instance of ``session``.

    The row is written by a plain INSERT .. RETURNING id rather than an ORM flush (the unit of
    work for this one row was a fifth of issuing's CPU); the instance is then made persistent
    with every column known, so reading it loads nothing and later changes flush as UPDATEs.
    """
    values = dict.fromkeys(_COLUMNS)
    values.update(
        office_id=office.id,
        service_id=service.id,
        issued_service_id=service.id,
        day=day,
        number=number,
        code=format_code(service.code, number),
        status=ISSUED,
        priority=priority,
        channel=channel,
        token=secrets.token_urlsafe(16),
        queued_at=now,
        sort_at=sort_at if sort_at is not None else now - _boost(office, priority),
        issued_at=now,
        issued_by_id=actor.user_id,
        recall_count=0,
        idempotency_key=idempotency_key,
        updated_at=now,
    )
    values["id"] = session.connection().execute(_INSERT_TICKET, values).scalar_one()
    # As if loaded (no INSERT, no history); what it refers to is known: nothing to load later.
    return as_loaded(
        session,
        Ticket,
        {
            **values,
            "office": office,
            "service": service,
            "issued_service": service,
            "counter": None,
        },
    )


MAX_GROUP = 60


def issue_group(
    session: Session,
    office_slug: str,
    service_code: str,
    count: int,
    *,
    now: datetime,
    actor: Actor,
) -> list[Ticket]:
    """Issue ``count`` tickets of ``service_code`` at once for a group (a school visit): their
    numbers are consecutive, and they are called in that order, one after another, before
    anyone who arrives later. All or nothing: a group that does not fit in today's quota, or
    arrives when the service is closed, gets no ticket at all.

    Raises Forbidden, NotFound, InvalidInput (service, or a count outside 2..MAX_GROUP) and Closed.
    """
    if not 2 <= count <= MAX_GROUP:
        raise InvalidInput(
            N_("A group has from 2 to %(most)s people."), error_code="invalid_count", most=MAX_GROUP
        )
    office = office_turn(session, office_slug, "issue_group", actor)
    service, calendar, day = _issuing(session, office, service_code, now)
    first = next_number(session, office.id, service.id, day)
    taken = first - 1 + _reserved(session, office, service, now)
    check_can_issue(calendar, service, now, taken)
    if service.daily_quota is not None and taken + count > service.daily_quota:
        raise Closed(
            N_(
                "Only %(left)s tickets are left today for %(service)s; a group of %(count)s "
                "does not fit. No ticket was issued."
            ),
            error_code="quota_reached",
            left=service.daily_quota - taken,
            **service_names(service),
            count=count,
        )
    tickets = [new_ticket(session, office, service, day, first, False, now, actor)]
    for _ in range(count - 1):
        number = next_number(session, office.id, service.id, day)
        tickets.append(new_ticket(session, office, service, day, number, False, now, actor))
    # Inserted one by one: ids in number order, so the queue's tie-break keeps the group in order.
    for ticket in tickets:
        log_move(session, ticket, "issue", actor, now, None, None)
        record(session, ticket_changed(ticket))
    record(session, QueueMoved(office.id, service.id))
    return tickets


def transfer(
    session: Session, ticket_id: int, service_code: str, *, now: datetime, actor: Actor
) -> Ticket:
    """Move a waiting, called or serving ticket to another service of its office, keeping its
    code. It queues by its original issue time, so a transfer does not send it to the back.

    Raises Forbidden, NotFound, InvalidInput (unknown or same service) and InvalidTransition.
    """
    ticket, _ = ticket_turn(session, ticket_id, "counter", actor)
    roll_over(session, ticket.office, now)
    check_status_move("transfer", ticket.code, ticket.status)
    target = service_by_code(session, ticket.office, service_code)
    if target.id == ticket.service_id:
        raise InvalidInput(
            N_("Ticket %(code)s is already queued for service %(service)s."),
            error_code="same_service",
            code=ticket.code,
            service=target.code,
        )
    if not target.active:
        raise InvalidInput(
            N_("Service %(service)s is not offered at the moment."),
            error_code="service_inactive",
            service=target.name,
        )
    old_service = ticket.service_id
    previous = change_status(ticket, "transfer", now)
    ticket.service_id = target.id
    ticket.service = target
    ticket.counter_id = None
    ticket.transferred_at = now
    ticket.queued_at = now
    ticket.sort_at = ticket.issued_at - _boost(ticket.office, ticket.priority)
    ticket.updated_at = now
    session.flush()
    log_move(session, ticket, "transfer", actor, now, previous, ticket.stage)
    record(
        session,
        ticket_changed(ticket),
        QueueMoved(ticket.office_id, old_service),
        QueueMoved(ticket.office_id, target.id),
    )
    return ticket


def requeue(session: Session, ticket_id: int, *, now: datetime, actor: Actor) -> Ticket:
    """Put a ticket marked absent back at the end of its queue, on the day it was issued.

    Raises Forbidden, NotFound and InvalidTransition (not absent, or from an earlier day).
    """
    ticket, _ = ticket_turn(session, ticket_id, "counter", actor)
    roll_over(session, ticket.office, now)
    check_status_move("requeue", ticket.code, ticket.status)
    if ticket.day != local_day(now, ticket.office.timezone):
        raise InvalidTransition(
            N_(
                "Ticket %(code)s is from %(day)s; an absent ticket can only go back in the queue "
                "on the day it was issued."
            ),
            code=ticket.code,
            day=ticket.day,
        )
    previous = change_status(ticket, "requeue", now)
    ticket.counter_id = None
    ticket.queued_at = now
    ticket.sort_at = now - _boost(ticket.office, ticket.priority)
    session.flush()
    log_move(session, ticket, "requeue", actor, now, previous, ticket.stage)
    record(session, ticket_changed(ticket), QueueMoved(ticket.office_id, ticket.service_id))
    return ticket


def cancel(
    session: Session, ticket_id: int, *, now: datetime, actor: Actor, note: str | None = None
) -> Ticket:
    """Cancel a ticket that is still waiting, called or serving (e.g. taken by mistake).

    Raises Forbidden, NotFound and InvalidTransition.
    """
    ticket, _ = ticket_turn(session, ticket_id, "counter", actor)
    previous = change_status(ticket, "cancel", now)
    ticket.cancelled_at = now
    session.flush()
    log_move(session, ticket, "cancel", actor, now, previous, ticket.stage, note=note)
    record(session, ticket_changed(ticket), QueueMoved(ticket.office_id, ticket.service_id))
    return ticket
