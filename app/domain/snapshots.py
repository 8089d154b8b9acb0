"""The public read models: the office Board and a ticket's Track.

Both carry only ticket codes, services and counters, never anything about the person.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, bindparam, func, select
from sqlalchemy.orm import Session

from display.voice import call_clips

from ..models import (
    ACTIVE_AT_COUNTER,
    IS_AT_COUNTER,
    IS_PRINTED,
    IS_WAITING,
    Office,
    Service,
    Ticket,
    sql_constant,
)
from . import shapes
from .clock import iso, local_day
from .estimate import Rate, estimate, service_rate

RECENT_CALLS = 10
ABSENT_LIST = 30  # the absent tickets a console lists (today, newest first)


# Plain columns, not ORM objects: the board is built after every change and must stay cheap.
_CALL_COLUMNS = (
    Ticket.id,
    Ticket.counter_id,
    Ticket.code,
    Ticket.service_id,
    Ticket.status,
    Ticket.called_at,
)


def _call_row(
    ticket: Any, office: Office, numbers: dict[int, tuple[int, str]], codes: dict[int, str]
) -> dict[str, Any]:
    number, name = numbers.get(ticket.counter_id or 0, (None, None))
    return {
        "counter": number,
        "counter_name": name,
        "code": ticket.code,
        "service": codes.get(ticket.service_id),
        "status": ticket.status,
        "called_at": iso(ticket.called_at, office.timezone),
    }


def counter_ref(counter: Any) -> shapes.CounterRef | None:
    """The counter a ticket is at, as its status page and the API name it."""
    if counter is None:
        return None
    return {"id": counter.id, "number": counter.number, "name": counter.name}


def waiting_counts(session: Session, office_id: int, day: date) -> dict[int, int]:
    """Waiting tickets per service id of the office on ``day``."""
    rows = session.execute(
        select(Ticket.service_id, func.count())
        .where(Ticket.office_id == office_id, Ticket.day == day, IS_WAITING)
        .group_by(Ticket.service_id)
    ).all()
    return {service_id: count for service_id, count in rows}


def board(session: Session, office: Office, now: datetime) -> shapes.Board:
    """The Board of ``office``: now serving per counter, recent calls, waiting counts, pickup."""
    # Read seq before the rows: the rows are then at least as new as the seq they carry.
    seq = session.scalar(select(Office.seq).where(Office.id == office.id)) or 0
    tz = office.timezone
    today = local_day(now, tz)
    services = list(office.services)
    codes = {s.id: s.code for s in services}
    counters = list(office.counters)
    numbers = {c.id: (c.number, c.name) for c in counters}

    current = session.execute(
        select(*_CALL_COLUMNS).where(
            Ticket.office_id == office.id,
            Ticket.day == today,
            IS_AT_COUNTER,
        )
    ).all()
    by_counter = {t.counter_id: t for t in current}
    recent = session.execute(
        select(*_CALL_COLUMNS)
        .where(
            Ticket.office_id == office.id,
            Ticket.day == today,
            Ticket.called_at.is_not(None),
            Ticket.counter_id.is_not(None),  # a transferred ticket waits again, at no counter
        )
        .order_by(Ticket.called_at.desc(), Ticket.id.desc())
        .limit(RECENT_CALLS)
    ).all()
    waiting_by_id = waiting_counts(session, office.id, today)
    pickup = session.execute(
        select(Ticket.code, Ticket.service_id, Ticket.day, Ticket.printed_at)
        .where(Ticket.office_id == office.id, IS_PRINTED)
        .order_by(Ticket.printed_at, Ticket.id)
    ).all()

    now_serving = [
        _call_row(by_counter[c.id], office, numbers, codes) for c in counters if c.id in by_counter
    ]
    # The big "now calling" panel: the newest call still going on at an open counter; none when
    # that ticket was finished, sent elsewhere or marked absent, or its counter paused.
    open_ids = {c.id for c in counters if c.is_open}
    going_on = [t for t in current if t.counter_id in open_ids and t.called_at is not None]
    latest = max(going_on, key=lambda t: (t.called_at, t.id), default=None)
    return {
        "office": office.slug,
        "office_name": office.name,
        "timezone": tz,
        "seq": seq,
        "day": today.isoformat(),
        "generated_at": iso(now, tz),
        "announcement": office.announcement or "",
        "now_serving": now_serving,
        "latest": _call_row(latest, office, numbers, codes) if latest is not None else None,
        # How the TV says each call at a counter, should it have to announce one from the board
        # (it missed the "called" event while it was reconnecting).
        "call_clips": {
            row["code"]: call_clips(row["code"], row["counter"] or 0) for row in now_serving
        },
        "recent": [_call_row(t, office, numbers, codes) for t in recent],
        "waiting": {s.code: waiting_by_id.get(s.id, 0) for s in services if s.active},
        "pickup": [t.code for t in pickup],
        "pickup_items": [
            {
                "code": t.code,
                "service": codes.get(t.service_id),
                "day": t.day.isoformat(),
                "printed_at": iso(t.printed_at, tz),
            }
            for t in pickup
        ],
        "counters": [
            {
                "number": c.number,
                "name": c.name,
                "open": c.is_open,
                "services": [link.service.code for link in c.links],
                "code": by_counter[c.id].code if c.id in by_counter else None,
                "status": by_counter[c.id].status if c.id in by_counter else None,
            }
            for c in counters
        ],
        "services": [
            {
                "code": s.code,
                "name": s.name,
                "name_en": s.name_en,
                "colour": s.colour,
                "produces_card": s.produces_card,
                "waiting": waiting_by_id.get(s.id, 0),
            }
            for s in services
            if s.active
        ],
    }


def track(
    session: Session,
    ticket: Ticket,
    now: datetime,
    *,
    ahead: int | None = None,
    rate: Rate | None = None,
) -> shapes.Track:
    """The Track of ``ticket``: where it is and how long to wait. Nothing personal.

    ``ahead`` and ``rate`` may be given when known (many tickets of one service at once).
    """
    if ahead is None and rate is None:
        ahead, wait = estimate(session, ticket, now)
    else:
        rate = rate or service_rate(session, ticket.service, now)
        wait = rate.wait_s(ahead) if ahead is not None else None
    counter = ticket.counter if ticket.status in ACTIVE_AT_COUNTER else None
    return _track(ticket, ticket.service, ticket.office, ticket.status, ahead, wait, counter)


def _track(
    ticket: Any,
    service: Service,
    office: Office,
    status: str,
    ahead: int | None,
    wait: int | None,
    counter: Any,
) -> shapes.Track:
    """The Track of ``ticket`` (a Ticket, or a row with its code, day, stage, block_reason and
    priority) of ``service`` at ``office``."""
    return {
        "code": ticket.code,
        "service": service.code,
        "service_name": service.name,
        "service_name_en": service.name_en,
        "office": office.slug,
        "day": ticket.day.isoformat(),
        "status": status,
        "stage": ticket.stage,
        "block_reason": ticket.block_reason if ticket.stage == "blocked" else None,
        "priority": ticket.priority,
        "ahead": ahead,
        "estimated_wait_s": wait,
        "counter": counter_ref(counter),
    }


# A service's waiting queue in calling order, with what a waiting ticket's Track needs beyond its
# service and office: the whole queue is read after every call, so plain columns, one statement
# built once.
_QUEUE = (
    select(
        Ticket.id,
        Ticket.token,
        Ticket.code,
        Ticket.day,
        Ticket.stage,
        Ticket.block_reason,
        Ticket.priority,
    )
    .where(
        Ticket.service_id == bindparam("service_id"),
        IS_WAITING,
        Ticket.day == bindparam("day", type_=Date()),
    )
    .order_by(Ticket.sort_at, Ticket.id)
)


def waiting_queue(session: Session, service_id: int, day: date) -> list[Any]:
    """The waiting tickets of a service on ``day``, first to be called first: rows with id,
    token, code, day, stage, block_reason and priority (for ``waiting_track``)."""
    return session.execute(_QUEUE, {"service_id": service_id, "day": day}).all()


def waiting_track(
    row: Any, office: Office, service: Service, ahead: int, rate: Rate
) -> shapes.Track:
    """The Track of a waiting ticket of ``service`` read by ``waiting_queue``, ``ahead`` in its
    queue: what ``track`` gives for it, built without loading the ticket."""
    return _track(row, service, office, "waiting", ahead, rate.wait_s(ahead), None)


_STAFF_COLUMNS = (
    Ticket.id,
    Ticket.code,
    Ticket.service_id,
    Ticket.priority,
    Ticket.issued_at,
    Ticket.queued_at,
)
_CARD_COLUMNS = (
    Ticket.id,
    Ticket.code,
    Ticket.service_id,
    Ticket.day,
    Ticket.stage,
    Ticket.ready_at,
    Ticket.printed_at,
    Ticket.blocked_at,
    Ticket.block_reason,
    Ticket.stage_note,
)
CARD_LISTS = ("ready_to_print", "printed", "blocked")


def staff_view(session: Session, office: Office, now: datetime) -> shapes.StaffView:
    """What staff screens show: the waiting queue in calling order, each counter's ticket, the
    cards in production (earlier days included) and the blank-card stock. Staff only."""
    seq = session.scalar(select(Office.seq).where(Office.id == office.id)) or 0
    tz = office.timezone
    today = local_day(now, tz)
    codes = {s.id: s.code for s in office.services}
    waiting = session.execute(
        select(*_STAFF_COLUMNS)
        .where(Ticket.office_id == office.id, Ticket.day == today, IS_WAITING)
        .order_by(Ticket.sort_at, Ticket.id)
    ).all()
    held = {
        row.counter_id: row
        for row in session.execute(
            select(
                Ticket.id,
                Ticket.code,
                Ticket.counter_id,
                Ticket.service_id,
                Ticket.status,
                Ticket.priority,
                Ticket.called_at,
                Ticket.serving_at,
                Ticket.recall_count,
            ).where(Ticket.office_id == office.id, Ticket.day == today, IS_AT_COUNTER)
        )
    }
    # Marked absent today, newest first: the counters can put them back or cancel them.
    absent = session.execute(
        select(Ticket.id, Ticket.code, Ticket.service_id, Ticket.counter_id, Ticket.no_show_at)
        .where(
            Ticket.office_id == office.id,
            Ticket.day == today,
            Ticket.status == sql_constant("no_show"),
        )
        .order_by(Ticket.no_show_at.desc(), Ticket.id.desc())
        .limit(ABSENT_LIST)
    ).all()
    counter_numbers = {c.id: c.number for c in office.counters}
    cards: dict[str, list[dict[str, Any]]] = {stage: [] for stage in CARD_LISTS}
    for stage in CARD_LISTS:
        rows = session.execute(
            select(*_CARD_COLUMNS)
            .where(Ticket.office_id == office.id, Ticket.stage == sql_constant(stage))
            .order_by(Ticket.ready_at, Ticket.id)
        )
        cards[stage] = [
            {
                "id": r.id,
                "code": r.code,
                "service": codes.get(r.service_id),
                "day": r.day.isoformat(),
                "ready_at": iso(r.ready_at, tz),
                "printed_at": iso(r.printed_at, tz),
                "blocked_at": iso(r.blocked_at, tz),
                "block_reason": r.block_reason,
                "note": r.stage_note,
            }
            for r in rows
        ]

    def current(counter_id: int) -> dict[str, Any] | None:
        row = held.get(counter_id)
        if row is None:
            return None
        return {
            "id": row.id,
            "code": row.code,
            "service": codes.get(row.service_id),
            "status": row.status,
            "priority": row.priority,
            "called_at": iso(row.called_at, tz),
            "serving_at": iso(row.serving_at, tz),
            "recalls": row.recall_count,
        }

    return {
        "office": office.slug,
        "seq": seq,
        "day": today.isoformat(),
        "generated_at": iso(now, tz),
        "card_stock": office.card_stock,
        "services": [
            {
                "code": s.code,
                "name": s.name,
                "colour": s.colour,
                "produces_card": s.produces_card,
                "active": s.active,
            }
            for s in office.services
        ],
        "waiting": [
            {
                "id": r.id,
                "code": r.code,
                "service": codes.get(r.service_id),
                "priority": r.priority,
                "issued_at": iso(r.issued_at, tz),
                "queued_at": iso(r.queued_at, tz),
            }
            for r in waiting
        ],
        "counters": [
            {
                "id": c.id,
                "number": c.number,
                "name": c.name,
                "open": c.is_open,
                "services": [link.service.code for link in c.links],
                "ticket": current(c.id),
            }
            for c in office.counters
        ],
        "cards": cards,
        "absent": [
            {
                "id": r.id,
                "code": r.code,
                "service": codes.get(r.service_id),
                "counter": counter_numbers.get(r.counter_id or 0),
                "no_show_at": iso(r.no_show_at, tz),
            }
            for r in absent
        ],
    }
