"""The resident's status page in Chromium on a phone-sized screen says plainly when it lost the
server (the phone left the office Wi-Fi, the server restarted), and catches up by itself when
the server is back."""

from __future__ import annotations

import pytest

from config import ASYNC_MODES
from tests.browser.pages import PageErrors, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 360, "height": 740}


@pytest.mark.parametrize("live", ASYNC_MODES, indirect=True)
def test_the_status_page_says_when_it_lost_the_server_and_recovers(browser, live):
    server, desk = live.server, live.desk
    ticket = desk.issue("A")
    page = browser.new_page(viewport=PHONE)
    errors = PageErrors(page)
    page.goto(f"{server.url}/t/{ticket['token']}")
    assert page.is_hidden("[data-offline]")
    desk.call(1)  # the call arrives live: the page is connected
    page.wait_for_selector('body[data-state="called"]', timeout=10_000)
    assert page.is_hidden("[data-offline]")

    server.kill()
    badge = page.wait_for_selector("[data-offline]:not([hidden])", timeout=10_000)
    assert badge.inner_text().startswith("Koneksi terputus")
    box = badge.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    assert box["height"] < 60  # one or two lines, not a narrow column
    shot(page, "status-offline-360x740")

    server.start()
    page.wait_for_selector("[data-offline]", state="hidden", timeout=15_000)
    # Back in the ticket's room: the next move shows without a reload.
    assert desk.post(f"/api/v1/tickets/{ticket['id']}/start", "operator").status_code == 200
    page.wait_for_selector('body[data-state="serving"]', timeout=10_000)
    # While the server was down the browser logged refused connections; nothing else counts.
    assert all("ERR_CONNECTION_REFUSED" in e for e in errors.errors), errors.errors
