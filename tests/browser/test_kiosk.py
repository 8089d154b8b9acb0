"""The arrival kiosk in Chromium: sign in once, tap a service, see the ticket, and the printer
gets it; at 1080x1920 portrait and on a 1024x768 tablet."""

from __future__ import annotations

import time

import pytest
import requests

from bench.fake_printer import FakePrinter
from bench.live import LiveServer
from config import ASYNC_MODES
from printer.decode import decode
from tests.browser.pages import PageErrors, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _sign_in(page, server: LiveServer) -> None:
    page.goto(f"{server.url}/kiosk/kupang")
    page.fill("[name=username]", "kiosk")
    page.fill("[name=password]", server.password("kiosk"))
    page.check("[name=remember]")
    page.click("button[type=submit]")
    page.wait_for_selector('[data-service="A"]')
    page.wait_for_selector("body[data-ready]", state="attached")  # its script has bound the taps


def _codes(printer: FakePrinter, count: int) -> list[str]:
    return [
        next(t for t in decode(p).texts if t[:1].isalpha() and t[1:2] == "-")
        for p in printer.wait_for_jobs(count)
    ]


@pytest.mark.parametrize("live", ASYNC_MODES, indirect=True)
def test_one_tap_gives_one_ticket_on_screen_and_on_paper(browser, live):
    server, printer = live.server, live.printer
    context = browser.new_context(viewport={"width": 1080, "height": 1920})
    page = context.new_page()
    errors = PageErrors(page)
    _sign_in(page, server)
    shot(page, "kiosk-1080x1920")

    page.click('[data-service="A"]')
    page.wait_for_selector("[data-ticket-code]:has-text('A-001')")
    page.wait_for_selector('[data-paper-status="printed"]', timeout=10_000)
    shot(page, "kiosk-ticket-1080x1920")
    assert _codes(printer, 1) == ["A-001"]

    # Back home after the ticket has been shown; a double tap makes one ticket.
    page.wait_for_selector("[data-ticket-view]", state="hidden", timeout=12_000)
    page.click('[data-service="C"]', click_count=2, delay=30)
    page.wait_for_selector("[data-ticket-code]:has-text('C-001')")
    page.click("[data-done]")

    # Priority: the pictogram switch, then a service.
    page.click("[data-priority]")
    assert page.get_attribute("[data-priority]", "aria-pressed") == "true"
    page.click('[data-service="A"]')
    page.wait_for_selector("[data-ticket-code]:has-text('A-002')")
    assert page.get_attribute("[data-priority]", "aria-pressed") == "false"
    assert sorted(_codes(printer, 3)) == ["A-001", "A-002", "C-001"]
    # The double tap made one ticket: the server holds C-001 only (A-002 was issued after it,
    # so a second C request would have been answered by now).
    waiting = requests.get(f"{server.url}/api/v1/offices/kupang/board", timeout=10).json()
    assert (waiting["waiting"]["A"], waiting["waiting"]["C"]) == (2, 1)
    assert len(printer.jobs) == 3
    assert errors.errors == []

    # The kiosk stays signed in (remember me) after the browser restarts.
    cookies = context.cookies()
    context.close()
    again = browser.new_context(viewport={"width": 1024, "height": 768})
    again.add_cookies([c for c in cookies if c["name"] == "remember_token"])
    tablet = again.new_page()
    tablet.goto(f"{server.url}/kiosk/kupang")
    tablet.wait_for_selector('[data-service="A"]')
    shot(tablet, "kiosk-1024x768")
    again.close()


def test_kiosk_says_plainly_when_the_paper_did_not_print(browser, live):
    server, printer = live.server, live.printer
    printer.stop()  # the printer is unplugged
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    _sign_in(page, server)
    page.click('[data-service="A"]')
    page.wait_for_selector("[data-ticket-code]:has-text('A-001')")
    page.wait_for_selector('[data-paper-status="failed"]', timeout=8_000)
    assert "tidak tercetak" in page.inner_text("[data-paper-status]")
    shot(page, "kiosk-not-printed-1024x768")


