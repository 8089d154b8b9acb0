"""An office's setup as its administrators change it: settings, opening hours, special days,
services and counters.

The rules live here, not in the admin pages: a service's letter is unique in its office and
fixed once it has tickets; a counter's number is unique and it serves each service once. Every
change is written to the audit trail and bumps the office's ``seq``, so the screens pick it up
(after the commit, like every event).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    BookingPlan,
    Counter,
    CounterService,
    Office,
    OpeningHours,
    Service,
    SpecialDay,
    Ticket,
)
from .access import Actor
from .audit import changes, create_or_change, record_change
from .errors import N_, InvalidInput, NotFound
from .events import QueueMoved, bump_seq, record

PASSWORD_MASK = "***"  # a password in the audit trail: set (never its value), or None


def change_office(
    session: Session, office: Office, values: dict[str, Any], *, now: datetime, actor: Actor
) -> None:
    """Change the office's settings; a new blank-card count is its own audit entry. The guest
    Wi-Fi's password is written to the trail as "***" (set) or None (an open network)."""
    if "card_stock" in values and values["card_stock"] != office.card_stock:
        record_change(
            session,
            actor,
            now,
            "stock.set",
            office.slug,
            {"card_stock": [office.card_stock, values["card_stock"]]},
            office.id,
        )
    diff = changes(office, values)
    diff.pop("card_stock", None)
    if "wifi_password" in diff:
        # The trail says that the guest Wi-Fi's password changed, never what it is.
        diff["wifi_password"] = [_masked(value) for value in diff["wifi_password"]]
    record_change(session, actor, now, "office.update", office.slug, diff, office.id)
    bump_seq(session, office.id)  # screens pick up the new text


def _masked(secret: str | None) -> str | None:
    return PASSWORD_MASK if secret else None


def set_hours(
    session: Session,
    office: Office,
    week: list[tuple[str, time | None, time | None]],
    *,
    now: datetime,
    actor: Actor,
) -> None:
    """Set the weekly hours: ``week`` is (day name, opens, closes) from Monday; a day with no
    opening time is closed."""
    by_day = {h.weekday: h for h in office.hours}
    diff = {}
    for weekday, (name, opens, closes) in enumerate(week):
        row = by_day.get(weekday)
        before = [row.opens.isoformat(), row.closes.isoformat()] if row else None
        if opens is None or closes is None:
            if row is not None:
                office.hours.remove(row)
        elif row is None:
            office.hours.append(OpeningHours(weekday=weekday, opens=opens, closes=closes))
        else:
            row.opens, row.closes = opens, closes
        after = [opens.isoformat(), closes.isoformat()] if opens and closes else None
        if before != after:
            diff[name] = [before, after]
    record_change(session, actor, now, "hours.update", office.slug, diff, office.id)
    bump_seq(session, office.id)


@dataclass(frozen=True)
class Special:
    """A day that differs from the week: closed, or open at other hours."""

    day: date
    is_open: bool
    opens: time | None = None
    closes: time | None = None
    note: str = ""


def add_special_day(
    session: Session, office: Office, special: Special, *, now: datetime, actor: Actor
) -> SpecialDay:
    """Raises InvalidInput ``day_taken`` when the date already has one."""
    taken = session.scalar(
        select(SpecialDay.id).where(
            SpecialDay.office_id == office.id, SpecialDay.day == special.day
        )
    )
    if taken is not None:
        raise InvalidInput(
            N_("This date already has a special day; remove it first."), error_code="day_taken"
        )
    row = SpecialDay(
        office_id=office.id,
        day=special.day,
        is_open=special.is_open,
        opens=special.opens if special.is_open else None,
        closes=special.closes if special.is_open else None,
        note=special.note.strip(),
    )
    session.add(row)
    record_change(
        session,
        actor,
        now,
        "special_day.add",
        office.slug,
        {special.day.isoformat(): [None, "open" if special.is_open else "closed"]},
        office.id,
    )
    bump_seq(session, office.id)
    return row


