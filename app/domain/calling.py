"""A counter's moves: call the next ticket, recall, start, finish, mark absent; pause/resume."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Date, bindparam, case, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..models import IS_AT_COUNTER, IS_WAITING, Counter, Ticket, TicketEvent, UTCDateTime
from .access import Actor
from .clock import local_day
from .errors import N_, CounterBusy, InvalidTransition
from .estimate import remember_service_time
from .events import QueueMoved, announcement, record, ticket_changed
from .log import log_move
from .rollover import roll_over
from .states import STATUS_MOVES, UNDO_TARGETS, change_status, check_status_move
from .turn import counter_turn, ticket_turn

# How often call-next tries again when another counter took its candidate in between.
CALL_ATTEMPTS = 8
# How long after "absent" or "finish" the counter may undo it (the console offers it for less).
UNDO_SECONDS = 60


_HELD = select(Ticket).where(Ticket.counter_id == bindparam("counter_id"), IS_AT_COUNTER)
_WAITING_FOR = select(Ticket).where(
    IS_WAITING,
    Ticket.service_id.in_(bindparam("services", expanding=True)),
    Ticket.day == bindparam("day", type_=Date()),
)
# PostgreSQL: skip rows another counter is taking right now instead of waiting for them.
_OLDEST = (
    _WAITING_FOR.order_by(Ticket.sort_at, Ticket.id).limit(1).with_for_update(skip_locked=True)
)
_tickets = Ticket.__table__
_TAKE = (
    update(_tickets)
    .where(
        _tickets.c.id == bindparam("ticket_id"),
        _tickets.c.status.in_(sorted(STATUS_MOVES["call"].sources)),
    )
    .values(
        status=STATUS_MOVES["call"].target,
        counter_id=bindparam("counter"),
        called_at=bindparam("now", type_=UTCDateTime()),
        operator_id=bindparam("operator"),
        updated_at=bindparam("now", type_=UTCDateTime()),
    )
)


def current_ticket(session: Session, counter: Counter) -> Ticket | None:
    """The ticket the counter holds (called or serving), if any."""
    return session.scalar(_HELD, {"counter_id": counter.id})


def _next_candidate(session: Session, counter: Counter, day: object) -> Ticket | None:
    params = {"services": [link.service_id for link in counter.links], "day": day}
    if counter.call_order != "service_order":
        return session.scalar(_OLDEST, params)
    rank = case({link.service_id: link.position for link in counter.links}, value=Ticket.service_id)
    stmt = _WAITING_FOR.order_by(rank, Ticket.sort_at, Ticket.id).limit(1)
    return session.scalar(stmt.with_for_update(skip_locked=True), params)


def call_next(session: Session, counter_id: int, *, now: datetime, actor: Actor) -> Ticket | None:
    """Call the next waiting ticket to the counter; None when nobody waits.

    The ticket is taken with a conditional update checked by row count, so two counters can
    never get the same ticket (on SQLite and PostgreSQL alike).
    Raises Forbidden, NotFound, CounterBusy (it still holds a ticket) and InvalidTransition
    (``counter_paused``, ``no_services``).
    """
    counter, seq = counter_turn(session, counter_id, "counter", actor)
    office = counter.office
    roll_over(session, office, now)
    if not counter.is_open:
        raise InvalidTransition(
            N_("Counter %(counter)s is paused; resume it before calling the next ticket."),
            error_code="counter_paused",
            counter=counter.number,
        )
    held = current_ticket(session, counter)
    if held is not None:
        raise CounterBusy(
            N_(
                "Counter %(counter)s still has ticket %(code)s (%(status)s); finish it or mark "
                "it absent first."
            ),
            counter=counter.number,
            code=held.code,
            status=held.status,
        )
    if not counter.links:
        raise InvalidTransition(
            N_(
                "Counter %(counter)s serves no service; an administrator can assign services to it."
            ),
            error_code="no_services",
            counter=counter.number,
        )
    day = local_day(now, office.timezone)
    for _ in range(CALL_ATTEMPTS):
        candidate = _next_candidate(session, counter, day)
        if candidate is None:
            return None
        taken = session.execute(
            _TAKE,
            {
                "ticket_id": candidate.id,
                "counter": counter.id,
                "now": now,
                "operator": actor.user_id,
            },
        ).rowcount
        if taken == 1:
            # What the UPDATE wrote, set as loaded (no SELECT to read it back), and the counter
            # and office kept on the ticket for the reply (the session holds objects weakly).
            for name, value in (
                ("status", STATUS_MOVES["call"].target),
                ("counter_id", counter.id),
                ("called_at", now),
                ("operator_id", actor.user_id),
                ("updated_at", now),
                ("counter", counter),
                ("office", office),
            ):
                set_committed_value(candidate, name, value)
            break
    else:
        return None
    ticket = candidate
    log_move(session, ticket, "call", actor, now, "waiting", ticket.stage)
    record(
        session,
        ticket_changed(ticket),
        QueueMoved(office.id, ticket.service_id),
        announcement(ticket, counter, "call", seq),
    )
    return ticket


def _counter_move(
    session: Session, ticket_id: int, action: str, now: datetime, actor: Actor
) -> tuple[Ticket, str, int]:
    ticket, seq = ticket_turn(session, ticket_id, "counter", actor)
    previous = change_status(ticket, action, now)
    return ticket, previous, seq


def recall(session: Session, ticket_id: int, *, now: datetime, actor: Actor) -> Ticket:
    """Announce a called ticket again. Raises Forbidden, NotFound, InvalidTransition."""
    ticket, previous, seq = _counter_move(session, ticket_id, "recall", now, actor)
    ticket.recall_count = (ticket.recall_count or 0) + 1
    session.flush()
    log_move(session, ticket, "recall", actor, now, previous, ticket.stage)
    record(session, ticket_changed(ticket), announcement(ticket, ticket.counter, "recall", seq))
    return ticket


def start(session: Session, ticket_id: int, *, now: datetime, actor: Actor) -> Ticket:
    """The resident arrived at the counter. Raises Forbidden, NotFound, InvalidTransition."""
    ticket, previous, _ = _counter_move(session, ticket_id, "start", now, actor)
    ticket.serving_at = now
    session.flush()
    log_move(session, ticket, "start", actor, now, previous, ticket.stage)
    record(session, ticket_changed(ticket))
    return ticket


def finish(session: Session, ticket_id: int, *, now: datetime, actor: Actor) -> Ticket:
    """Service done; a card-producing service puts the card at ``ready_to_print``.

    Raises Forbidden, NotFound, InvalidTransition.
    """
    ticket, previous, _ = _counter_move(session, ticket_id, "finish", now, actor)
    ticket.finished_at = now
    with session.no_autoflush:  # loading the service must not write the move half done
        service = ticket.service
    if service.produces_card:
        ticket.stage = "ready_to_print"
        ticket.ready_at = now
    pace = service.avg_service_s
    # Its flush writes the ticket's whole move in one UPDATE (the average counts this ticket).
    remember_service_time(session, service, now)
    if service.avg_service_s != pace:
        # Every waiting resident of the service has a new estimated wait (same place).
        record(session, QueueMoved(ticket.office_id, ticket.service_id))
    session.flush()
    log_move(session, ticket, "finish", actor, now, previous, None)
    record(session, ticket_changed(ticket))
    return ticket


def no_show(session: Session, ticket_id: int, *, now: datetime, actor: Actor) -> Ticket:
    """The resident did not come. Raises Forbidden, NotFound, InvalidTransition."""
    ticket, previous, _ = _counter_move(session, ticket_id, "no_show", now, actor)
    ticket.no_show_at = now
    session.flush()
    log_move(session, ticket, "no_show", actor, now, previous, ticket.stage)
    record(session, ticket_changed(ticket))
    return ticket


def set_counter_open(
    session: Session, counter_id: int, is_open: bool, *, now: datetime, actor: Actor
) -> Counter:
    """Pause or resume a counter; a paused counter calls nobody and leaves the wait estimate.

    Raises Forbidden and NotFound.
    """
    counter, _ = counter_turn(session, counter_id, "counter", actor)
    if counter.is_open != is_open:
        counter.is_open = is_open
        session.flush()
        for link in counter.links:
            record(session, QueueMoved(counter.office_id, link.service_id))
    return counter


def undo(session: Session, ticket_id: int, *, now: datetime, actor: Actor) -> Ticket:
    """Take back an "absent" or a "finish" made by mistake a moment ago: the ticket is again
    called or being served at its counter, as it was (a card that was put in production leaves
    it again). Refused when it is too late, when the ticket moved on since, or when the counter
    has taken another ticket. Raises Forbidden, NotFound, InvalidTransition, CounterBusy."""
    ticket, _ = ticket_turn(session, ticket_id, "counter", actor)
    check_status_move("undo", ticket.code, ticket.status)
    last = session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    ).first()
    if (
        last is None
        or last.action not in ("no_show", "finish")
        or last.to_status != ticket.status
        or last.to_stage != ticket.stage
        or last.from_status not in UNDO_TARGETS
    ):
        raise InvalidTransition(
            N_("Ticket %(code)s has moved on since; it cannot be undone from here."),
            code=ticket.code,
        )
    if now - last.at > timedelta(seconds=UNDO_SECONDS):
        raise InvalidTransition(
            N_(
                "It is too late to undo ticket %(code)s (%(seconds)s seconds have passed); "
                "put it back in the queue or ask an administrator."
            ),
            code=ticket.code,
            seconds=int((now - last.at).total_seconds()),
        )
    if (
        ticket.counter_id is not None
        and session.scalars(_HELD, {"counter_id": ticket.counter_id}).first()
    ):
        raise CounterBusy(
            N_("This counter has already taken another ticket; finish it before undoing %(code)s."),
            code=ticket.code,
        )
    previous_stage = ticket.stage
    previous = change_status(ticket, "undo", now, undo_to=last.from_status)
    ticket.stage = last.from_stage
    if previous == "done":
        ticket.finished_at = None
        ticket.ready_at = None
    else:
        ticket.no_show_at = None
    ticket.updated_at = now
    session.flush()
    log_move(session, ticket, "undo", actor, now, previous, previous_stage)
    record(session, ticket_changed(ticket), QueueMoved(ticket.office_id, ticket.service_id))
    return ticket
