"""Card-ready messages in the domain: who may ask, the number's forms, one message per card
whatever the card goes through, and the number erased at handover and at the end of the day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app import domain
from app.domain import Actor, notices
from app.domain.events import NoticeQueued, pending
from app.models import CardNotice

from .conftest import OPERATOR

PHONE = "0812-3456-7890"
E164 = "+6281234567890"


def _ask(desk, ticket, phone=PHONE):
    notice = notices.ask_by_token(desk.session, ticket.token, phone, now=desk.now)
    desk.session.commit()
    return notice


def _notice(desk, ticket) -> CardNotice:
    desk.session.expire_all()
    return notices.notice_of(desk.session, ticket.id)


@pytest.fixture
def recorded(desk):
    ticket = desk.issue("A")
    desk.call(1)
    desk.do("finish", ticket)
    return ticket


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("0812 3456 789", "+628123456789"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("62 812 3456 7890", "+6281234567890"),
        ("+62 (812) 3456.7890", "+6281234567890"),
        ("0811234567", "+62811234567"),  # 10 digits
        ("08123456789012", "+628123456789012"),  # 14 digits
    ],
)
def test_indonesian_mobile_numbers_are_kept_in_one_form(typed, stored):
    assert notices.normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "0812",
        "081234567",  # 9 digits
        "081234567890123",  # 15 digits
        "0212345678",  # a Jakarta landline
        "8123456789",  # no 0 or 62 in front
        "+1 415 555 0100",
        "0812-3456-78x0",
        "08123456789\u0000",
        "0800 0000 000",  # 080 is no mobile prefix
        "0812 3456 7890" + " " * 40,
    ],
)
def test_other_numbers_are_refused_with_a_sentence(typed):
    with pytest.raises(domain.InvalidInput) as info:
        notices.normalise_phone(typed)
    assert info.value.code == "invalid_phone" and "0812 3456 7890" in info.value.message


def test_the_number_is_shown_masked_only():
    assert notices.mask("+6281234567890") == "08\u2022\u2022\u2022\u2022\u2022\u2022\u2022890"
    assert notices.mask("+628123456789") == "08\u2022\u2022\u2022\u2022\u2022\u2022789"
    assert notices.mask(None) is None


def test_asked_while_waiting_then_sent_once_in_indonesian_when_printed(desk):
    ticket = desk.issue("A")
    notice = _ask(desk, ticket)
    assert (notice.status, notice.phone, notice.source) == ("waiting", E164, "status")
    desk.call(1)
    desk.do("finish", ticket)
    assert _notice(desk, ticket).status == "waiting"
    domain.set_stage(desk.session, ticket.id, "printed", now=desk.now, actor=Actor.system())
    queued = [e for e in pending(desk.session) if isinstance(e, NoticeQueued)]
    desk.session.commit()
    notice = _notice(desk, ticket)
    assert queued == [NoticeQueued(ticket.office_id, notice.id)]
    assert notice.status == "pending" and notice.phone == E164
    assert notice.text == (
        f"KTP-el Anda ({ticket.code}) sudah siap diambil di loket pengambilan, Kantor kupang"
    )


def test_asking_again_before_it_is_sent_replaces_the_number(desk, recorded):
    first = _ask(desk, recorded)
    again = _ask(desk, recorded, "+62 813 0000 1111")
    assert again.id == first.id
    assert _notice(desk, recorded).phone == "+6281300001111"
    assert desk.session.query(CardNotice).count() == 1


def test_printed_blocked_and_printed_again_queues_one_message(desk, recorded):
    _ask(desk, recorded)
    desk.stage(recorded, "printed")
    text = _notice(desk, recorded).text
    desk.stage(recorded, "blocked", reason="other")
    desk.stage(recorded, "printed")
    assert not [e for e in pending(desk.session) if isinstance(e, NoticeQueued)]
    notice = _notice(desk, recorded)
    assert notice.status == "pending" and notice.text == text
    # Even once sent, a later printing queues nothing.
    notice.status, notice.phone = "sent", None
    desk.session.commit()
    desk.stage(recorded, "blocked", reason="other")
    desk.stage(recorded, "ready_to_print")
    desk.stage(recorded, "printed")
    assert _notice(desk, recorded).status == "sent"


def test_no_message_for_a_card_printed_before_anyone_asked(desk, recorded):
    desk.stage(recorded, "printed")
    err = desk.refused(
        domain.InvalidTransition,
        notices.ask_by_token,
        desk.session,
        recorded.token,
        PHONE,
        now=desk.now,
    )
    assert err.code == "card_ready" and recorded.code in err.message
    assert desk.session.query(CardNotice).count() == 0


def test_a_sent_message_is_not_asked_for_again(desk, recorded):
    _ask(desk, recorded)
    desk.stage(recorded, "printed")
    for status in ("pending", "sending", "sent", "failed"):
        _notice(desk, recorded).status = status
        desk.session.commit()
        err = desk.refused(
            domain.InvalidTransition,
            notices.ask_by_token,
            desk.session,
            recorded.token,
            "0813 0000 1111",
            now=desk.now,
        )
        assert err.code == "already_sent", status


def test_only_a_card_ticket_not_handed_over_nor_cancelled(desk, recorded):
    other = desk.issue("C")
    err = desk.refused(
        domain.InvalidTransition,
        notices.ask_by_token,
        desk.session,
        other.token,
        PHONE,
        now=desk.now,
    )
    assert err.code == "not_a_card"
    cancelled = desk.issue("A")
    desk.do("cancel", cancelled)
    err = desk.refused(
        domain.InvalidTransition,
        notices.ask_by_token,
        desk.session,
        cancelled.token,
        PHONE,
        now=desk.now,
    )
    assert err.code == "ticket_closed"
    desk.stage(recorded, "printed")
    desk.stage(recorded, "handed_over")
    err = desk.refused(
        domain.InvalidTransition,
        notices.ask_by_token,
        desk.session,
        recorded.token,
        PHONE,
        now=desk.now,
    )
    assert err.code == "handed_over"
    err = desk.refused(
        domain.NotFound, notices.ask_by_token, desk.session, "x" * 20, PHONE, now=desk.now
    )
    assert err.code == "unknown_token"


def test_a_bad_number_changes_nothing(desk, recorded):
    _ask(desk, recorded)
    desk.refused(
        domain.InvalidInput, notices.ask_by_token, desk.session, recorded.token, "12", now=desk.now
    )
    assert _notice(desk, recorded).phone == E164


def test_handover_erases_the_number_and_drops_a_message_not_sent(desk, recorded):
    _ask(desk, recorded)
    desk.stage(recorded, "printed")
    desk.stage(recorded, "handed_over")
    notice = _notice(desk, recorded)
    assert (notice.status, notice.phone, notice.erased_at) == ("dropped", None, desk.now)


def test_handover_keeps_a_sent_message_sent(desk, recorded):
    _ask(desk, recorded)
    desk.stage(recorded, "printed")
    notice = _notice(desk, recorded)
    notice.status = "sent"
    desk.session.commit()
    desk.stage(recorded, "handed_over")
    assert _notice(desk, recorded).status == "sent"


def test_the_end_of_the_day_drops_messages_not_sent_and_erases_their_numbers(desk):
    desk.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 23:00 WITA
    printed = desk.issue("A")
    desk.call(1)
    desk.do("finish", printed)
    _ask(desk, printed, "0813 0000 1111")
    desk.stage(printed, "printed")
    waiting = desk.issue("A")
    _ask(desk, waiting)
    desk.now = datetime(2026, 11, 30, 15, 59, tzinfo=UTC)  # still Monday
    desk.issue("A")
    assert {n.status for n in desk.session.query(CardNotice)} == {"waiting", "pending"}
    desk.now = datetime(2026, 11, 30, 16, 0, 1, tzinfo=UTC)  # Tuesday, 00:00:01 WITA
    desk.issue("A")  # the first write of the day rolls the office over
    desk.session.expire_all()
    rows = desk.session.query(CardNotice).all()
    assert [(n.status, n.phone, n.last_error) for n in rows] == [
        ("dropped", None, "the day ended first")
    ] * 2


def test_a_card_still_in_production_next_day_can_be_asked_for_again(desk, recorded):
    _ask(desk, recorded)
    desk.now += timedelta(days=1)
    desk.issue("A")  # rollover
    assert _notice(desk, recorded).status == "dropped"
    again = _ask(desk, recorded)
    assert (again.status, again.phone) == ("waiting", E164)


def test_close_day_drops_todays_notices_too(desk, recorded):
    _ask(desk, recorded)
    domain.roll_over(desk.session, desk.office, desk.now, include_today=True)
    desk.session.commit()
    assert _notice(desk, recorded).phone is None


def test_staff_of_the_office_type_the_number_on_request(desk, recorded):
    notice = notices.ask_for_ticket(desk.session, recorded.id, PHONE, now=desk.now, actor=OPERATOR)
    desk.session.commit()
    assert (notice.source, notice.phone) == ("counter", E164)
    other_office = Actor(user_id=None, role="operator", office_id=desk.office.id + 1000)
    err = desk.refused(
        domain.Forbidden,
        notices.ask_for_ticket,
        desk.session,
        recorded.id,
        PHONE,
        now=desk.now,
        actor=other_office,
    )
    assert err.code == "forbidden_office"
    kiosk = Actor(user_id=None, role="kiosk", office_id=None)
    err = desk.refused(
        domain.Forbidden,
        notices.ask_for_ticket,
        desk.session,
        recorded.id,
        PHONE,
        now=desk.now,
        actor=kiosk,
    )
    assert err.code == "forbidden"
    err = desk.refused(
        domain.NotFound,
        notices.ask_for_ticket,
        desk.session,
        recorded.id + 1000,
        PHONE,
        now=desk.now,
        actor=OPERATOR,
    )
    assert err.code == "not_found"


def test_a_long_office_name_still_fits_one_message():
    text = notices.message_text("A-012", "Dinas Kependudukan " * 10)
    assert len(text) <= notices.SMS_LENGTH and text.startswith("KTP-el Anda (A-012)")
    assert text.endswith("\u2026")


def test_purge_erases_every_number_no_longer_needed_and_no_other(desk, recorded):
    _ask(desk, recorded)  # today's, card in production: kept
    yesterday = desk.issue("A")
    _ask(desk, yesterday, "0813 0000 1111")
    sent = desk.issue("A")
    _ask(desk, sent, "0813 0000 2222")
    rows = {n.ticket_id: n for n in desk.session.query(CardNotice)}
    rows[yesterday.id].created_at = desk.now - timedelta(days=1)
    rows[sent.id].status = "sent"  # its number somehow left behind
    desk.session.commit()
    assert notices.erase_stale_phones(desk.session, desk.now) == 2
    desk.session.commit()
    desk.session.expire_all()
    after = {n.ticket_id: (n.status, n.phone) for n in desk.session.query(CardNotice)}
    assert after == {
        recorded.id: ("waiting", E164),
        yesterday.id: ("dropped", None),
        sent.id: ("sent", None),
    }
    assert notices.erase_stale_phones(desk.session, desk.now) == 0


def test_todays_counts_for_administrators_hold_no_number(desk, recorded):
    _ask(desk, recorded)
    for reason in ("the SMS gateway answered 500", "the SMS gateway answered 500", None):
        ticket = desk.issue("A")
        _ask(desk, ticket)
        notice = _notice(desk, ticket)
        notice.status, notice.phone, notice.last_error = "failed", None, reason
        desk.session.commit()
    old = desk.issue("A")
    _ask(desk, old)
    _notice(desk, old).created_at = desk.now - timedelta(days=1)
    desk.session.commit()
    counted = notices.counts(desk.session, desk.office, desk.now)
    assert counted["statuses"] == {
        "waiting": 1,
        "pending": 0,
        "sending": 0,
        "sent": 0,
        "failed": 3,
        "dropped": 0,
    }
    assert counted["failures"] == [("the SMS gateway answered 500", 2), ("", 1)]
    assert "3456" not in repr(counted)
