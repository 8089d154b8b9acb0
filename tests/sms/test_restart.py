"""A real server sends card-ready messages through log://, exactly once per card, also when it
is killed (as by a power cut) with messages "sending": one whose line was already written and
one whose line was not. The server's log never holds a number."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest
import requests

from bench.live import LiveServer, wait_for
from tests.realtime.clients import MODES, HttpDesk

pytestmark = pytest.mark.slow

PHONES = ("0812 3456 7890", "0813-1111-2222")
DIGITS = ("81234567890", "81311112222")


def _lines(server: LiveServer) -> list[dict]:
    path = server.instance / "sms.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _notices(server: LiveServer) -> list[tuple]:
    with sqlite3.connect(server.instance / "loket.db") as conn:
        return conn.execute(
            "SELECT id, status, phone IS NULL FROM card_notices ORDER BY id"
        ).fetchall()


def _recorded_with_notice(desk: HttpDesk, phone: str) -> dict:
    ticket = desk.issue("A")
    asked = requests.post(
        f"{desk.server.url}/api/v1/track/{ticket['token']}/notify",
        json={"phone": phone},
        timeout=10,
    )
    assert asked.status_code == 201, asked.text
    called = desk.call(1)
    assert called["code"] == ticket["code"]
    assert desk.post(f"/api/v1/tickets/{ticket['id']}/finish", "operator").status_code == 200
    return ticket


@pytest.mark.parametrize("mode", MODES)
def test_one_message_per_card_across_a_power_cut(mode):
    server = LiveServer(async_mode=mode)
    server.extra_env["SMS_URL"] = f"log://{server.instance / 'sms.jsonl'}"
    desk = HttpDesk(server, server.prepare())
    server.start()
    try:
        first = _recorded_with_notice(desk, PHONES[0])
        second = _recorded_with_notice(desk, PHONES[1])
        printed = desk.post(f"/api/v1/tickets/{first['id']}/stage", "clerk", {"stage": "printed"})
        assert printed.status_code == 200, printed.text
        wait_for(lambda: len(_lines(server)) == 1, "the first card's message in the log", 15)
        wait_for(lambda: _notices(server)[0][1] == "sent", "the first message recorded", 15)
        server.kill()

        # As if the power went while the messages were going out: the first one's line was
        # written but not recorded; the second was claimed and not written yet.
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        text = f"KTP-el Anda ({second['code']}) sudah siap diambil di loket pengambilan, x"
        with sqlite3.connect(server.instance / "loket.db") as conn:
            conn.execute(
                "UPDATE card_notices SET status = 'sending', claimed_at = ?, sent_at = NULL, "
                "erased_at = NULL, phone = '+6281234567890' WHERE id = 1",
                (now,),
            )
            conn.execute(
                "UPDATE card_notices SET status = 'sending', claimed_at = ?, attempts = 1, "
                "text = ? WHERE id = 2",
                (now, text),
            )
        server.start()

        wait_for(
            lambda: [n[1] for n in _notices(server)] == ["sent", "sent"],
            "both messages recorded as sent after the restart",
            15,
        )
        lines = _lines(server)
        assert [line["id"] for line in lines] == [1, 2]
        assert [line["to"] for line in lines] == ["+6281234567890", "+6281311112222"]
        assert lines[1]["text"] == text
        assert _notices(server) == [(1, "sent", 1), (2, "sent", 1)]

        # Printed again after a slip (blocked, printed): nothing is queued again.
        for stage in ("blocked", "printed"):
            body = {"stage": stage, "reason": "other"} if stage == "blocked" else {"stage": stage}
            assert desk.post(f"/api/v1/tickets/{first['id']}/stage", "clerk", body).ok
        assert _notices(server) == [(1, "sent", 1), (2, "sent", 1)]
        assert len(_lines(server)) == 2
    finally:
        server.stop()
    log = server.log()
    assert "will be sent again" in log
    assert not any(digits in log for digits in DIGITS)
