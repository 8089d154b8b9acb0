"""Booking ahead: the slots a service offers, booking one, cancelling it, and checking in.

A service takes bookings when it has an enabled ``BookingPlan``: on the plan's weekdays that the
office opens (a holiday closes them, an announced Saturday opens one if the plan lists Saturday),
between the plan's hours inside the day's issuing window, in slots of ``slot_min`` minutes with
``places`` places each. With a daily quota, bookings of a day never take more than the quota
minus the walk-in share; a walk-in ticket, in turn, is refused once the tickets of the day plus
the places still booked for it fill the quota (``schedule.reserved_today``).

A booking is checked in at the kiosk on its day, from ``early_min`` before its slot until
``late_min`` after the slot's end. Its ticket queues at the slot's start, before walk-ins who
arrived later. A booking not checked in by then is ``missed``; it frees nothing afterwards.

Capacity is exact under races: a booking takes the office row's lock first (PostgreSQL; SQLite
serialises writes), then counts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import (
    DEFAULT_EARLY_MIN,
    Booking,
    BookingPlan,
    Office,
    Service,
    Ticket,
    check_in_closes,
)
from .access import Actor, require
from .audit import record_change
from .clock import local, local_day, zone
from .errors import N_, Closed, InvalidInput, InvalidTransition, NotFound, QueueError
from .events import QueueMoved, record, ticket_changed
from .log import log_move
from .lookup import office_by_slug, service_by_code
from .numbering import next_number
from .rollover import roll_over
from .schedule import Calendar, load_calendar, service_names
from .tickets import new_ticket
from .turn import office_turn

# Codes are read over the phone and typed at a kiosk: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G, U/V.
CODE_ALPHABET = "ACDEFHJKMNPQRTWXY34679"
CODE_LENGTH = 7
# One address (a phone, or a router many phones share) books at most this many places a day,
# and holds at most this many on any one day: enough for a family, never a whole day.
PER_ADDRESS_PER_DAY = 10
MAX_GROUP_PLACES = 60


class TooMany(QueueError):
    """One address asked for more than its share."""

    status = 429
    code = "booking_limit"


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, in the office's zone
    end: datetime
    free: int


def client_key(secret: str, address: str | None) -> str | None:
    """A keyed hash of the caller's address: enough to count its bookings, not to read it."""
    if not address:
        return None
    digest = hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """A typed or scanned code: case, spaces and hyphens do not matter."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def plan_of(session: Session, service: Service) -> BookingPlan | None:
    """The service's booking plan when it takes bookings, else None."""
    plan = session.get(BookingPlan, service.id)
    if plan is None or not plan.enabled or not service.active:
        return None
    return plan


def daily_cap(service: Service, plan: BookingPlan) -> int | None:
    """How many places of one day bookings may take (None: only the slots limit them)."""
    if service.daily_quota is None:
        return None
    return service.daily_quota * (100 - plan.walk_in_pct) // 100


HOLDING = ("requested", "booked", "checked_in", "missed")


def _booked(session: Session, service_id: int, day: date) -> tuple[dict[datetime, int], int]:
    """Places held on a day by a service's bookings (requested, booked, checked in or missed):
    per slot start by single bookings, and in all (groups included)."""
    return _booked_days(session, service_id, day, day).get(day, ({}, 0))


def _booked_days(
    session: Session, service_id: int, first: date, last: date
) -> dict[date, tuple[dict[datetime, int], int]]:
    """``_booked`` for each day from ``first`` to ``last`` that has bookings, in one query."""
    rows = session.execute(
        select(Booking.day, Booking.start, Booking.is_group, func.sum(Booking.places))
        .where(
            Booking.service_id == service_id,
            Booking.day >= first,
            Booking.day <= last,
            Booking.status.in_(HOLDING),
        )
        .group_by(Booking.day, Booking.start, Booking.is_group)
    ).all()
    days: dict[date, tuple[dict[datetime, int], int]] = {}
    for day, start, is_group, total in rows:
        per_slot, in_all = days.get(day, ({}, 0))
        if not is_group:
            per_slot[start] = per_slot.get(start, 0) + int(total)
        days[day] = (per_slot, in_all + int(total))
    return days