def test_english_is_for_one_resident_and_the_priority_switch_moves_nothing(browser, live):
    server = live.server
    page = browser.new_page(viewport={"width": 1080, "height": 1920})
    errors = PageErrors(page)
    _sign_in(page, server)

    # The switch says yes or no in the same room: no service button moves when it is touched.
    before = page.locator('[data-service="A"]').bounding_box()
    page.click("[data-priority]")
    assert page.inner_text("[data-priority-state]") == "Ya"
    assert page.locator('[data-service="A"]').bounding_box() == before
    page.click('[data-service="A"]')
    page.wait_for_selector("[data-ticket-code]:has-text('A-001')")
    assert page.is_visible("[data-ticket-priority]")  # the screen says it, as the paper does
    assert page.inner_text("[data-ticket-priority]") == "Prioritas"
    page.click("[data-done]")

    # A resident taps English; the ticket screen is in English, the next resident's is not.
    page.click("text=English")
    page.wait_for_selector("html[lang=en]")
    page.click('[data-service="C"]')
    page.wait_for_selector("[data-ticket-code]:has-text('C-001')")
    assert page.inner_text("[data-ticket-ahead]").startswith("You are next")
    assert page.inner_text("[data-priority-state]") == "No"
    shot(page, "kiosk-english-ticket-1080x1920")
    page.click("[data-done]")
    page.wait_for_selector("html[lang=id]")
    page.wait_for_selector('[data-service="A"]')
    assert "Ambil nomor antrean" in page.inner_text("h1")
    assert page.url.endswith("/kiosk/kupang")

    # One person ahead is said so, in English too.
    page.goto(f"{server.url}/kiosk/kupang?lang=en")
    page.click('[data-service="C"]')
    page.wait_for_selector("[data-ticket-code]:has-text('C-002')")
    assert page.inner_text("[data-ticket-ahead]").startswith("One person ahead of you")
    assert errors.errors == []


def _off_screen(page) -> list[str]:
    """The service buttons not wholly on the screen (the kiosk never scrolls)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-service]')]
            .filter(b => { const r = b.getBoundingClientRect();
                           return r.top < 0 || r.bottom > innerHeight || r.right > innerWidth; })
            .map(b => b.dataset.service)"""
    )


def test_every_service_stays_on_the_screen_with_both_notices(browser, live):
    """The printer is down and the blank cards ran out: both notices show before the tap, and
    every service button still fits the portrait kiosk and the tablet, in both languages."""
    import sqlite3

    server, printer = live.server, live.printer
    printer.stop()
    with sqlite3.connect(server.instance / "loket.db") as db:
        db.execute("UPDATE offices SET card_stock = 0 WHERE slug = 'kupang'")
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    _sign_in(page, server)
    page.click('[data-service="C"]')  # the spooler finds the printer away...
    deadline = time.monotonic() + 30
    while not page.is_visible('[data-notice="printer_down"]'):  # ...and the kiosk says so
        assert time.monotonic() < deadline, "the kiosk never said its printer is down"
        page.wait_for_timeout(500)
        page.goto(f"{server.url}/kiosk/kupang")
    for lang in ("id", "en"):
        for width, height in ((1024, 768), (1080, 1920), (1280, 800)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{server.url}/kiosk/kupang?lang={lang}")
            page.wait_for_selector('[data-notice="printer_down"]', state="visible")
            assert page.is_visible('[data-notice="no_blank_cards"]')
            assert page.is_visible('[data-service="A"] [data-no-cards]')
            assert _off_screen(page) == [], (lang, width, height)
            assert page.evaluate("document.documentElement.scrollHeight") <= height
            shot(page, f"kiosk-notices-{lang}-{width}x{height}")
