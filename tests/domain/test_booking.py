"""Booking ahead, with a frozen clock: slots and special days, capacity and the walk-in share,
the check-in window, the queue place of a booking, missed and cancelled bookings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from app import domain
from app.domain import booking as booking_domain
from app.domain.errors import Closed, InvalidTransition, NotFound
from app.extensions import db
from app.models import BookingPlan, SpecialDay
from tests.domain.conftest import KIOSK, OPERATOR, DomainDesk
from tests.factories import make_office

# T0 is Monday 30 November 2026, 09:00 WITA (01:00 UTC).
TUESDAY = date(2026, 12, 1)
SATURDAY = date(2026, 12, 5)


def wita(day: date, hour: int, minute: int = 0) -> datetime:
    """An office-local (UTC+8) time as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def _plan(service_id: int, **fields) -> BookingPlan:
    """Monday to Friday, 08:00-12:00 in 30-minute slots of 2 places, 60 % for walk-ins."""
    values = {
        "enabled": True,
        "weekdays": "01234",
        "starts": time(8),
        "ends": time(12),
        "slot_min": 30,
        "places": 2,
        "walk_in_pct": 60,
        "early_min": 30,
        "late_min": 15,
        "days_ahead": 14,
        **fields,
    }
    return BookingPlan(service_id=service_id, **values)


@pytest.fixture
def office_desk(any_app):
    """An office open Monday to Friday 08:00-16:00 whose service A takes bookings from 08:00 to
    12:00 in 30-minute slots of 2 places, with a daily quota of 10 and 60 % kept for walk-ins
    (so bookings take at most 4 places a day)."""
    with any_app.app_context():
        office = make_office(db.session, always_open=False, quota={"A": 10})
        db.session.add(_plan(office.services[0].id))
        db.session.commit()
        yield DomainDesk(office)


def _slots(desk: DomainDesk, day: date, service: str = "A"):
    service_row = next(s for s in desk.office.services if s.code == service)
    return booking_domain.slots(desk.session, desk.office, service_row, day, desk.now)


def _book(desk: DomainDesk, start: datetime, client: str | None = "c1", service: str = "A"):
    booking = booking_domain.book(
        desk.session, desk.office.slug, service, start, now=desk.now, client=client
    )
    desk.session.commit()
    return booking


def _check_in(desk: DomainDesk, key: str):
    ticket, booking = booking_domain.check_in(
        desk.session, desk.office.slug, key, now=desk.now, actor=KIOSK
    )
    desk.session.commit()
    return ticket, booking


def test_slots_follow_the_plan_inside_the_day(office_desk):
    slots = _slots(office_desk, TUESDAY)
    assert [s.start.astimezone(UTC) for s in slots] == [
        wita(TUESDAY, 8) + timedelta(minutes=30 * i) for i in range(8)
    ]
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)
    assert all(s.free == 2 for s in slots)
    # Local times carry the office's offset.
    assert slots[0].start.isoformat() == "2026-12-01T08:00:00+08:00"


def test_today_offers_only_slots_not_started(office_desk):
    # 09:00 on Monday: the 09:00 slot has started, 09:30 is the first.
    slots = _slots(office_desk, date(2026, 11, 30))
    assert slots[0].start.astimezone(UTC) == wita(date(2026, 11, 30), 9, 30)
    assert len(slots) == 5


def test_no_slots_on_closed_days_or_too_far_ahead(office_desk):
    assert _slots(office_desk, SATURDAY) == []  # the office does not open
    assert _slots(office_desk, date(2026, 11, 29)) == []  # yesterday
    assert _slots(office_desk, date(2026, 11, 30) + timedelta(days=15)) == []  # past days_ahead
    assert _slots(office_desk, date(2026, 11, 30) + timedelta(days=14)) != []
    assert _slots(office_desk, TUESDAY, service="B") == []  # B takes no bookings
    office_desk.session.add(
        SpecialDay(office_id=office_desk.office.id, day=TUESDAY, is_open=False, note="Libur")
    )
    office_desk.session.commit()
    assert _slots(office_desk, TUESDAY) == []