def remove_special_day(
    session: Session, office: Office, day_id: int, *, now: datetime, actor: Actor
) -> None:
    """Raises NotFound for a day of another office or none."""
    row = session.get(SpecialDay, day_id)
    if row is None or row.office_id != office.id:
        raise NotFound(N_("There is no such special day."), error_code="unknown_day")
    record_change(
        session,
        actor,
        now,
        "special_day.remove",
        office.slug,
        {row.day.isoformat(): ["open" if row.is_open else "closed", None]},
        office.id,
    )
    session.delete(row)
    bump_seq(session, office.id)


def _has_tickets(session: Session, service: Service) -> bool:
    found = session.scalar(select(Ticket.id).where(Ticket.issued_service_id == service.id).limit(1))
    return found is not None


def save_service(
    session: Session,
    office: Office,
    service: Service | None,
    values: dict[str, Any],
    *,
    now: datetime,
    actor: Actor,
) -> Service:
    """Create (``service`` None) or change a service.

    Raises InvalidInput ``letter_taken`` (another service of the office has the letter) or
    ``letter_fixed`` (the service has tickets: their codes carry its letter)."""
    twin = session.scalar(
        select(Service.id).where(Service.office_id == office.id, Service.code == values["code"])
    )
    if twin is not None and (service is None or twin != service.id):
        raise InvalidInput(
            N_("Another service of this office uses this letter."), error_code="letter_taken"
        )
    if service is not None and values["code"] != service.code and _has_tickets(session, service):
        raise InvalidInput(
            N_("The letter of a service with tickets cannot change; add a new service instead."),
            error_code="letter_fixed",
        )
    service, diff, created = create_or_change(
        session, service, Service, {"office_id": office.id, **values}
    )
    action = "service.create" if created else "service.update"
    record_change(session, actor, now, action, f"service {values['code']}", diff, office.id)
    bump_seq(session, office.id)
    return service


def save_booking_plan(
    session: Session,
    office: Office,
    service: Service,
    values: dict[str, Any],
    *,
    now: datetime,
    actor: Actor,
) -> BookingPlan:
    """Create or change when ``service`` takes bookings. Bookings already made keep their
    places; a shorter plan only stops new ones."""
    plan = session.get(BookingPlan, service.id)
    plan, diff, _created = create_or_change(
        session, plan, BookingPlan, {"service_id": service.id, **values}
    )
    record_change(session, actor, now, "booking.plan", f"service {service.code}", diff, office.id)
    bump_seq(session, office.id)  # the public page says whether the service takes bookings
    return plan


def save_counter(
    session: Session,
    office: Office,
    counter: Counter | None,
    values: dict[str, Any],
    letters: list[str],
    *,
    now: datetime,
    actor: Actor,
) -> Counter:
    """Create (``counter`` None) or change a counter and the services it calls, in order.

    Raises InvalidInput ``number_taken`` or ``unknown_letters`` (a letter no service of the
    office has, or one given twice)."""
    twin = session.scalar(
        select(Counter.id).where(Counter.office_id == office.id, Counter.number == values["number"])
    )
    if twin is not None and (counter is None or twin != counter.id):
        raise InvalidInput(
            N_("Another counter of this office has this number."), error_code="number_taken"
        )
    by_code = {s.code: s for s in office.services}
    if any(c not in by_code for c in letters) or len(set(letters)) != len(letters):
        raise InvalidInput(
            N_("Give each service letter once, from: %(codes)s."),
            error_code="unknown_letters",
            codes=" ".join(by_code),
        )
    counter, diff, created = create_or_change(
        session, counter, Counter, {"office_id": office.id, **values}
    )
    action = "counter.create" if created else "counter.update"
    before = [link.service.code for link in counter.links]
    if before != letters:
        counter.links = [
            CounterService(service=by_code[c], position=i) for i, c in enumerate(letters)
        ]
        diff["services"] = [before, letters]
    record_change(session, actor, now, action, f"counter {values['number']}", diff, office.id)
    session.flush()
    for code in set(before) | set(letters):
        record(session, QueueMoved(office.id, by_code[code].id))
    bump_seq(session, office.id)
    return counter
