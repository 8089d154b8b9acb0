"""Ticket numbers: consecutive per office, service and office-local day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from app import domain
from app.models import Ticket
from tests.factories import make_office

from .conftest import KIOSK, DomainDesk


def test_codes_count_up_per_service_from_one(desk):
    codes = [desk.issue("A").code, desk.issue("A").code, desk.issue("C").code, desk.issue("A").code]
    assert codes == ["A-001", "A-002", "C-001", "A-003"]


def test_numbers_are_separate_per_office(desk):
    other = DomainDesk(make_office(desk.session, "oebobo", services="A", counters=((1, "A"),)))
    desk.session.commit()
    assert desk.issue("A").code == "A-001"
    assert other.issue("A").code == "A-001"
    assert desk.issue("A").code == "A-002"


def test_numbering_restarts_at_midnight_wita_not_utc(desk):
    desk.now = datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)  # 23:59:59 WITA
    assert desk.issue("A").code == "A-001"
    assert desk.issue("A").code == "A-002"
    desk.now = datetime(2026, 11, 30, 16, 0, 0, tzinfo=UTC)  # 00:00 WITA, 1 Dec
    first = desk.issue("A")
    assert (first.code, first.day.isoformat()) == ("A-001", "2026-12-01")


def test_number_past_999_keeps_all_digits():
    from app.domain.numbering import format_code

    assert format_code("B", 7) == "B-007"
    assert format_code("B", 1234) == "B-1234"


def test_refused_ticket_leaves_no_gap(desk):
    desk.office.services[0].daily_quota = 2
    desk.session.commit()
    desk.issue("A")
    desk.issue("A")
    desk.refused(
        domain.Closed,
        domain.issue,
        desk.session,
        desk.office.slug,
        "A",
        priority=False,
        now=desk.now,
        actor=KIOSK,
    )
    desk.office.services[0].daily_quota = 3
    desk.session.commit()
    assert desk.issue("A").code == "A-003"


def test_database_refuses_a_duplicate_number(desk):
    ticket = desk.issue("A")
    twin = Ticket(
        **{
            c.name: getattr(ticket, c.name)
            for c in Ticket.__table__.columns
            if c.name not in ("id", "token")
        },
        token="another-token-1234",
    )
    desk.session.add(twin)
    with pytest.raises(IntegrityError):
        desk.session.flush()
    desk.session.rollback()
