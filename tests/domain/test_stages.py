"""The card's stages after recording."""

from __future__ import annotations

import pytest

from app import domain
from app.domain.events import Announced, pending

from .conftest import CLERK, KIOSK
from .journey_table import stage_allowed

STAGES = ("ready_to_print", "printed", "handed_over", "blocked")


@pytest.fixture
def recorded(desk):
    ticket = desk.issue("A")
    desk.call(1)
    desk.do("finish", ticket)
    return ticket


def _card_at(desk, ticket, stage: str):
    """``ticket``'s card (ready to print) brought to ``stage`` through real moves."""
    if stage in ("printed", "handed_over"):
        desk.stage(ticket, "printed")
    if stage == "handed_over":
        desk.stage(ticket, "handed_over")
    if stage == "blocked":
        desk.stage(ticket, "blocked", reason="not_print_ready")
    assert ticket.stage == stage


@pytest.mark.parametrize("start", STAGES)
@pytest.mark.parametrize("to", STAGES)
def test_stage_change_allowed_exactly_when_the_hand_written_table_says(desk, recorded, start, to):
    _card_at(desk, recorded, start)
    reason = {"reason": "other"} if to == "blocked" else {}
    if stage_allowed(start, to):
        assert desk.stage(recorded, to, **reason).stage == to
    else:
        err = desk.refused(
            domain.InvalidTransition,
            domain.set_stage,
            desk.session,
            recorded.id,
            to,
            now=desk.now,
            actor=CLERK,
            **reason,
        )
        assert recorded.code in err.message
        desk.session.expire_all()
        assert recorded.stage == start


def test_printed_then_handed_over(desk, recorded):
    desk.stage(recorded, "printed")
    assert recorded.printed_at == desk.now
    desk.stage(recorded, "handed_over")
    assert (recorded.stage, recorded.handed_over_at) == ("handed_over", desk.now)


def test_printed_announces_pickup(desk, recorded):
    domain.set_stage(
        desk.session, recorded.id, "printed", now=desk.now, actor=domain.Actor(None, "clerk", None)
    )
    kinds = [e.kind for e in pending(desk.session) if isinstance(e, Announced)]
    desk.session.commit()
    assert kinds == ["pickup"]


def test_handing_over_an_unprinted_card_is_refused(desk, recorded):
    err = desk.refused(
        domain.InvalidTransition,
        domain.set_stage,
        desk.session,
        recorded.id,
        "handed_over",
        now=desk.now,
        actor=domain.Actor(None, "clerk", None),
    )
    assert recorded.code in err.message


def test_blocked_needs_a_reason_and_can_come_back(desk, recorded):
    clerk = domain.Actor(None, "clerk", None)
    err = desk.refused(
        domain.InvalidInput,
        domain.set_stage,
        desk.session,
        recorded.id,
        "blocked",
        now=desk.now,
        actor=clerk,
    )
    assert err.code == "reason_required"
    desk.stage(recorded, "blocked", reason="no_blank_cards", note="stok blangko habis")
    assert (recorded.stage, recorded.block_reason) == ("blocked", "no_blank_cards")
    desk.stage(recorded, "printed")
    assert (recorded.stage, recorded.block_reason) == ("printed", None)


def test_note_alone_blocks_with_reason_other(desk, recorded):
    desk.stage(recorded, "blocked", note="data ganda")
    assert recorded.block_reason == "other"


def test_ticket_without_a_card_has_no_stages(desk):
    ticket = desk.issue("C")
    desk.call(3)
    desk.do("finish", ticket)
    desk.refused(
        domain.InvalidTransition,
        domain.set_stage,
        desk.session,
        ticket.id,
        "printed",
        now=desk.now,
        actor=domain.Actor(None, "clerk", None),
    )


def test_kiosk_may_not_change_stages(desk, recorded):
    err = desk.refused(
        domain.Forbidden,
        domain.set_stage,
        desk.session,
        recorded.id,
        "printed",
        now=desk.now,
        actor=KIOSK,
    )
    assert err.status == 403


def test_pickup_list_keeps_uncollected_cards_on_later_days(desk, recorded):
    from datetime import timedelta

    desk.stage(recorded, "printed")
    desk.now += timedelta(days=2)
    board = domain.board(desk.session, desk.office, desk.now)
    assert board["pickup"] == ["A-001"]
    assert board["pickup_items"][0]["day"] == "2026-11-30"


def test_printing_counts_blank_cards_and_refuses_at_zero(desk, recorded):
    desk.office.card_stock = 1
    desk.session.commit()
    desk.stage(recorded, "printed")
    assert desk.office.card_stock == 0
    second = desk.issue("A")
    desk.call(2)
    desk.do("finish", second)
    err = desk.refused(
        domain.InvalidTransition,
        domain.set_stage,
        desk.session,
        second.id,
        "printed",
        now=desk.now,
        actor=domain.Actor(None, "clerk", None),
    )
    assert err.code == "no_blank_cards" and "suket" in err.message and "IKD" in err.message
    # The advice works: block it for "no blank cards" while stock is out.
    desk.stage(second, "blocked", reason="no_blank_cards")
    assert second.block_reason == "no_blank_cards"


def test_offices_that_do_not_count_cards_print_without_limit(desk, recorded):
    assert desk.office.card_stock is None
    desk.stage(recorded, "printed")
    assert desk.office.card_stock is None
