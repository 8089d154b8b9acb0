"""A stop (SIGTERM from `systemctl stop`, Ctrl-C) always ends the real server within 5 s, also
with 500 screens connected and a kiosk issuing tickets: requests in progress get their whole
answer, the spooler stops, and the screens are disconnected (they reconnect to the next start).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import signal
import subprocess
import threading

import pytest

from bench.live import LiveServer, wait_for
from bench.screens import LeanScreen
from config import ASYNC_MODES

pytestmark = pytest.mark.slow

SCREENS = 500
RUNS = 5
STOP_WITHIN = 5.0  # seconds: well inside systemd's stop timeout


class Screens(threading.Thread):
    """``count`` lean Socket.IO clients joined to kupang, on their own asyncio loop."""

    def __init__(self, port: int, count: int) -> None:
        super().__init__(daemon=True)
        self.port, self.count = port, count
        self.joined = 0
        self.ended = 0
        self.tasks: list[asyncio.Task] = []
        self.loop = asyncio.new_event_loop()

    def run(self) -> None:
        try:
            self.loop.run_until_complete(self._main())
        finally:
            self.loop.close()

    async def _main(self) -> None:
        def on_event(screen: LeanScreen, name: str, _payload: object) -> None:
            if name == "board" and not getattr(screen, "counted", False):
                screen.counted = True
                self.joined += 1

        async def one() -> None:
            try:
                await LeanScreen(self.port, {"office": "kupang"}, on_event).run()
            except (OSError, asyncio.CancelledError):
                pass
            self.ended += 1

        for i in range(self.count):
            self.tasks.append(asyncio.create_task(one()))
            if i % 100 == 99:
                await asyncio.sleep(0.05)
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def close_all(self) -> None:
        """The screens hang up (as after a rush, when phones leave)."""
        for task in self.tasks:
            self.loop.call_soon_threadsafe(task.cancel)


class Kiosk(threading.Thread):
    """Issues tickets back to back until the server goes away; keeps every answer it got."""

    def __init__(self, port: int, token: str) -> None:
        super().__init__(daemon=True)
        self.port, self.token = port, token
        self.answers: list[int] = []
        self.broken: list[str] = []

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("POST", "/api/v1/offices/kupang/tickets", '{"service": "C"}', headers)
                response = conn.getresponse()
                body = response.read()
                conn.close()
            except (ConnectionError, OSError):
                return  # refused or closed before an answer started: the server is stopping
            except http.client.HTTPException as err:
                self.broken.append(repr(err))  # an answer cut off half-way
                return
            try:
                json.loads(body)
            except ValueError:
                self.broken.append(body[:200].decode(errors="replace"))
            self.answers.append(response.status)


@pytest.mark.parametrize("mode", ASYNC_MODES)
def test_a_stop_ends_the_server_within_five_seconds_with_500_screens(mode):
    """Five stops in a row: with the screens connected, and after they all hung up."""
    server = LiveServer(async_mode=mode)
    tokens = server.prepare(roles=("kiosk",))
    for run in range(RUNS):
        server.start()
        screens = Screens(server.port, SCREENS)
        screens.start()
        wait_for(lambda s=screens: s.joined == SCREENS, f"{SCREENS} screens joined", timeout=120)
        if run % 2:
            # The reported case: a rush served and gone, then `systemctl restart`.
            screens.close_all()
            wait_for(lambda s=screens: s.ended == SCREENS, "the screens hung up")
        kiosk = Kiosk(server.port, tokens["kiosk"])
        kiosk.start()
        wait_for(lambda k=kiosk: len(k.answers) >= 3, "the kiosk being served")
        server.process.send_signal(signal.SIGINT if run % 2 else signal.SIGTERM)
        try:
            server.process.wait(STOP_WITHIN)
        except subprocess.TimeoutExpired:
            server.kill()
            pytest.fail(f"run {run + 1}: still running {STOP_WITHIN} s after the signal")
        assert server.process.returncode == 0
        assert server.log().rstrip().endswith("Loket stopped."), server.log()[-2000:]
        kiosk.join(15)
        assert not kiosk.broken, f"answers cut off: {kiosk.broken}"
        assert set(kiosk.answers) == {201}
        wait_for(lambda s=screens: s.ended == SCREENS, "every screen disconnected")
