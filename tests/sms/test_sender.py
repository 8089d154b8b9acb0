"""The sender inside the app, stepped by hand on a real database: one line per card through
log://, retried with back-off and bounded, a crash between the write and its record gives no
second line, and the number never reaches a log."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import CardNotice
from app.sms import sms_service
from app.sms.sender import MAX_ATTEMPTS, Sender, backoff
from app.sms.store import DatabaseNotices
from app.sms.transports import SmsError, Transport
from tests.conftest import Api, build_world

PHONE = "0812 3456 7890"
DIGITS = "81234567890"


@pytest.fixture
def setup(make_app, clock, tmp_path):
    app = make_app(SMS_URL=f"log://{tmp_path / 'sms.jsonl'}")
    with app.app_context():
        world = build_world(db.session)
    return app, Api(app.test_client(), world), tmp_path / "sms.jsonl"


def _printed_with_notice(api: Api, phone: str = PHONE) -> dict:
    ticket = api.issue("A")
    answer = api.post(f"/api/v1/track/{ticket['token']}/notify", {"phone": phone})
    assert answer.status_code == 201, answer.get_json()
    api.call_next(api.world.counter(1).id)
    api.move(ticket["id"], "finish")
    assert api.move(ticket["id"], "stage", "clerk", {"stage": "printed"}).status_code == 200
    return ticket


def _notices(app) -> list[tuple]:
    with app.app_context():
        return [
            (n.status, n.attempts, n.phone, n.last_error)
            for n in db.session.query(CardNotice).order_by(CardNotice.id)
        ]


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class Failing(Transport):
    """Fails ``times`` times (SmsError, or ``error``), then records what it sends."""

    def __init__(self, times: int, error: Exception | None = None) -> None:
        super().__init__("fake://")
        self.times = times
        self.error = error
        self.sent: list[tuple] = []

    def send(self, message_id, to, text):
        if self.times:
            self.times -= 1
            raise self.error or SmsError(f"no network for {to}")
        self.sent.append((message_id, to, text))


def test_one_message_per_printed_card_through_the_log(setup, caplog):
    app, api, path = setup
    caplog.set_level(logging.DEBUG)
    ticket = _printed_with_notice(api)
    sender = sms_service(app).build_sender()
    assert sender.step() == 0.0
    assert sender.step() is None  # nothing left
    assert _lines(path) == [
        {
            "id": 1,
            "to": "+6281234567890",
            "text": f"KTP-el Anda ({ticket['code']}) sudah siap diambil di loket pengambilan, "
            "Kantor kupang",
        }
    ]
    assert _notices(app) == [("sent", 1, None, None)]
    assert "card-ready message 1 sent" in caplog.text and DIGITS not in caplog.text


def test_a_failing_way_out_is_retried_with_back_off_then_fails_with_its_reason(
    setup, clock, caplog
):
    app, api, _ = setup
    caplog.set_level(logging.DEBUG)
    _printed_with_notice(api)
    transport = Failing(times=MAX_ATTEMPTS)
    sender = Sender(DatabaseNotices(app), transport, clock=clock)
    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        waits.append(sender.step())
        status, attempts, phone, error = _notices(app)[0]
        assert (status, attempts, phone) == ("pending", attempt, "+6281234567890")
        assert error == "no network for \u2026"
        assert sender.step() == pytest.approx(backoff(attempt))  # not due yet: waits
        clock.advance(seconds=backoff(attempt))
    assert waits == [backoff(n) for n in range(1, MAX_ATTEMPTS)]
    assert sender.step() == 0.0  # the last attempt fails for good
    status, attempts, phone, error = _notices(app)[0]
    assert (status, attempts, phone) == ("failed", MAX_ATTEMPTS, None)
    assert error == f"no network for \u2026; gave up after {MAX_ATTEMPTS} attempts"
    assert sender.step() is None and transport.sent == []
    assert DIGITS not in caplog.text and "card-ready message 1 failed for good" in caplog.text


def test_it_is_sent_when_the_way_out_comes_back(setup, clock):
    app, api, _ = setup
    _printed_with_notice(api)
    transport = Failing(times=2)
    sender = Sender(DatabaseNotices(app), transport, clock=clock)
    sender.step()
    clock.advance(seconds=backoff(1))
    sender.step()
    clock.advance(seconds=backoff(2))
    assert sender.step() == 0.0
    assert [(m, to) for m, to, _ in transport.sent] == [(1, "+6281234567890")]
    assert _notices(app) == [("sent", 3, None, None)]


def test_an_unexpected_error_is_tried_a_few_times_then_fails(setup, clock, caplog):
    app, api, _ = setup
    _printed_with_notice(api)
    transport = Failing(times=99, error=RuntimeError(f"driver bug with {PHONE}"))
    sender = Sender(DatabaseNotices(app), transport, clock=clock)
    for _ in range(3):
        sender.step()
        clock.advance(seconds=10)
    assert _notices(app) == [("failed", 3, None, "unexpected error: RuntimeError")]
    assert "3456" not in caplog.text


def test_a_crash_between_the_write_and_its_record_gives_no_second_line(setup, clock, monkeypatch):
    app, api, path = setup
    _printed_with_notice(api)
    first = sms_service(app).build_sender()

    def database_gone(self, message, now):
        raise OperationalError("UPDATE", {}, Exception("disk I/O error"))

    # The line is written, then the process dies before the message is recorded as sent.
    monkeypatch.setattr(DatabaseNotices, "done", database_gone)
    with pytest.raises(OperationalError):
        first.step()
    monkeypatch.undo()
    assert len(_lines(path)) == 1
    assert _notices(app)[0][0] == "sending"

    # The restarted process: messages left "sending" go back to the queue and are sent again,
    # and the log sees the line is already there.
    assert DatabaseNotices(app).release() == 1
    second = sms_service(app).build_sender()
    assert second.step() == 0.0
    assert [line["id"] for line in _lines(path)] == [1]
    assert _notices(app) == [("sent", 2, None, None)]


def test_a_message_sent_while_the_database_was_away_is_recorded_before_anything_else(
    setup, clock, monkeypatch
):
    app, api, path = setup
    _printed_with_notice(api)
    sender = sms_service(app).build_sender()
    real_done = DatabaseNotices.done
    calls = []

    def flaky(self, message, now):
        calls.append(message.id)
        if len(calls) == 1:
            raise OperationalError("UPDATE", {}, Exception("database is locked"))
        return real_done(self, message, now)

    monkeypatch.setattr(DatabaseNotices, "done", flaky)
    with pytest.raises(OperationalError):
        sender.step()
    assert sender.step() is None  # recorded now, nothing sent again
    assert calls == [1, 1] and len(_lines(path)) == 1
    assert _notices(app) == [("sent", 1, None, None)]


@pytest.mark.parametrize("saved", [True, False], ids=["saved", "lost"])
def test_a_claim_whose_commit_went_unheard_is_sent_at_the_next_step_not_a_lease_later(
    setup, clock, monkeypatch, saved
):
    """The connection broke as the claim committed: saved or not, the message goes out at the
    next step (not after its two-minute lease), once, and the claim is no attempt."""
    app, api, path = setup
    _printed_with_notice(api)
    sender = sms_service(app).build_sender()
    real_claim = DatabaseNotices.claim

    def unheard(self, message, now):
        monkeypatch.setattr(DatabaseNotices, "claim", real_claim)  # once
        if saved:
            real_claim(self, message, now)
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(DatabaseNotices, "claim", unheard)
    with pytest.raises(OperationalError):
        sender.step()
    assert _lines(path) == []
    assert sender.step() == 0.0
    assert len(_lines(path)) == 1 and _notices(app) == [("sent", 1, None, None)]
    assert sender.step() is None


def test_a_failure_the_database_did_not_hear_is_recorded_first_not_held_for_the_lease(
    setup, clock, monkeypatch
):
    """No network, and the database went away as the sender recorded that: at the next step the
    failure is recorded (the message waits for its next try), not left "sending" under this
    sender's own claim for two minutes; then it goes out once."""
    app, api, _path = setup
    _printed_with_notice(api)
    transport = Failing(1)
    sender = Sender(DatabaseNotices(app), transport, clock=clock)
    real_failed = DatabaseNotices.failed

    def away(self, *args):
        monkeypatch.setattr(DatabaseNotices, "failed", real_failed)  # once
        raise OperationalError("UPDATE", {}, Exception("server closed the connection"))

    monkeypatch.setattr(DatabaseNotices, "failed", away)
    with pytest.raises(OperationalError):
        sender.step()
    assert _notices(app)[0][0] == "sending"  # as the database last heard
    assert sender.step() == backoff(1)  # recorded; its next try after the usual back-off
    status, attempts, phone, error = _notices(app)[0]
    assert (status, attempts, phone is not None) == ("pending", 1, True) and "no network" in error
    clock.advance(seconds=backoff(1))
    assert sender.step() == 0.0
    assert len(transport.sent) == 1 and _notices(app) == [("sent", 2, None, None)]


