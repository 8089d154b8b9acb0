"""The real server (``python wsgi.py``) in each async mode, driven over real sockets: HTTP for
the moves, a python-socketio client for the screens."""

from __future__ import annotations

import threading
import time

import pytest

from bench.live import LiveServer
from tests.realtime.clients import MODES, HttpDesk, Screen, close_all


@pytest.fixture(params=MODES)
def live(request):
    server = LiveServer(async_mode=request.param)
    tokens = server.prepare()
    server.start()
    yield server, HttpDesk(server, tokens)
    server.stop()


@pytest.mark.slow
def test_tv_and_phone_get_exactly_their_events(live):
    server, desk = live
    first, second = desk.issue("A"), desk.issue("A")
    tv = Screen(server.url, {"office": "kupang"})
    other_tv = Screen(server.url, {"office": "oebobo"})
    phone = Screen(server.url, {"ticket": second["token"]})
    try:
        assert tv.wait_for("board")["waiting"]["A"] == 2
        other_tv.wait_for("board")
        assert phone.wait_for("ticket")["ahead"] == 1
        desk.call(1)
        called = tv.wait_for("called")
        assert (called["code"], called["counter"], called["counter_name"]) == (
            first["code"],
            1,
            "Loket 1",
        )
        assert called["clips"][-2:] == ["silakan_menuju_loket", "angka_1"]
        assert tv.wait_for("board", lambda b: b["seq"] >= called["seq"])["waiting"]["A"] == 1
        assert phone.wait_for("ticket")["ahead"] == 0
        # Then a change each does hear: nothing of the call came before it.
        issued = desk.post("/api/v1/offices/oebobo/tickets", "admin", {"service": "A"})
        assert issued.status_code == 201, issued.text
        heard = other_tv.until("board", lambda b: b["waiting"].get("A") == 1)
        assert heard[:-1] == []
        desk.call(2)
        heard = phone.until("ticket", lambda t: t["status"] == "called")
        assert [name for name, _ in heard] == ["ticket"]
    finally:
        close_all(tv, other_tv, phone)


@pytest.mark.slow
def test_bad_join_gets_an_error_and_stays_connected(live):
    server, _ = live
    screen = Screen(server.url, {"office": "nowhere"})
    try:
        error = screen.wait_for("error")
        assert error["code"] == "unknown_office"
        screen.client.emit("join", {"office": "kupang"})
        assert screen.wait_for("board")["office"] == "kupang"
    finally:
        screen.close()


@pytest.mark.slow
def test_screen_resyncs_after_the_server_is_killed_and_restarted(live):
    server, desk = live
    first = desk.issue("A")
    tv = Screen(server.url, {"office": "kupang"})
    try:
        tv.wait_for("board")
        server.kill()
        server.start()
        second = desk.issue("A")  # numbering goes on after the crash
        called = desk.call(1)
        assert (first["code"], second["code"]) == ("A-001", "A-002")
        assert called["code"] == "A-001"  # the oldest waiting ticket, issued before the crash
        board = tv.wait_for("board", lambda b: b["now_serving"], timeout=15)
        assert tv.connects >= 2
        assert board["now_serving"][0]["code"] == called["code"]
    finally:
        tv.close()


@pytest.mark.slow
def test_many_screens_each_get_the_call(live):
    server, desk = live
    screens = [Screen(server.url, {"office": "kupang"}) for _ in range(20)]
    try:
        for screen in screens:
            screen.wait_for("board")
        desk.issue("C")
        start = time.monotonic()
        desk.call(4)
        arrivals = []
        threads = []

        def wait(screen):
            screen.wait_for("called")
            arrivals.append(time.monotonic() - start)

        for screen in screens:
            threads.append(threading.Thread(target=wait, args=(screen,)))
            threads[-1].start()
        for thread in threads:
            thread.join()
        assert len(arrivals) == 20
    finally:
        close_all(*screens)