def _slot_times(
    calendar: Calendar, plan: BookingPlan, day: date
) -> list[tuple[datetime, datetime]]:
    """The slots of ``day`` by the plan and the office's calendar (no capacity)."""
    if str(day.weekday()) not in plan.weekdays:
        return []
    tz = zone(calendar.office.timezone)
    first = datetime.combine(day, plan.starts, tzinfo=tz)
    last = datetime.combine(day, plan.ends, tzinfo=tz)
    if calendar.office.always_open:
        return _every(first, last, plan)  # issues at any hour: the plan alone decides
    window = calendar.window(day)
    if window is None:
        return []
    first, last = max(window.opens, first), min(window.issue_until, last)
    return _every(first, last, plan)


def _every(first: datetime, last: datetime, plan: BookingPlan) -> list[tuple[datetime, datetime]]:
    length = timedelta(minutes=plan.slot_min)
    times = []
    start = first
    while start + length <= last:
        times.append((start, start + length))
        start += length
    return times


def bookable_days(plan: BookingPlan, office: Office, now: datetime) -> tuple[date, date]:
    """The first and last day a booking can be made for (today up to ``days_ahead``)."""
    today = local_day(now, office.timezone)
    return today, today + timedelta(days=plan.days_ahead)


def slots(
    session: Session, office: Office, service: Service, day: date, now: datetime
) -> list[Slot]:
    """The bookable slots of ``service`` on ``day``: not started yet, with places free. Empty
    on a day the service takes no bookings (closed, not a booking weekday, too far ahead)."""
    plan = plan_of(session, service)
    if plan is None:
        return []
    first, last = bookable_days(plan, office, now)
    if not first <= day <= last:
        return []
    calendar = load_calendar(session, office, now)
    return _free_slots(calendar, plan, service, day, _booked(session, service.id, day), now)


def free_days(
    session: Session, office: Office, service: Service, now: datetime
) -> list[tuple[date, int]]:
    """Each day a booking can be made for, with the places free that day (days with none are
    left out): the calendar once and the bookings of the whole range in one query. A day's
    places are its slots' free places, but never more than the day's share for bookings left."""
    plan = plan_of(session, service)
    if plan is None:
        return []
    first, last = bookable_days(plan, office, now)
    calendar = load_calendar(session, office, now)
    booked = _booked_days(session, service.id, first, last)
    cap = daily_cap(service, plan)
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        held = booked.get(day, ({}, 0))
        free = sum(slot.free for slot in _free_slots(calendar, plan, service, day, held, now))
        if cap is not None:
            free = min(free, cap - held[1])
        if free > 0:
            days.append((day, free))
    return days


def _free_slots(
    calendar: Calendar,
    plan: BookingPlan,
    service: Service,
    day: date,
    held: tuple[dict[datetime, int], int],
    now: datetime,
) -> list[Slot]:
    times = _slot_times(calendar, plan, day)
    if not times:
        return []
    booked, day_total = held
    cap = daily_cap(service, plan)
    day_left = None if cap is None else cap - day_total
    result = []
    for start, end in times:
        if start <= now:
            continue
        free = plan.places - booked.get(start, 0)
        if day_left is not None:
            free = min(free, day_left)
        if free > 0:
            result.append(Slot(start, end, free))
    return result


def bookable_services(session: Session, office: Office) -> list[tuple[Service, BookingPlan]]:
    """The office's services that take bookings, with their plans, in the kiosk's order."""
    plans = {
        p.service_id: p
        for p in session.scalars(
            select(BookingPlan).where(
                BookingPlan.service_id.in_([s.id for s in office.services]),
                BookingPlan.enabled.is_(True),
            )
        )
    }
    return [(s, plans[s.id]) for s in office.services if s.active and s.id in plans]


def _lock_office(session: Session, office: Office) -> None:
    """Bookings of an office one after another (the count, then the insert)."""
    session.execute(select(Office.id).where(Office.id == office.id).with_for_update())