def test_special_open_saturday_takes_bookings_when_the_plan_lists_saturday(office_desk):
    office_desk.session.add(
        SpecialDay(
            office_id=office_desk.office.id,
            day=SATURDAY,
            is_open=True,
            opens=time(8),
            closes=time(10),
            note="Sabtu Pilkada",
        )
    )
    office_desk.session.commit()
    assert _slots(office_desk, SATURDAY) == []  # the plan says Monday to Friday
    office_desk.session.get(BookingPlan, office_desk.office.services[0].id).weekdays = "012345"
    office_desk.session.commit()
    starts = [s.start.astimezone(UTC) for s in _slots(office_desk, SATURDAY)]
    assert starts == [
        wita(SATURDAY, 8),
        wita(SATURDAY, 8, 30),
        wita(SATURDAY, 9),
        wita(SATURDAY, 9, 30),
    ]


def test_a_slot_holds_its_places_and_then_is_full(office_desk):
    start = wita(TUESDAY, 8)
    first = _book(office_desk, start)
    assert first.status == "booked" and len(first.code) == 7
    assert set(first.code) <= set(booking_domain.CODE_ALPHABET)
    assert _slots(office_desk, TUESDAY)[0].free == 1
    _book(office_desk, start, client="c2")
    assert _slots(office_desk, TUESDAY)[0].start.astimezone(UTC) == wita(TUESDAY, 8, 30)
    refusal = office_desk.refused(Closed, _book, office_desk, start, "c3")
    assert refusal.code == "slot_full"


def test_bookings_never_take_the_walk_in_share(office_desk):
    # Quota 10, 60 % for walk-ins: 4 places a day for bookings, whatever the slots hold.
    for minute, client in ((0, "a"), (0, "b"), (30, "c"), (30, "d")):
        _book(office_desk, wita(TUESDAY, 8, minute), client=client)
    assert _slots(office_desk, TUESDAY) == []
    refusal = office_desk.refused(Closed, _book, office_desk, wita(TUESDAY, 9), "e")
    assert refusal.code == "slot_full"
    # Another day is untouched.
    assert _slots(office_desk, date(2026, 12, 2))[0].free == 2


def test_walk_ins_leave_the_places_booked_for_today(office_desk):
    # Booked on Monday morning for Monday 10:00 and 10:30: 3 places of the quota of 10.
    _book(office_desk, wita(date(2026, 11, 30), 10), client="a")
    _book(office_desk, wita(date(2026, 11, 30), 10), client="b")
    _book(office_desk, wita(date(2026, 11, 30), 10, 30), client="c")
    for _ in range(7):
        office_desk.issue("A")
    refusal = office_desk.refused(Closed, office_desk.issue, "A")
    assert refusal.code == "quota_reached"
    # A booked place still checks in when walk-ins have taken the rest.
    office_desk.now = wita(date(2026, 11, 30), 9, 45)
    ticket, _ = _check_in(
        office_desk,
        booking_domain.booking_by_token(office_desk.session, _book_token(office_desk, "a")).code,
    )
    assert ticket.number == 8 and ticket.channel == "booking"


def _book_token(desk: DomainDesk, client: str) -> str:
    from sqlalchemy import select

    from app.models import Booking

    return desk.session.scalar(select(Booking.token).where(Booking.client == client))


