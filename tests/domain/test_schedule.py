"""Opening hours, special days, the cut-off and the daily quota, with frozen time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app import domain
from app.models import SpecialDay
from tests.factories import make_office

from .conftest import KIOSK, DomainDesk

WITA = ZoneInfo("Asia/Makassar")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An office-local (WITA) moment as aware UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=WITA).astimezone(UTC)


MONDAY = date(2026, 11, 30)
SATURDAY = date(2026, 12, 5)
SUNDAY = date(2026, 12, 6)


@pytest.fixture
def office_desk(any_app):
    from app.extensions import db

    with any_app.app_context():
        office = make_office(db.session, always_open=False, cutoff=time(15, 0))
        db.session.commit()
        yield DomainDesk(office)


def refusal(desk: DomainDesk, when: datetime, service: str = "A") -> domain.Closed:
    desk.now = when
    return desk.refused(
        domain.Closed,
        domain.issue,
        desk.session,
        desk.office.slug,
        service,
        priority=False,
        now=when,
        actor=KIOSK,
    )


def test_open_during_hours(office_desk):
    office_desk.now = at(MONDAY, 8, 0)
    assert office_desk.issue("A").code == "A-001"
    office_desk.now = at(MONDAY, 14, 59)
    assert office_desk.issue("A").code == "A-002"


def test_before_opening_says_when_it_opens_today(office_desk):
    err = refusal(office_desk, at(MONDAY, 7, 30))
    assert err.code == "service_closed"
    assert err.params["next_open"] == at(MONDAY, 8, 0)


def test_cut_off_refuses_and_names_the_next_working_day(office_desk):
    err = refusal(office_desk, at(MONDAY, 15, 0))
    assert err.code == "service_closed"
    assert err.params["next_open"] == at(date(2026, 12, 1), 8, 0)


def test_weekend_is_closed_until_monday(office_desk):
    err = refusal(office_desk, at(SATURDAY, 9, 0))
    assert err.params["next_open"] == at(date(2026, 12, 7), 8, 0)


def test_special_saturday_session_opens(office_desk):
    office_desk.office.special_days.append(
        SpecialDay(day=SATURDAY, is_open=True, opens=time(8), closes=time(12), note="Sabtu")
    )
    office_desk.session.commit()
    office_desk.now = at(SATURDAY, 9, 0)
    assert office_desk.issue("A").code == "A-001"
    err = refusal(office_desk, at(SATURDAY, 12, 0))
    assert err.params["next_open"] == at(date(2026, 12, 7), 8, 0)


def test_holiday_closes_a_working_day(office_desk):
    office_desk.office.special_days.append(
        SpecialDay(day=MONDAY, is_open=False, note="Libur nasional")
    )
    office_desk.session.commit()
    err = refusal(office_desk, at(MONDAY, 9, 0))
    assert err.code == "office_closed"
    assert err.params["note"] == "Libur nasional"
    assert err.params["next_open"] == at(date(2026, 12, 1), 8, 0)


def test_daily_quota_refuses_until_tomorrow(office_desk):
    office_desk.office.services[0].daily_quota = 1
    office_desk.session.commit()
    office_desk.now = at(MONDAY, 9, 0)
    office_desk.issue("A")
    err = refusal(office_desk, at(MONDAY, 9, 5))
    assert err.code == "quota_reached"
    assert err.params["quota"] == 1
    assert err.params["next_open"] == at(date(2026, 12, 1), 8, 0)
    office_desk.now = at(MONDAY, 9, 6)
    assert office_desk.issue("C").code == "C-001"  # other services unaffected


def test_inactive_service_is_refused(office_desk):
    office_desk.office.services[0].active = False
    office_desk.session.commit()
    assert refusal(office_desk, at(MONDAY, 9)).code == "service_inactive"


def test_always_open_office_issues_at_night(office_desk):
    office_desk.office.always_open = True
    office_desk.session.commit()
    office_desk.now = at(SUNDAY, 2, 0)
    assert office_desk.issue("A").code == "A-001"


def test_open_services_reports_each_service(office_desk):
    office_desk.office.services[1].active = False
    office_desk.session.commit()
    refusals = domain.open_services(office_desk.session, office_desk.office, at(MONDAY, 9))
    assert [r.code if r else None for r in refusals.values()] == [None, "service_inactive", None]
    refusals = domain.open_services(office_desk.session, office_desk.office, at(MONDAY, 20))
    assert {r.code for r in refusals.values()} == {"service_closed", "service_inactive"}
    assert next(iter(refusals.values())).params["next_open"] == at(date(2026, 12, 1), 8, 0)
