"""Two server processes with Redis and PostgreSQL behave as one office."""

from __future__ import annotations

import threading

import pytest
import requests

from bench.live import LiveServer
from tests.realtime.clients import HttpDesk, Screen, close_all
from tests.services import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def pair(pg_app, postgres_migrated):
    """Processes A and B on one PostgreSQL database (emptied by pg_app) and one Redis."""
    env = {"MESSAGE_QUEUE_URL": redis_url()}
    first = LiveServer(database_url=postgres_migrated, extra_env=env)
    tokens = first.prepare()
    second = LiveServer(database_url=postgres_migrated, extra_env=env)
    first.start()
    second.start()
    yield first, second, tokens
    first.stop()
    second.stop()


def test_display_on_b_sees_a_call_made_on_a(pair):
    first, second, tokens = pair
    desk_a = HttpDesk(first, tokens)
    ticket = desk_a.issue("A")
    tv = Screen(second.url, {"office": "kupang"})
    phone = Screen(second.url, {"ticket": ticket["token"]})
    try:
        tv.wait_for("board")
        phone.wait_for("ticket")
        desk_a.call(1)
        called = tv.wait_for("called")
        assert called["code"] == ticket["code"] and called["counter"] == 1
        assert phone.wait_for("ticket", lambda t: t["status"] == "called")["counter"]["number"] == 1
    finally:
        close_all(tv, phone)


def test_both_processes_issue_without_duplicates(pair):
    first, second, tokens = pair
    codes: list[str] = []
    lock = threading.Lock()

    def issue(server: LiveServer) -> None:
        http = requests.Session()
        for i in range(60):
            response = http.post(
                f"{server.url}/api/v1/offices/kupang/tickets",
                json={"service": "AC"[i % 2]},
                timeout=10,
                headers={"Authorization": f"Bearer {tokens['kiosk']}"},
            )
            assert response.status_code == 201, response.text
            with lock:
                codes.append(response.json()["code"])

    threads = [threading.Thread(target=issue, args=(s,)) for s in (first, second, first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(codes) == 240 and len(set(codes)) == 240
    for letter in "AC":
        numbers = sorted(int(c.split("-")[1]) for c in codes if c.startswith(letter))
        assert numbers == list(range(1, 121))
