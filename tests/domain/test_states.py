"""Every status move the table allows works; every other one is refused and changes nothing."""

from __future__ import annotations

import pytest

from app import domain
from app.models import STAGES, STATUSES, TicketEvent

from .conftest import DomainDesk
from .journey_table import STAGE_TABLE, STATUS_ORDER, target

ACTIONS = ["recall", "start", "finish", "no_show", "requeue", "transfer", "cancel"]


def _ticket_in(desk: DomainDesk, status: str):
    """A ticket of service A brought to ``status`` through real moves."""
    ticket = desk.issue("A")
    if status == "waiting":
        return ticket
    desk.call(1)
    if status == "called":
        return ticket
    if status == "serving":
        return desk.do("start", ticket)
    if status == "done":
        return desk.do("finish", ticket)
    if status == "no_show":
        return desk.do("no_show", ticket)
    if status == "cancelled":
        return desk.do("cancel", ticket)
    raise AssertionError(status)


def _act(desk: DomainDesk, action: str, ticket):
    if action == "transfer":
        return domain.transfer(desk.session, ticket.id, "C", now=desk.now, actor=desk_actor())
    fn = getattr(domain, action)
    return fn(desk.session, ticket.id, now=desk.now, actor=desk_actor())


def desk_actor():
    from .conftest import OPERATOR

    return OPERATOR


def test_the_hand_written_table_covers_every_status_and_stage():
    assert STATUS_ORDER == STATUSES
    assert {s for pair in STAGE_TABLE for s in pair} == set(STAGES)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_move_allowed_exactly_when_the_table_says(desk, status, action):
    ticket = _ticket_in(desk, status)
    before = desk.session.query(TicketEvent).count()
    expected = target(action, status)
    if expected is not None:
        moved = _act(desk, action, ticket)
        desk.session.commit()
        assert moved.status == expected
        assert desk.session.query(TicketEvent).count() == before + 1
    else:
        err = desk.refused(domain.InvalidTransition, _act, desk, action, ticket)
        assert err.code == "invalid_transition"
        assert ticket.code in err.message
        desk.session.expire_all()
        assert desk.session.get(type(ticket), ticket.id).status == status
        assert desk.session.query(TicketEvent).count() == before


def test_whole_journey_of_a_card_is_logged_in_order(desk):
    ticket = desk.issue("A")
    desk.call(1)
    desk.do("start", ticket)
    desk.do("finish", ticket)
    assert (ticket.status, ticket.stage) == ("done", "ready_to_print")
    desk.stage(ticket, "printed")
    desk.stage(ticket, "handed_over")
    actions = [
        (e.action, e.to_status, e.to_stage)
        for e in desk.session.query(TicketEvent)
        .filter_by(ticket_id=ticket.id)
        .order_by(TicketEvent.id)
    ]
    assert actions == [
        ("issue", "waiting", None),
        ("call", "called", None),
        ("start", "serving", None),
        ("finish", "done", "ready_to_print"),
        ("stage", "done", "printed"),
        ("stage", "done", "handed_over"),
    ]


def test_finish_without_card_sets_no_stage(desk):
    ticket = desk.issue("C")
    desk.call(3)
    desk.do("finish", ticket)
    assert (ticket.status, ticket.stage) == ("done", None)


def test_finish_and_no_show_work_straight_from_called(desk):
    first, second = desk.issue("A"), desk.issue("A")
    desk.call(1)
    desk.call(2)
    assert desk.do("finish", first).status == "done"
    assert desk.do("no_show", second).status == "no_show"


def test_transfer_keeps_the_code_and_queues_in_the_new_service(desk):
    ticket = desk.issue("A")
    desk.call(1)
    moved = domain.transfer(desk.session, ticket.id, "C", now=desk.now, actor=desk_actor())
    desk.session.commit()
    assert (moved.code, moved.status, moved.service.code, moved.issued_service.code) == (
        "A-001",
        "waiting",
        "C",
        "A",
    )
    assert desk.call(3).id == ticket.id
    # The counter it left is free again.
    assert desk.call(1) is None


def test_transfer_to_the_same_service_is_refused(desk):
    ticket = desk.issue("A")
    err = desk.refused(
        domain.InvalidInput,
        domain.transfer,
        desk.session,
        ticket.id,
        "A",
        now=desk.now,
        actor=desk_actor(),
    )
    assert err.code == "same_service"


def test_requeue_only_on_the_day_of_issue(desk):
    from datetime import timedelta

    ticket = desk.issue("A")
    desk.call(1)
    desk.do("no_show", ticket)
    desk.now += timedelta(days=1)
    err = desk.refused(
        domain.InvalidTransition,
        domain.requeue,
        desk.session,
        ticket.id,
        now=desk.now,
        actor=desk_actor(),
    )
    assert "2026-11-30" in err.message
