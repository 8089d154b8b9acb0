"""Who is called next: priority first with an anti-starvation rule, oldest across services."""

from __future__ import annotations

from datetime import timedelta

from app import domain

from .conftest import OPERATOR


def test_plain_tickets_are_called_in_order_of_arrival(desk):
    tickets = []
    for _ in range(3):
        tickets.append(desk.issue("A"))
        desk.now += timedelta(seconds=30)
    called = []
    for _ in range(3):
        ticket = desk.call(1)
        called.append(ticket.id)
        desk.do("finish", ticket)
    assert called == [t.id for t in tickets]


def test_priority_ticket_goes_before_earlier_plain_tickets(desk):
    plain = desk.issue("A")
    desk.now += timedelta(minutes=10)
    elder = desk.issue("A", priority=True)
    assert desk.call(1).id == elder.id
    assert desk.call(2).id == plain.id


def test_plain_ticket_waiting_over_an_hour_longer_goes_first(desk):
    # Anti-starvation: a priority ticket counts as arrived 60 minutes earlier, no more.
    plain = desk.issue("A")
    desk.now += timedelta(minutes=61)
    elder = desk.issue("A", priority=True)
    assert desk.call(1).id == plain.id
    assert desk.call(2).id == elder.id


def test_boost_is_an_office_setting(desk):
    desk.office.priority_boost_min = 5
    desk.session.commit()
    plain = desk.issue("A")
    desk.now += timedelta(minutes=6)
    desk.issue("A", priority=True)
    assert desk.call(1).id == plain.id


def test_counter_with_several_services_takes_the_oldest_across_them(desk):
    counter = desk.counter(3)
    from app.models import CounterService

    counter.links.append(CounterService(service=desk.office.services[0], position=1))  # A
    desk.session.commit()
    c1 = desk.issue("C")
    desk.now += timedelta(minutes=1)
    a1 = desk.issue("A")
    desk.now += timedelta(minutes=1)
    c2 = desk.issue("C")
    called = []
    for _ in range(3):
        ticket = desk.call(3)
        called.append(ticket.id)
        desk.do("finish", ticket)
    assert called == [c1.id, a1.id, c2.id]


def test_service_order_counter_empties_its_first_service_first(desk):
    counter = desk.counter(3)
    from app.models import CounterService

    counter.links.append(CounterService(service=desk.office.services[0], position=1))  # A second
    counter.call_order = "service_order"
    desk.session.commit()
    a1 = desk.issue("A")
    desk.now += timedelta(minutes=1)
    c1 = desk.issue("C")
    first = desk.call(3)
    desk.do("finish", first)
    assert (first.id, desk.call(3).id) == (c1.id, a1.id)


def test_transfer_keeps_the_place_by_arrival_time(desk):
    early = desk.issue("A")
    desk.now += timedelta(minutes=5)
    late_c = desk.issue("C")
    desk.call(1)
    # Later than both arrivals: a transfer that sent the ticket to the back would now lose to
    # late_c (at the same instant the ids' order would hide it).
    desk.now += timedelta(minutes=5)
    domain.transfer(desk.session, early.id, "C", now=desk.now, actor=OPERATOR)
    desk.session.commit()
    assert desk.call(3).id == early.id
    assert late_c.status == "waiting"


def test_requeued_absent_ticket_goes_to_the_back(desk):
    first, second = desk.issue("A"), desk.issue("A")
    desk.now += timedelta(minutes=1)
    third = desk.issue("A")
    desk.call(1)
    desk.now += timedelta(minutes=5)
    desk.do("no_show", first)
    desk.do("requeue", first)
    assert [desk.call(1).id, desk.call(2).id] == [second.id, third.id]
    desk.do("finish", second)
    assert desk.call(1).id == first.id


def test_paused_counter_calls_nobody(desk):
    desk.issue("A")
    domain.set_counter_open(desk.session, desk.counter(1).id, False, now=desk.now, actor=OPERATOR)
    desk.session.commit()
    err = desk.refused(
        domain.InvalidTransition,
        domain.call_next,
        desk.session,
        desk.counter(1).id,
        now=desk.now,
        actor=OPERATOR,
    )
    assert err.code == "counter_paused"


def test_busy_counter_refuses_call_next_naming_its_ticket(desk):
    desk.issue("A")
    desk.issue("A")
    held = desk.call(1)
    err = desk.refused(
        domain.CounterBusy,
        domain.call_next,
        desk.session,
        desk.counter(1).id,
        now=desk.now,
        actor=OPERATOR,
    )
    assert held.code in err.message


def test_call_next_with_nobody_waiting_returns_none(desk):
    assert desk.call(1) is None