def book(
    session: Session,
    office_slug: str,
    service_code: str,
    start: datetime,
    *,
    now: datetime,
    client: str | None,
    places: int = 1,
) -> Booking:
    """Book a place in the slot of ``service_code`` starting at ``start`` or, with ``places``
    above 1, ask for a group's places (``requested`` until the office approves; a group takes
    from the day's share for bookings, not from the slot's places).

    Raises NotFound (office), InvalidInput (unknown service, a naive time, a group too big),
    Closed (``closed``: no such slot, or the service takes no bookings; ``slot_full``) and
    TooMany.
    """
    if not 1 <= places <= MAX_GROUP_PLACES:
        raise InvalidInput(
            N_("A group books from 2 to %(most)s places."),
            error_code="invalid_field",
            most=MAX_GROUP_PLACES,
        )
    group = places > 1
    if start.tzinfo is None:
        raise InvalidInput(
            N_("The start time must carry its UTC offset, as the slots list gives it."),
            error_code="invalid_field",
        )
    office = office_by_slug(session, office_slug)
    service = service_by_code(session, office, service_code)
    _lock_office(session, office)
    plan = plan_of(session, service)
    day = local(start, office.timezone).date()
    slot = None
    if plan is not None:
        first, last = bookable_days(plan, office, now)
        if first <= day <= last:
            calendar = load_calendar(session, office, now)
            slot = next(((s, e) for s, e in _slot_times(calendar, plan, day) if s == start), None)
    if plan is None or slot is None or slot[0] <= now:
        raise Closed(
            N_(
                "Service %(service)s takes no booking at that time; choose one of the free "
                "times on the booking page."
            ),
            error_code="closed",
            **service_names(service),
        )
    _check_client(session, office, client, day, now)
    booked, day_total = _booked(session, service.id, day)
    free = plan.places - booked.get(slot[0], 0) if not group else places
    cap = daily_cap(service, plan)
    if cap is not None:
        free = min(free, cap - day_total)
    if free < places:
        raise Closed(
            N_("That time is fully booked; please choose another time."),
            error_code="slot_full",
        )
    booking = Booking(
        office_id=office.id,
        service_id=service.id,
        day=day,
        start=slot[0],
        end=slot[1],
        places=places,
        is_group=group,
        code=_free_code(session, office.id),
        token=secrets.token_urlsafe(24),
        status="requested" if group else "booked",
        client=client,
        created_day=local_day(now, office.timezone),
        created_at=now,
    )
    booking.office = office
    booking.service = service
    session.add(booking)
    session.flush()
    return booking


def _check_client(
    session: Session, office: Office, client: str | None, day: date, now: datetime
) -> None:
    """Bookings (a group's request counts as one) made today and held for ``day``."""
    if client is None:
        return
    made_today = session.scalar(
        select(func.count()).where(
            Booking.office_id == office.id,
            Booking.client == client,
            Booking.created_day == local_day(now, office.timezone),
        )
    )
    held_that_day = session.scalar(
        select(func.count()).where(
            Booking.office_id == office.id,
            Booking.client == client,
            Booking.day == day,
            Booking.status.in_(("requested", "booked")),
        )
    )
    if max(made_today, held_that_day) + 1 > PER_ADDRESS_PER_DAY:
        raise TooMany(
            N_(
                "This connection has made %(most)s bookings today, the most one connection may "
                "make; please book again tomorrow or take a number at the office."
            ),
            most=PER_ADDRESS_PER_DAY,
        )


def _free_code(session: Session, office_id: int) -> str:
    for _ in range(20):
        code = new_code()
        taken = session.scalar(
            select(Booking.id).where(Booking.office_id == office_id, Booking.code == code)
        )
        if taken is None:
            return code
    raise RuntimeError("no free booking code after 20 draws")  # 22^7 codes: never in practice


def booking_by_token(session: Session, token: str) -> Booking:
    """The booking whose link carries ``token``. Raises NotFound."""
    booking = (
        session.scalar(select(Booking).where(Booking.token == token))
        if 16 <= len(token) <= 43
        else None
    )
    if booking is None:
        raise NotFound(N_("There is no booking with this link; it may have been mistyped."))
    return booking


