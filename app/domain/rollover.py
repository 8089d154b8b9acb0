"""Day rollover: tickets left open from an earlier office-local day are cancelled.

It runs lazily inside the first write of a new day (any issue or counter action of the office) and
from ``flask --app wsgi loket close-day``. The office row remembers the last day closed, and a
conditional update claims the work, so two processes never both do it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..models import IS_AT_COUNTER, IS_WAITING, Office, Ticket
from .access import Actor
from .clock import local_day
from .events import QueueMoved, bump_seq, record, ticket_changed
from .log import log_move
from .notices import day_ended
from .states import change_status


def roll_over(
    session: Session,
    office: Office,
    now: datetime,
    *,
    include_today: bool = False,
    actor: Actor | None = None,
) -> int:
    """Cancel the office's open tickets from days before today (and today's with
    ``include_today``). Returns how many were cancelled; 0 when the day was already closed."""
    today = local_day(now, office.timezone)
    if not include_today:
        if office.last_closed_day is not None and office.last_closed_day >= today:
            return 0
        claimed = session.execute(
            update(Office)
            .where(
                Office.id == office.id,
                or_(Office.last_closed_day.is_(None), Office.last_closed_day < today),
            )
            .values(last_closed_day=today),
            execution_options={"synchronize_session": False},
        ).rowcount
        session.expire(office, ["last_closed_day"])
        if claimed == 0:
            return 0
    # Card-ready messages not sent by the end of the day are dropped, their numbers erased.
    day_ended(session, office, now, include_today)
    day_filter = Ticket.day <= today if include_today else Ticket.day < today
    # Read through the two small partial indexes (waiting by service; at a counter by counter),
    # never through the office's history.
    service_ids = [service.id for service in office.services]
    counter_ids = [counter.id for counter in office.counters]
    stale = list(
        session.scalars(
            select(Ticket).where(IS_WAITING, Ticket.service_id.in_(service_ids), day_filter)
        )
    ) + list(
        session.scalars(
            select(Ticket).where(IS_AT_COUNTER, Ticket.counter_id.in_(counter_ids), day_filter)
        )
    )
    if not stale:
        return 0
    actor = actor or Actor.system()
    services = set()
    for ticket in stale:
        previous = change_status(ticket, "cancel", now)
        ticket.cancelled_at = now
        services.add(ticket.service_id)
        log_move(session, ticket, "cancel", actor, now, previous, ticket.stage, note="day closed")
        record(session, ticket_changed(ticket))
    session.flush()
    for service_id in sorted(services):
        record(session, QueueMoved(office.id, service_id))
    bump_seq(session, office.id)
    return len(stale)
