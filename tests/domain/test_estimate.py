"""People ahead and the estimated wait."""

from __future__ import annotations

from datetime import timedelta

from app import domain
from app.domain.estimate import ahead_of, service_rate

from .conftest import OPERATOR


def test_ahead_counts_the_tickets_called_before(desk):
    tickets = [desk.issue("A") for _ in range(4)]
    assert [ahead_of(desk.session, t) for t in tickets] == [0, 1, 2, 3]
    desk.issue("C")  # another service does not count
    assert ahead_of(desk.session, tickets[3]) == 3


def test_priority_ticket_is_ahead_of_earlier_plain_ones(desk):
    plain = desk.issue("A")
    desk.now += timedelta(minutes=1)
    elder = desk.issue("A", priority=True)
    assert (ahead_of(desk.session, elder), ahead_of(desk.session, plain)) == (0, 1)


def test_default_service_time_before_any_history(desk):
    service = desk.office.services[0]
    rate = service_rate(desk.session, service, desk.now)
    assert (rate.average_s, rate.open_counters) == (300.0, 2)
    assert rate.wait_s(4) == 600  # 4 people x 300 s / 2 counters


def test_moving_average_of_recent_service_times(desk):
    for minutes in (4, 6):
        ticket = desk.issue("A")
        desk.call(1)
        desk.now += timedelta(minutes=minutes)
        desk.do("finish", ticket)
    rate = service_rate(desk.session, desk.office.services[0], desk.now)
    assert rate.average_s == 300.0  # (240 + 360) / 2
    waiting = [desk.issue("A") for _ in range(3)]
    ahead, wait = domain.estimate(desk.session, waiting[2], desk.now)
    assert (ahead, wait) == (2, 300)  # 2 ahead x 300 s / 2 counters


def test_paused_counter_leaves_the_estimate(desk):
    domain.set_counter_open(desk.session, desk.counter(2).id, False, now=desk.now, actor=OPERATOR)
    desk.session.commit()
    waiting = [desk.issue("A") for _ in range(3)]
    assert domain.estimate(desk.session, waiting[2], desk.now) == (2, 600)


def test_tickets_out_of_the_queue_have_no_estimate(desk):
    ticket = desk.issue("A")
    desk.call(1)
    assert domain.estimate(desk.session, ticket, desk.now) == (0, 0)
    desk.do("finish", ticket)
    assert domain.estimate(desk.session, ticket, desk.now) == (None, None)
