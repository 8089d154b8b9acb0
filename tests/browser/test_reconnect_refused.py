"""A screen the server refused is not left offline for good (issue 15, point 3).

Socket.IO's client gives up when the server refuses the connection itself (here: too many from
one address this minute, as a guest Wi-Fi of phones behind one router can see after a restart);
the TV and the status page try again after a while. A real server in a subprocess with a limit
of one connection a minute per address (127.0.0.1 not exempt), real pages in Chromium, their
clock run forward past the retry wait.
"""

from __future__ import annotations

import time

import pytest

from bench.live import LiveServer
from tests.browser.pages import PageErrors
from tests.realtime.clients import HttpDesk

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RETRY_WAIT = 30_000  # ms, past the pages' longest retry wait (RETRY_MS 15 s, randomised x1.5)


@pytest.fixture
def strict():
    server = LiveServer(
        async_mode="eventlet",
        extra_env={"SOCKET_CONNECTS_PER_ADDRESS": "1", "CONNECTION_LIMIT_EXEMPT": "192.0.2.1"},
    )
    tokens = server.prepare(("kiosk", "operator"))
    server.start()
    yield server, HttpDesk(server, tokens)
    server.stop()


def _refused_then_back(browser, server: LiveServer, path: str, event: str, online, offline):
    """A first page takes the address's one connection (joined: its ``event`` arrived); a
    second is refused and shows it is offline; with the first gone and the server's count fresh
    (a restart) the second comes back by itself once its clock passes the retry wait."""
    first = browser.new_context()
    page = first.new_page()
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(str(data))))
    page.goto(f"{server.url}{path}")
    deadline = time.monotonic() + 15
    while not any(frame.startswith(f'42["{event}"') for frame in frames):
        assert time.monotonic() < deadline, f"the first page got no {event}: {frames}"
        page.wait_for_timeout(50)
    second = browser.new_context()
    second.clock.install()
    refused = second.new_page()
    errors = PageErrors(refused)
    refused.goto(f"{server.url}{path}")
    refused.wait_for_selector(offline, state="attached")
    first.close()
    server.stop()
    server.start()
    refused.clock.fast_forward(RETRY_WAIT)
    refused.wait_for_selector(online, state="attached", timeout=15_000)
    # Only a retry that found the server still starting may have failed to connect.
    assert all("ERR_CONNECTION_REFUSED" in e for e in errors.errors), errors.errors
    return second, refused


def test_a_refused_tv_tries_again_and_joins(browser, strict):
    server, desk = strict
    context, tv = _refused_then_back(
        browser,
        server,
        "/display/kupang",
        "board",
        online="body[data-connected='true'][data-seq]",
        offline="body[data-connected='false']",
    )
    # Joined: the next call is drawn.
    ticket = desk.issue("A")
    desk.call(1)
    tv.wait_for_selector(f'[data-counter="1"] [data-tile-code]:has-text("{ticket["code"]}")')
    context.close()


def test_a_refused_status_page_tries_again_and_follows_its_ticket(browser, strict):
    server, desk = strict
    ticket = desk.issue("A")
    context, status = _refused_then_back(
        browser,
        server,
        f"/t/{ticket['token']}",
        "ticket",
        online="[data-offline][hidden]",
        offline="[data-offline]:not([hidden])",
    )
    desk.call(1)
    status.wait_for_selector('body[data-state="called"]', timeout=10_000)
    context.close()
