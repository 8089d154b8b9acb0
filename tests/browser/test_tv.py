"""The TV page in Chromium: live calls, voice, and recovery after the server restarts."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import PageErrors, shot
from tests.live import LiveServer
from tests.realtime.test_end_to_end import Desk

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live():
    server = LiveServer(async_mode="eventlet")
    tokens = server.prepare()
    server.start()
    yield server, Desk(server, tokens)
    server.stop()


def _latest(page) -> str:
    return page.inner_text("[data-latest-code]").strip()


def test_tv_shows_calls_within_a_second_and_recovers_after_a_restart(browser, live):
    server, desk = live
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors = PageErrors(page)
    page.goto(f"{server.url}/display/kupang")
    page.wait_for_selector('body[data-connected="true"]', timeout=10_000)

    ticket = desk.issue("A")
    started = time.monotonic()
    desk.call(1)
    page.wait_for_function(
        "code => document.querySelector('[data-latest-code]').textContent.trim() === code",
        arg=ticket["code"],
        timeout=1000,
    )
    assert time.monotonic() - started < 1.0
    page.wait_for_selector(f'[data-counter="1"] [data-tile-code]:has-text("{ticket["code"]}")')
    assert ticket["code"] in page.get_attribute("body", "data-spoken")
    shot(page, "tv-1920x1080")
    assert errors.errors == []

    server.kill()
    page.wait_for_selector('body[data-connected="false"]', timeout=10_000)
    page.wait_for_selector("[data-offline]:not([hidden])", timeout=5_000)
    shot(page, "tv-offline")
    server.start()
    page.wait_for_selector('body[data-connected="true"]', timeout=15_000)
    # While the server was down the browser logged refused connections; nothing else counts.
    assert all("ERR_CONNECTION_REFUSED" in e for e in errors.errors), errors.errors
    errors.errors.clear()
    after = desk.issue("C")
    desk.call(4)
    # The counter's tile shows it at once; the big panel when the voice reaches this call.
    page.wait_for_selector(
        f'[data-counter="4"] [data-tile-code]:has-text("{after["code"]}")', timeout=3000
    )
    page.wait_for_function(
        "code => document.querySelector('[data-latest-code]').textContent.trim() === code",
        arg=after["code"],
        timeout=30_000,
    )
    assert page.is_hidden("[data-offline]")
    assert errors.errors == []


def test_tv_at_720p_shows_pickup_and_waiting(browser, live):
    server, desk = live
    ticket = desk.issue("A")
    desk.issue("C")
    called = desk.call(1)
    desk.post(f"/api/v1/tickets/{called['id']}/finish", "operator")
    desk.post(f"/api/v1/tickets/{called['id']}/stage", "clerk", {"stage": "printed"})
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = PageErrors(page)
    page.goto(f"{server.url}/display/kupang")
    page.wait_for_selector('body[data-connected="true"]')
    page.wait_for_selector(f'[data-pickup] [data-code="{ticket["code"]}"]')
    assert page.inner_text('[data-waiting] [data-service="C"] .count') == "1"
    shot(page, "tv-1280x720")
    assert errors.errors == []