def status_at(session: Session, booking: Booking, now: datetime) -> str:
    """The booking's status at ``now``: ``booked`` turns ``missed`` once its check-in window
    closed (stored the next time the office checks a booking in, or books)."""
    if booking.status == "booked" and now > check_in_window(session, booking)[1]:
        return "missed"
    return booking.status


def check_in_window(session: Session, booking: Booking) -> tuple[datetime, datetime]:
    """From when until when the booking checks in (aware UTC)."""
    plan = session.get(BookingPlan, booking.service_id)
    early = timedelta(minutes=plan.early_min if plan else DEFAULT_EARLY_MIN)
    return booking.start - early, check_in_closes(booking.end, plan.late_min if plan else None)


def cancel(session: Session, token: str, *, now: datetime) -> Booking:
    """Cancel the booking: its place is free again. Cancelling twice is the same as once.

    Raises NotFound, InvalidTransition (``used``: checked in; ``too_late``: missed).
    """
    booking = booking_by_token(session, token)
    _lock_office(session, booking.office)
    session.refresh(booking)
    status = status_at(session, booking, now)
    if status in ("cancelled", "refused"):
        return booking
    if status == "checked_in":
        raise InvalidTransition(
            N_("This booking has been used: its queue number was issued at the office."),
            error_code="used",
        )
    if status == "missed":
        raise InvalidTransition(
            N_("This booking's time has passed; it can no longer be cancelled."),
            error_code="too_late",
        )
    booking.status = "cancelled"
    booking.cancelled_at = now
    session.flush()
    return booking


def mark_missed(session: Session, office: Office, now: datetime) -> int:
    """Store ``missed`` on the office's bookings whose check-in window closed. Returns how many."""
    count = 0
    # Only services with a plan have bookings (a plan is never deleted, only switched off).
    plans = session.scalars(
        select(BookingPlan).where(
            BookingPlan.service_id.in_([service.id for service in office.services])
        )
    )
    for plan in plans:
        count += session.execute(
            update(Booking)
            .where(
                Booking.service_id == plan.service_id,
                Booking.status == "booked",
                Booking.end < now - timedelta(minutes=plan.late_min),
            )
            .values(status="missed"),
            execution_options={"synchronize_session": False},
        ).rowcount
    return count


def find_booking(session: Session, office: Office, key: str) -> Booking:
    """The office's booking with this code (typed) or token (a scanned link). Raises NotFound."""
    key = key.strip()
    if "/b/" in key:  # a scanned QR code carries the whole link
        key = key.rsplit("/b/", 1)[1].split("?", 1)[0].strip("/")
    found = None
    if 16 <= len(key) <= 43:
        found = session.scalar(
            select(Booking).where(Booking.token == key, Booking.office_id == office.id)
        )
    if found is None:
        code = normalise_code(key)
        if len(code) == CODE_LENGTH:
            found = session.scalar(
                select(Booking).where(Booking.office_id == office.id, Booking.code == code)
            )
    if found is None:
        raise NotFound(
            N_("No booking with the code %(code)s was found at this office; check the code."),
            error_code="unknown_booking",
            code=key[:12],
        )
    return found


