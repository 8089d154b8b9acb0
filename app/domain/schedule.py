"""Opening hours, special days, the ticket cut-off and the daily quota.

Tickets are issued on an office-local day from the opening time until the earlier of the closing
time and the cut-off. A special day replaces the weekday's hours: an extra Saturday session opens
a day that is normally closed, a holiday closes a day that is normally open. ``always_open``
offices (the demo) issue at any hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    Booking,
    BookingPlan,
    DailySequence,
    Office,
    OpeningHours,
    Service,
    SpecialDay,
    check_in_closes,
)
from .clock import local, local_day, zone
from .errors import N_, Closed

LOOKAHEAD_DAYS = 62


@dataclass(frozen=True)
class Window:
    """When tickets are issued on one office-local day (aware datetimes in the office zone)."""

    day: date
    opens: datetime
    issue_until: datetime
    closes: datetime


class Calendar:
    """The office's weekly hours and its special days around ``now``, loaded on first use (an
    always-open office never needs them)."""

    def __init__(self, session: Session, office: Office, now: datetime) -> None:
        self.session = session
        self.office = office
        self.now = now

    @cached_property
    def hours(self) -> dict[int, OpeningHours]:
        return {h.weekday: h for h in self.office.hours}

    @cached_property
    def special(self) -> dict[date, SpecialDay]:
        today = local(self.now, self.office.timezone).date()
        rows = self.session.scalars(
            select(SpecialDay).where(
                SpecialDay.office_id == self.office.id,
                SpecialDay.day >= today - timedelta(days=1),
                SpecialDay.day <= today + timedelta(days=LOOKAHEAD_DAYS),
            )
        )
        return {row.day: row for row in rows}

    def window(self, day: date) -> Window | None:
        """The issuing window of ``day``, or None when the office does not open that day."""
        special = self.special.get(day)
        regular = self.hours.get(day.weekday())
        if special is not None:
            if not special.is_open:
                return None
            opens = special.opens or (regular.opens if regular else None)
            closes = special.closes or (regular.closes if regular else None)
        elif regular is not None:
            opens, closes = regular.opens, regular.closes
        else:
            return None
        if opens is None or closes is None or opens >= closes:
            return None
        until = closes
        if self.office.cutoff_time is not None and self.office.cutoff_time < until:
            until = self.office.cutoff_time
        if until <= opens:
            return None
        return Window(day, self._at(day, opens), self._at(day, until), self._at(day, closes))

    def next_opening(self, now: datetime, skip_today: bool = False) -> datetime | None:
        """The next moment tickets can be issued after ``now`` (None if none is scheduled soon)."""
        today = local(now, self.office.timezone).date()
        for offset in range(0 if not skip_today else 1, LOOKAHEAD_DAYS):
            window = self.window(today + timedelta(days=offset))
            if window is None:
                continue
            if window.issue_until <= now:
                continue
            return max(window.opens, local(now, self.office.timezone))
        return None

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=zone(self.office.timezone))


def load_calendar(session: Session, office: Office, now: datetime) -> Calendar:
    """The office's calendar around ``now`` (hours and special days load when first needed)."""
    return Calendar(session, office, now)


def service_names(service: Service) -> dict[str, str]:
    """A refusal's ``service`` parameter, with its English name for readers in English."""
    return {"service": service.name, "service_en": service.name_en or service.name}


