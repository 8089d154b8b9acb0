"""Engine.IO pings from one task (app/pings.py), on the real server in every async mode: every
connected screen is pinged again and again while it answers, a screen that stops answering is
closed by the server, and the task serves a new group of screens after the first has gone.

The ping interval is 1 s here (SOCKET_PING_INTERVAL) instead of 20 s."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from wsproto.events import CloseConnection, TextMessage

from bench.live import LiveServer
from bench.screens import LeanScreen
from config import ASYNC_MODES

pytestmark = pytest.mark.slow

SCREENS = 40
WATCH_S = 4.0  # four intervals


class PingedScreen(LeanScreen):
    """A lean screen joined to kupang that counts the server's pings; a ``mute`` one answers
    the first and no other."""

    def __init__(self, port: int, mute: bool = False) -> None:
        super().__init__(port, {"office": "kupang"})
        self.pings = 0
        self.mute = mute
        self.told_closed = False  # an Engine.IO close packet or a WebSocket close frame came

    def _handle(self, event: Any) -> bytes | None:
        if isinstance(event, CloseConnection) or (
            isinstance(event, TextMessage) and event.data == "1"
        ):
            self.told_closed = True
        ping = isinstance(event, TextMessage) and event.message_finished and event.data == "2"
        if ping and not self.buffer:
            self.pings += 1
            if self.mute and self.pings > 1:
                return None
        return super()._handle(event)


async def _watch(port: int) -> tuple[list[PingedScreen], PingedScreen, list[bool]]:
    screens = [PingedScreen(port) for _ in range(SCREENS)]
    mute = PingedScreen(port, mute=True)
    tasks = [asyncio.create_task(s.run()) for s in [*screens, mute]]
    await asyncio.sleep(WATCH_S)
    for _ in range(60):  # the silent one is told within 2.5 intervals; 6 s more on a slow day
        if mute.told_closed:
            break
        await asyncio.sleep(0.1)
    ended = [task.done() for task in tasks]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return screens, mute, ended


def _watched(port: int) -> tuple[list[PingedScreen], PingedScreen, list[bool]]:
    """``_watch`` on an event loop of its own thread: the browser tests' Playwright keeps a loop
    running in the main thread, where ``asyncio.run`` cannot start another."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = asyncio.run(_watch(port))
        except BaseException as err:  # noqa: BLE001 - raised again in the test's thread
            result["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    if "error" in result:
        raise result["error"]
    assert "value" in result, "the screens did not finish within 60 s"
    return result["value"]


@pytest.mark.parametrize("mode", ASYNC_MODES)
def test_every_screen_is_pinged_and_a_silent_one_is_closed(mode):
    server = LiveServer(async_mode=mode, extra_env={"SOCKET_PING_INTERVAL": "1"})
    server.prepare()
    server.start()
    try:
        screens, mute, ended = _watched(server.port)
        time.sleep(2.5)  # the first group's connections are gone and the queue is empty
        # A fresh group: the task that ended with the empty queue starts again for them.
        again, _mute, _ended = _watched(server.port)
    finally:
        server.stop()
    # About one ping a second each (four in four seconds; at least two on a slow machine).
    assert all(s.pings >= 2 for s in screens), sorted(s.pings for s in screens)
    assert all(s.pings >= 2 for s in again), sorted(s.pings for s in again)
    assert not any(ended[:SCREENS]), "a screen that answers its pings was closed"
    # The silent screen answered one ping, got the next, and was told its connection is closed
    # when no answer came within another interval (though nothing else was sent to it).
    assert mute.pings == 2
    assert mute.told_closed
