"""Undoing a slip at the counter: "absent" or "finish" taken back within seconds (issue 11,
point 9). The ticket is again what it was, at the same counter; anything later refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import domain
from app.domain.calling import UNDO_SECONDS
from app.models import TicketEvent

from .conftest import CLERK, DomainDesk


@pytest.mark.parametrize("before", ["called", "serving"])
@pytest.mark.parametrize("slip", ["no_show", "finish"])
def test_a_slip_is_undone_to_exactly_what_it_was(desk: DomainDesk, before, slip):
    ticket = desk.issue("C")  # C makes no card
    desk.call(3)
    if before == "serving":
        desk.do("start", ticket)
    desk.do(slip, ticket)
    desk.now += timedelta(seconds=5)
    undone = desk.do("undo", ticket)
    assert undone.status == before and undone.counter_id == desk.counter(3).id
    assert undone.finished_at is None and undone.no_show_at is None
    log = desk.session.query(TicketEvent).order_by(TicketEvent.id.desc()).first()
    assert (log.action, log.to_status) == ("undo", before)
    # Undone once: there is nothing left to undo.
    desk.refused(domain.InvalidTransition, desk.do, "undo", ticket)


def test_a_card_put_in_production_by_mistake_leaves_it_again(desk: DomainDesk):
    ticket = desk.issue("A")  # A makes a card
    desk.call(1)
    desk.do("start", ticket)
    desk.do("finish", ticket)
    assert ticket.stage == "ready_to_print"
    undone = desk.do("undo", ticket)
    assert (undone.status, undone.stage, undone.ready_at) == ("serving", None, None)


def test_a_card_the_clerk_already_moved_cannot_be_undone(desk: DomainDesk):
    ticket = desk.issue("A")
    desk.call(1)
    desk.do("finish", ticket)
    desk.stage(ticket, "printed")
    err = desk.refused(domain.InvalidTransition, desk.do, "undo", ticket)
    assert "moved on" in err.message


def test_too_late_to_undo(desk: DomainDesk):
    ticket = desk.issue("C")
    desk.call(3)
    desk.do("no_show", ticket)
    desk.now += timedelta(seconds=UNDO_SECONDS + 1)
    err = desk.refused(domain.InvalidTransition, desk.do, "undo", ticket)
    assert "too late" in err.message


def test_not_when_the_counter_took_another_ticket(desk: DomainDesk):
    first, second = desk.issue("C"), desk.issue("C")
    desk.call(3)
    desk.do("no_show", first)
    assert desk.call(3).id == second.id
    err = desk.refused(domain.CounterBusy, desk.do, "undo", first)
    assert "another ticket" in err.message


def test_not_after_it_was_put_back_in_the_queue(desk: DomainDesk):
    ticket = desk.issue("C")
    desk.call(3)
    desk.do("no_show", ticket)
    desk.do("requeue", ticket)
    desk.refused(domain.InvalidTransition, desk.do, "undo", ticket)


def test_a_clerk_may_not_undo_a_counter_move(desk: DomainDesk):
    ticket = desk.issue("C")
    desk.call(3)
    desk.do("no_show", ticket)
    desk.refused(domain.Forbidden, desk.do, "undo", ticket, actor=CLERK)