def test_a_message_cut_off_by_restarts_over_and_over_ends(setup, clock):
    app, api, path = setup
    _printed_with_notice(api)
    with app.app_context():
        db.session.query(CardNotice).update({"status": "sending", "attempts": MAX_ATTEMPTS})
        db.session.commit()
    assert DatabaseNotices(app).release() == 1
    sender = sms_service(app).build_sender()
    sender.step()
    assert _notices(app) == [
        ("failed", MAX_ATTEMPTS, None, f"gave up after {MAX_ATTEMPTS} attempts")
    ]
    assert _lines(path) == []


def test_a_message_dropped_at_handover_while_being_sent_stays_dropped(setup, clock):
    app, api, _ = setup
    ticket = _printed_with_notice(api)

    class HandedOverMeanwhile(Transport):
        def send(self, message_id, to, text):
            response = api.move(ticket["id"], "stage", "clerk", {"stage": "handed_over"})
            assert response.status_code == 200
            raise SmsError("no network")

    Sender(DatabaseNotices(app), HandedOverMeanwhile("fake://"), clock=clock).step()
    assert _notices(app) == [("dropped", 1, None, "handed over first")]


def test_the_sender_waits_for_the_next_attempt_instead_of_spinning(setup, clock):
    app, api, _ = setup
    _printed_with_notice(api)
    with app.app_context():
        db.session.query(CardNotice).update({"next_attempt_at": clock.now + timedelta(seconds=42)})
        db.session.commit()
    sender = Sender(DatabaseNotices(app), Failing(0), clock=clock)
    assert sender.step() == pytest.approx(42)
    assert _notices(app)[0][:2] == ("pending", 0)