def test_check_in_window_and_refusals(office_desk):
    booking = _book(office_desk, wita(TUESDAY, 10))
    code, token = booking.code, booking.token

    office_desk.now = wita(date(2026, 11, 30), 10)  # the day before
    assert office_desk.refused(InvalidTransition, _check_in, office_desk, code).code == "not_today"
    office_desk.now = wita(TUESDAY, 9, 29)  # 31 minutes early
    assert office_desk.refused(InvalidTransition, _check_in, office_desk, code).code == "too_early"
    office_desk.now = wita(TUESDAY, 10, 46)  # 16 minutes after the slot's end
    assert office_desk.refused(InvalidTransition, _check_in, office_desk, code).code == "too_late"
    assert booking_domain.status_at(office_desk.session, booking, office_desk.now) == "missed"

    assert office_desk.refused(NotFound, _check_in, office_desk, "ACDEFHJ").code == (
        "unknown_booking"
    )

    office_desk.now = wita(TUESDAY, 9, 30)  # exactly 30 minutes early: in
    # Typed in lower case with a space and a hyphen: the same code.
    typed = f"{code[:3].lower()} -{code[3:]}"
    ticket, checked = _check_in(office_desk, typed)
    assert checked.status == "checked_in" and ticket.code == "A-001"
    assert office_desk.refused(InvalidTransition, _check_in, office_desk, token).code == "used"


def test_scanned_link_checks_in_and_cancelled_refused(office_desk):
    kept = _book(office_desk, wita(TUESDAY, 8), client="a")
    dropped = _book(office_desk, wita(TUESDAY, 8), client="b")
    booking_domain.cancel(office_desk.session, dropped.token, now=office_desk.now)
    office_desk.session.commit()
    # The place is free again.
    assert _slots(office_desk, TUESDAY)[0].free == 1
    office_desk.now = wita(TUESDAY, 8, 5)
    refusal = office_desk.refused(InvalidTransition, _check_in, office_desk, dropped.code)
    assert refusal.code == "cancelled"
    ticket, _ = _check_in(office_desk, f"http://loket.local/b/{kept.token}")
    assert ticket.status == "waiting"


def test_a_booking_queues_at_its_slot_time(office_desk):
    booking = _book(office_desk, wita(TUESDAY, 10))
    office_desk.now = wita(TUESDAY, 9, 50)
    early_walk_in = office_desk.issue("A")
    office_desk.now = wita(TUESDAY, 10, 5)
    late_walk_in = office_desk.issue("A")
    office_desk.now = wita(TUESDAY, 10, 10)  # arrives ten minutes into its slot
    booked_ticket, _ = _check_in(office_desk, booking.code)
    called = [office_desk.call(1).id]
    office_desk.do("finish", office_desk.session.get(type(booked_ticket), called[-1]))
    called.append(office_desk.call(1).id)
    office_desk.do("finish", office_desk.session.get(type(booked_ticket), called[-1]))
    called.append(office_desk.call(1).id)
    assert called == [early_walk_in.id, booked_ticket.id, late_walk_in.id]


def test_missed_bookings_are_stored_and_free_nothing(office_desk):
    _book(office_desk, wita(TUESDAY, 8), client="a")
    _book(office_desk, wita(TUESDAY, 8), client="b")
    office_desk.now = wita(TUESDAY, 8, 46)
    assert booking_domain.mark_missed(office_desk.session, office_desk.office, office_desk.now) == 2
    office_desk.session.commit()
    # Still counted: the day's booking share (4) is not given back by people who did not come.
    _book(office_desk, wita(TUESDAY, 9), client="c")
    _book(office_desk, wita(TUESDAY, 9), client="d")
    assert _slots(office_desk, TUESDAY) == []
    refusal = office_desk.refused(Closed, _book, office_desk, wita(TUESDAY, 9, 30), "e")
    assert refusal.code == "slot_full"


def test_one_address_cannot_empty_a_day(any_app):
    with any_app.app_context():
        office = make_office(db.session, always_open=False)
        db.session.add(
            _plan(office.services[0].id, ends=time(16), slot_min=15, places=5, walk_in_pct=0)
        )
        db.session.commit()
        desk = DomainDesk(office)
        for i in range(booking_domain.PER_ADDRESS_PER_DAY):
            _book(desk, wita(TUESDAY, 8) + timedelta(minutes=15 * (i % 4)), client="same")
        refusal = desk.refused(booking_domain.TooMany, _book, desk, wita(TUESDAY, 12), "same")
        assert refusal.status == 429
        _book(desk, wita(TUESDAY, 12), client="another")