def check_can_issue(
    calendar: Calendar, service: Service, now: datetime, numbered_today: int
) -> None:
    """Raise Closed (with when the service opens again) unless ``service`` may issue at ``now``."""
    office = calendar.office
    if not service.active:
        raise Closed(
            N_("Service %(service)s is not offered at the moment."),
            error_code="service_inactive",
            **service_names(service),
        )
    quota_full = service.daily_quota is not None and numbered_today >= service.daily_quota
    if office.always_open and not quota_full:
        return
    today = local(now, office.timezone).date()
    window = None if office.always_open else calendar.window(today)
    if quota_full:
        _refuse(
            calendar,
            now,
            True,
            "quota_reached",
            N_(
                "Today's quota of %(quota)s tickets for %(service)s has been reached; "
                "the service opens again %(next_open)s."
            ),
            N_("Today's quota of %(quota)s tickets for %(service)s has been reached."),
            **service_names(service),
            quota=service.daily_quota,
        )
    if window is None:
        special = calendar.special.get(today)
        if special is not None and not special.is_open:
            _refuse(
                calendar,
                now,
                True,
                "office_closed",
                N_(
                    "The office is closed today (%(note)s); service %(service)s opens again "
                    "%(next_open)s."
                ),
                N_("The office is closed today (%(note)s) and no opening is scheduled soon."),
                **service_names(service),
                note=special.note or "-",
            )
        _refuse(
            calendar,
            now,
            True,
            "service_closed",
            N_("Service %(service)s does not open today; it opens %(next_open)s."),
            N_("Service %(service)s does not open today and no opening is scheduled soon."),
            **service_names(service),
        )
    if now < window.opens:
        raise Closed(
            N_("Service %(service)s is not open yet; tickets are issued from %(next_open)s."),
            **service_names(service),
            next_open=window.opens,
        )
    if now >= window.issue_until:
        _refuse(
            calendar,
            now,
            True,
            "service_closed",
            N_(
                "No more tickets for %(service)s are issued today; the service opens again "
                "%(next_open)s."
            ),
            N_("No more tickets for %(service)s are issued today."),
            **service_names(service),
        )


def _refuse(
    calendar: Calendar,
    now: datetime,
    skip_today: bool,
    code: str,
    with_next: str,
    without_next: str,
    **params: object,
) -> None:
    next_open = calendar.next_opening(now, skip_today=skip_today)
    if next_open is None:
        raise Closed(without_next, error_code=code, **params)
    raise Closed(with_next, error_code=code, next_open=next_open, **params)


def reserved_today(
    session: Session, office: Office, now: datetime, service_id: int | None = None
) -> dict[int, int]:
    """Per service: places booked for today that can still check in (their slot's end plus the
    late window is not past). Walk-in tickets count them against the daily quota, so that a
    booking can always check in."""
    stmt = (
        select(Booking.service_id, Booking.end, Booking.places, BookingPlan.late_min)
        .outerjoin(BookingPlan, BookingPlan.service_id == Booking.service_id)
        .where(
            Booking.office_id == office.id,
            Booking.day == local_day(now, office.timezone),
            Booking.status.in_(("requested", "booked")),
        )
    )
    if service_id is not None:
        stmt = stmt.where(Booking.service_id == service_id)
    reserved: dict[int, int] = {}
    for service, end, places, late_min in session.execute(stmt):
        if check_in_closes(end, late_min) >= now:
            reserved[service] = reserved.get(service, 0) + places
    return reserved


def open_services(session: Session, office: Office, now: datetime) -> dict[int, Closed | None]:
    """For each service of ``office``: None when a ticket can be issued at ``now``, else the
    refusal (with when it opens again)."""
    calendar = load_calendar(session, office, now)
    today = local(now, office.timezone).date()
    counts = dict(
        session.execute(
            select(DailySequence.service_id, DailySequence.last_number).where(
                DailySequence.office_id == office.id, DailySequence.day == today
            )
        ).all()
    )
    # Bookings take from walk-ins only where there is a quota to share.
    with_quota = any(service.daily_quota is not None for service in office.services)
    reserved = reserved_today(session, office, now) if with_quota else {}
    result = {}
    for service in office.services:
        try:
            check_can_issue(
                calendar, service, now, counts.get(service.id, 0) + reserved.get(service.id, 0)
            )
        except Closed as refusal:
            result[service.id] = refusal
        else:
            result[service.id] = None
    return result
