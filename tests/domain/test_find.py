"""Finding a ticket at the handover desk: by typed code or by a scanned status link."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import domain


@pytest.fixture
def printed(desk):
    ticket = desk.issue("A")
    desk.call(1)
    desk.do("finish", ticket)
    desk.stage(ticket, "printed")
    return ticket


def _find(desk, text):
    return [
        t.id
        for t in domain.find_tickets(
            desk.session, desk.office, text, domain.local_day(desk.now, desk.office.timezone)
        )
    ]


@pytest.mark.parametrize("typed", ["A-001", "a-001", "A001", "a1", " A - 1 "])
def test_typed_codes_in_any_shape(desk, printed, typed):
    assert _find(desk, typed) == [printed.id]


def test_a_scanned_status_link_or_token(desk, printed):
    assert _find(desk, f"http://192.168.1.10:5000/t/{printed.token}") == [printed.id]
    assert _find(desk, printed.token) == [printed.id]
    assert _find(desk, "http://x/t/unknown-token-123") == []


def test_codes_repeat_daily_so_older_uncollected_cards_come_too(desk, printed):
    desk.now += timedelta(days=1)
    today = desk.issue("A")
    assert _find(desk, "A-001") == [today.id, printed.id]


def test_another_office_ticket_is_not_found(desk, printed):
    from tests.factories import make_office

    other = make_office(desk.session, "oebobo", services="A", counters=((1, "A"),))
    desk.session.commit()
    assert (
        domain.find_tickets(
            desk.session, other, printed.token, domain.local_day(desk.now, other.timezone)
        )
        == []
    )


def test_nonsense_finds_nothing(desk, printed):
    assert _find(desk, "") == [] and _find(desk, "hello") == [] and _find(desk, "A-") == []