def test_cancel_after_check_in_is_refused(office_desk):
    booking = _book(office_desk, wita(TUESDAY, 8))
    office_desk.now = wita(TUESDAY, 8)
    _check_in(office_desk, booking.code)
    refusal = office_desk.refused(
        InvalidTransition,
        booking_domain.cancel,
        office_desk.session,
        booking.token,
        now=office_desk.now,
    )
    assert refusal.code == "used"
    assert domain.booking.status_at(office_desk.session, booking, office_desk.now) == "checked_in"
    _ = OPERATOR


def test_a_group_asks_then_the_office_decides(office_desk):
    from app.domain.access import Actor
    from app.domain.errors import InvalidInput

    admin = Actor(user_id=None, role="admin", office_id=None)
    # Quota 10 with 60 % for walk-ins: 4 places a day for bookings. A group of 3 fits.
    group = booking_domain.book(
        office_desk.session,
        "kupang",
        "A",
        wita(TUESDAY, 10),
        now=office_desk.now,
        client="school",
        places=3,
    )
    office_desk.session.commit()
    assert group.status == "requested" and group.is_group
    # Held while the office decides: one place is left for the day, whatever the slots hold.
    assert sum(1 for _ in _slots(office_desk, TUESDAY)) > 0
    assert {s.free for s in _slots(office_desk, TUESDAY)} == {1}
    too_big = office_desk.refused(
        Closed,
        booking_domain.book,
        office_desk.session,
        "kupang",
        "A",
        wita(TUESDAY, 10),
        now=office_desk.now,
        client="other",
        places=2,
    )
    assert too_big.code == "slot_full"
    assert (
        office_desk.refused(
            InvalidInput,
            booking_domain.book,
            office_desk.session,
            "kupang",
            "A",
            wita(TUESDAY, 10),
            now=office_desk.now,
            client="x",
            places=61,
        ).code
        == "invalid_field"
    )

    office_desk.now = wita(TUESDAY, 9, 45)
    refusal = office_desk.refused(InvalidTransition, _check_in, office_desk, group.code)
    assert refusal.code == "not_approved"
    booking_domain.decide_group(
        office_desk.session, office_desk.office, group.id, True, now=office_desk.now, actor=admin
    )
    office_desk.session.commit()
    assert (
        office_desk.refused(
            InvalidTransition,
            booking_domain.decide_group,
            office_desk.session,
            office_desk.office,
            group.id,
            False,
            now=office_desk.now,
            actor=admin,
        ).code
        == "decided"
    )
    first, _ = _check_in(office_desk, group.code)
    from sqlalchemy import select

    from app.models import Ticket

    codes = office_desk.session.scalars(
        select(Ticket.code).where(Ticket.channel == "booking").order_by(Ticket.id)
    ).all()
    assert codes == ["A-001", "A-002", "A-003"] and first.code == "A-001"
    order = [office_desk.call(1).code]
    assert order == ["A-001"]


def test_free_days_agree_with_each_days_slots(office_desk):
    _book(office_desk, wita(TUESDAY, 8), client="a")
    service = office_desk.office.services[0]
    days = booking_domain.free_days(
        office_desk.session, office_desk.office, service, office_desk.now
    )
    assert days and all(day.weekday() < 5 for day, _ in days)  # the plan: Monday to Friday
    for day, free in days:
        left = 3 if day == TUESDAY else 4  # the day's share of 4, one taken on Tuesday
        assert free == min(left, sum(s.free for s in _slots(office_desk, day)))
    assert dict(days)[TUESDAY] == 3