def check_in(
    session: Session, office_slug: str, key: str, *, now: datetime, actor: Actor
) -> tuple[Ticket, Booking]:
    """Check a booking in at the kiosk on its day: its ticket queues at the slot's start.

    Raises Forbidden, NotFound, InvalidTransition (``not_today``, ``too_early``, ``too_late``,
    ``used``, ``cancelled``) and Closed (the service is no longer offered).
    """
    office = office_turn(session, office_slug, "issue", actor)
    roll_over(session, office, now)
    mark_missed(session, office, now)
    booking = find_booking(session, office, key)
    opens, closes = check_in_window(session, booking)
    tz = office.timezone
    if booking.status in ("cancelled", "refused"):
        raise InvalidTransition(
            N_("This booking was cancelled. Please take a queue number at the kiosk."),
            error_code="cancelled",
        )
    if booking.status == "requested":
        raise InvalidTransition(
            N_("This group booking has not been approved by the office yet. Please ask the staff."),
            error_code="not_approved",
        )
    if booking.status == "checked_in":
        raise InvalidTransition(
            N_(
                "This booking has already been used: its queue number was issued at "
                "%(when)s. Ask the staff if you lost it."
            ),
            error_code="used",
            when=local(booking.checked_in_at, tz),
        )
    if booking.day != local_day(now, tz):
        raise InvalidTransition(
            N_(
                "This booking is for %(when)s, not today. Come back on that day, or take a "
                "queue number at the kiosk."
            ),
            error_code="not_today",
            when=local(booking.start, tz),
        )
    if now < opens:
        raise InvalidTransition(
            N_(
                "You are early: this booking can be checked in from %(when)s. Please wait and "
                "try again then."
            ),
            error_code="too_early",
            when=local(opens, tz),
        )
    if booking.status == "missed" or now > closes:
        raise InvalidTransition(
            N_(
                "This booking's time has passed (check-in closed at %(when)s). Please take a "
                "queue number at the kiosk."
            ),
            error_code="too_late",
            when=local(closes, tz),
        )
    service = booking.service
    if not service.active:
        raise Closed(
            N_("Service %(service)s is not offered at the moment."),
            error_code="service_inactive",
            **service_names(service),
        )
    day = local_day(now, tz)
    tickets = []
    for _ in range(booking.places):
        number = next_number(session, office.id, service.id, day)
        # Queued at the slot's time: before walk-ins who came later, after earlier ones.
        ticket = new_ticket(
            session,
            office,
            service,
            day,
            number,
            False,
            now,
            actor,
            channel="booking",
            sort_at=booking.start,
        )
        tickets.append(ticket)
    for ticket in tickets:
        log_move(session, ticket, "issue", actor, now, None, None, note=f"booking {booking.code}")
        record(session, ticket_changed(ticket))
    record(session, QueueMoved(office.id, service.id))
    booking.status = "checked_in"
    booking.checked_in_at = now
    booking.ticket_id = tickets[0].id
    session.flush()
    return tickets[0], booking


def day_list(session: Session, office: Office, day: date) -> list[Booking]:
    """The bookings of one day of an office, by slot (for the counters' printed list)."""
    return list(
        session.scalars(
            select(Booking)
            .where(Booking.office_id == office.id, Booking.day == day)
            .order_by(Booking.start, Booking.code)
        )
    )


def decide_group(
    session: Session,
    office: Office,
    booking_id: int,
    approve: bool,
    *,
    now: datetime,
    actor: Actor,
) -> Booking:
    """Approve (``booked``) or refuse (``refused``) a group's request, in the audit trail. The
    request already holds its places (from the day's share for bookings).

    Raises Forbidden, NotFound and InvalidTransition (decided already; its time has passed)."""
    require(actor, "report", office.id)
    _lock_office(session, office)
    booking = session.get(Booking, booking_id)
    if booking is None or booking.office_id != office.id or not booking.is_group:
        raise NotFound(N_("There is no group booking with id %(id)s."), id=booking_id)
    if booking.status != "requested":
        raise InvalidTransition(
            N_("This group booking has already been decided."), error_code="decided"
        )
    if approve and now > check_in_window(session, booking)[1]:
        raise InvalidTransition(N_("This group booking's time has passed."), error_code="too_late")
    booking.status = "booked" if approve else "refused"
    session.flush()
    record_change(
        session,
        actor,
        now,
        "booking.group",
        booking.code,
        {"status": ["requested", booking.status], "places": [None, booking.places]},
        office.id,
    )
    return booking


def pending_groups(session: Session, office: Office) -> list[Booking]:
    """Groups' requests waiting for the office's decision, soonest first."""
    return list(
        session.scalars(
            select(Booking)
            .where(Booking.office_id == office.id, Booking.status == "requested")
            .order_by(Booking.start)
        )
    )
