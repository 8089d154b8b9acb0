"""People ahead and the estimated wait.

The estimate is the moving average of the last 20 service times of the service (within 14 days;
each clamped to 30 s .. 60 min so a forgotten "finish" cannot skew it), times the people ahead,
divided by the open counters that serve the service. The average is refreshed whenever a ticket
of the service finishes; before there is any history the service's ``default_service_s`` is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Date, bindparam, func, select, tuple_
from sqlalchemy.orm import Session

from ..models import IS_WAITING, Counter, CounterService, Service, Ticket, UTCDateTime

RECENT = 20
HISTORY = timedelta(days=14)
MIN_S, MAX_S = 30.0, 3600.0


@dataclass(frozen=True)
class Rate:
    """How fast one service moves: average seconds per person and counters open for it."""

    average_s: float
    open_counters: int

    def wait_s(self, ahead: int) -> int:
        return round(self.average_s * ahead / max(1, self.open_counters))


def recent_average_s(session: Session, service_id: int, now: datetime) -> float | None:
    """Mean of the service's last RECENT service times within HISTORY, or None."""
    rows = session.execute(
        select(Ticket.finished_at, Ticket.serving_at, Ticket.called_at)
        .where(
            Ticket.service_id == service_id,
            Ticket.finished_at >= now - HISTORY,
            Ticket.status == "done",
        )
        .order_by(Ticket.finished_at.desc())
        .limit(RECENT)
    ).all()
    durations = [
        min(MAX_S, max(MIN_S, (finished - (serving or called)).total_seconds()))
        for finished, serving, called in rows
        if finished is not None and (serving or called) is not None
    ]
    return sum(durations) / len(durations) if durations else None


def remember_service_time(session: Session, service: Service, now: datetime) -> None:
    """Refresh the service's moving average; called when a ticket of it finishes.

    Kept on the service row because every issued ticket and every phone update reads it.
    """
    session.flush()
    service.avg_service_s = recent_average_s(session, service.id, now)


# Statements built once: constructing SQL expressions costs more than running them here.
_OPEN_COUNTERS = (
    select(func.count())
    .select_from(CounterService)
    .join(Counter, Counter.id == CounterService.counter_id)
    .where(CounterService.service_id == bindparam("service_id"), Counter.is_open.is_(True))
    .scalar_subquery()
)
_AHEAD = (
    select(func.count())
    .select_from(Ticket)
    .where(
        Ticket.service_id == bindparam("service_id"),
        IS_WAITING,
        Ticket.day == bindparam("day", type_=Date()),
        tuple_(Ticket.sort_at, Ticket.id)
        < tuple_(bindparam("sort_at", type_=UTCDateTime()), bindparam("ticket_id")),
    )
    .scalar_subquery()
)
_RATE = select(_OPEN_COUNTERS)
_AHEAD_ONLY = select(_AHEAD)
_ESTIMATE = select(_AHEAD, _OPEN_COUNTERS)


def _ahead_params(ticket: Ticket) -> dict[str, Any]:
    return {
        "service_id": ticket.service_id,
        "day": ticket.day,
        "sort_at": ticket.sort_at,
        "ticket_id": ticket.id,
    }


def service_rate(session: Session, service: Service, now: datetime) -> Rate:
    """The current Rate of ``service``."""
    counters = session.scalar(_RATE, {"service_id": service.id})
    return Rate(service.avg_service_s or float(service.default_service_s), counters or 0)


def ahead_of(session: Session, ticket: Ticket) -> int | None:
    """Waiting tickets of the same service called before ``ticket``; 0 at a counter; else None."""
    if ticket.status in ("called", "serving"):
        return 0
    if ticket.status != "waiting":
        return None
    return session.scalar(_AHEAD_ONLY, _ahead_params(ticket))


def estimate(session: Session, ticket: Ticket, now: datetime) -> tuple[int | None, int | None]:
    """(ahead, estimated_wait_s) of ``ticket``; both None once it has left the queue (one
    query)."""
    if ticket.status in ("called", "serving"):
        return 0, 0
    if ticket.status != "waiting":
        return None, None
    # Through the connection (a Core statement needs none of the ORM session's work), after any
    # change the session holds has reached the database.
    session.flush()
    ahead, counters = session.connection().execute(_ESTIMATE, _ahead_params(ticket)).one()
    if ahead == 0:
        return 0, 0
    service = ticket.service
    rate = Rate(service.avg_service_s or float(service.default_service_s), counters or 0)
    return ahead, rate.wait_s(ahead)
