"""Anonymous Socket.IO clients cannot make the server work without bound: a board is built once
per office change and shared, joins are limited per connection and per address (over the limit:
an ``error``, then the connection closes), and one address can open only so many connections a
minute. Everyone else goes on getting their boards."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
import requests

from app.board_cache import BoardCache
from app.domain import office_by_slug
from app.domain.events import bump_seq
from app.extensions import db
from app.join_limits import WindowCounter
from bench.live import LiveServer
from bench.screens import LeanScreen
from tests.factories import T0
from tests.services import redis_url

# ---- the pieces --------------------------------------------------------------------------


class TickClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_counter_refuses_over_its_limit_and_forgets_after_a_minute():
    clock = TickClock()
    counter = WindowCounter(3, clock=clock)
    assert [counter.hit("a") for _ in range(4)] == [True, True, True, False]
    assert counter.hit("b")  # another key has its own count
    clock.now += 59
    assert not counter.hit("a")
    clock.now += 1
    assert counter.hit("a")


def test_a_window_counter_keeps_a_bounded_number_of_keys():
    counter = WindowCounter(1, max_keys=100)
    for n in range(10_000):
        counter.hit(f"10.0.{n // 256}.{n % 256}")
    assert len(counter._counts) == 100


def test_the_board_is_built_once_per_office_change(app, world):
    built = []

    def build(session, office, now):
        built.append(now)
        return {"seq": session.get(type(office), office.id).seq, "office": office.slug}

    cache = BoardCache(build)
    with app.app_context():
        office = office_by_slug(db.session, "kupang")
        first = cache.get(db.session, office, T0)
        for minute in range(1, 50):
            again = cache.get(db.session, office, T0 + timedelta(seconds=minute))
            assert again["office"] == "kupang"
        assert len(built) == 1
        assert again["generated_at"] != first["generated_at"]  # the time is always now
        bump_seq(db.session, office.id)
        db.session.commit()
        cache.get(db.session, office, T0 + timedelta(minutes=1))
        assert len(built) == 2
        cache.get(db.session, office, T0 + timedelta(days=1))  # a new office day
        assert len(built) == 3


# ---- the real server -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    live = LiveServer(
        extra_env={
            "SOCKET_JOINS_PER_CONNECTION": "10",
            "SOCKET_JOINS_PER_ADDRESS": "40",
            "SOCKET_CONNECTS_PER_ADDRESS": "8",
        }
    )
    live.prepare(roles=())
    live.start()
    yield live
    live.stop()


def _run(screens: list[LeanScreen], until) -> list[bool]:
    """Run ``screens`` until ``until()`` holds (at most 20 s); which of them the server closed."""
    closed: list[bool] = []

    async def main() -> None:
        async def one(screen: LeanScreen) -> None:
            try:
                await screen.run()
            except OSError:
                screen.closed = True

        tasks = [asyncio.create_task(one(screen)) for screen in screens]
        for _ in range(400):
            if until():
                break
            await asyncio.sleep(0.05)
        closed.extend(screen.closed for screen in screens)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # On a thread of its own: the browser tests' Playwright keeps an event loop running in
    # this one for the whole session.
    runner = threading.Thread(target=asyncio.run, args=(main(),))
    runner.start()
    runner.join(60)
    return closed


def _recorder():
    seen: dict[int, list[tuple[str, object]]] = {}

    def on_event(screen, name, payload):
        seen.setdefault(id(screen), []).append((name, payload))

    return seen, on_event


def test_a_connection_that_joins_too_often_is_told_and_closed(server):
    seen, on_event = _recorder()
    flood = LeanScreen(server.port, {"office": "kupang"}, on_event, bind="127.0.0.2", repeat=200)
    tv = LeanScreen(server.port, {"office": "kupang"}, on_event, bind="127.0.0.3")
    closed = _run([flood, tv], lambda: flood.closed and tv.joined_at is not None)
    events = seen[id(flood)]
    names = [name for name, _ in events]
    assert names.count("board") == 10  # the connection's share
    assert ("error", "too_many_joins") in [
        (n, p and p.get("code")) for n, p in events if n == "error"
    ]
    assert closed == [True, False]  # the flood is closed, another device is not affected
    assert [name for name, _ in seen[id(tv)]] == ["board"]


def test_one_address_gets_only_its_share_of_connections_and_joins(server):
    seen, on_event = _recorder()
    screens = [
        LeanScreen(server.port, {"office": "kupang"}, on_event, bind="127.0.0.4") for _ in range(12)
    ]
    _run(screens, lambda: sum(1 for s in screens if id(s) in seen) == 12)
    refused = [
        payload for events in seen.values() for name, payload in events if name == "connect_error"
    ]
    boards = [s for s in screens if ("board" in [n for n, _ in seen.get(id(s), [])])]
    assert len(boards) == 8 and len(refused) == 4
    assert all(
        p["message"].startswith("Terlalu banyak sambungan") and p["data"]["code"] == "rate_limited"
        for p in refused
    ), refused
    # The HTTP board still answers from that address's neighbours.
    assert requests.get(server.url + "/api/v1/offices/kupang/board", timeout=5).status_code == 200


def test_joins_from_one_address_are_limited_across_its_connections(server):
    """Five connections from one address, ten joins each: the address's 40 joins a minute are
    shared between them, so the last connections are told and closed."""
    seen, on_event = _recorder()
    screens = [
        LeanScreen(server.port, {"office": "kupang"}, on_event, bind="127.0.0.5", repeat=10)
        for _ in range(5)
    ]

    def boards() -> int:
        return sum(1 for events in list(seen.values()) for name, _ in events if name == "board")

    _run(screens, lambda: boards() >= 40 and any(s.closed for s in screens))
    count = boards()
    told = [
        payload["code"]
        for events in seen.values()
        for name, payload in events
        if name == "error" and payload["code"] == "too_many_joins"
    ]
    assert count == 40 and len(told) >= 1
    assert any(s.closed for s in screens)


@pytest.mark.redis
def test_with_a_message_queue_a_flooding_connection_is_told_once_and_closed():
    """With Redis, replies used to go round the queue: 200 joins arriving together all passed
    the check before the first hang-up, and each got its own error."""
    live = LiveServer(
        extra_env={"MESSAGE_QUEUE_URL": redis_url(), "SOCKET_JOINS_PER_CONNECTION": "10"}
    )
    live.prepare(roles=())
    live.start()
    try:
        seen, on_event = _recorder()
        flood = LeanScreen(live.port, {"office": "kupang"}, on_event, bind="127.0.0.6", repeat=200)
        closed = _run([flood], lambda: flood.closed)
        names = [name for name, _ in seen[id(flood)]]
        assert names.count("board") == 10 and names.count("error") == 1
        assert closed == [True]
    finally:
        live.stop()
