"""The scripts' side of an estimated wait of exactly one minute, in Chromium: the status page's
live updates (status.js) and the kiosk's ticket (kiosk.js) read "about 1 minute", never
"1 minutes"; in Indonesian "sekitar 1 menit". The server's side: tests/pages/test_minute_counts.py.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.browser.pages import PageErrors, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 360, "height": 740}


def _a_minute_a_person(server, code: str) -> None:
    """``code`` at Kupang takes 60 s a person: with A's two counters, 1 or 2 ahead is 1 minute
    and 3 ahead 2 minutes; with C's one counter, n ahead is n minutes."""
    with sqlite3.connect(server.instance / "loket.db") as db:
        db.execute(
            "UPDATE services SET default_service_s = 60, avg_service_s = NULL "
            "WHERE code = ? AND office_id = (SELECT id FROM offices WHERE slug = 'kupang')",
            (code,),
        )


def _kiosk(browser, server):
    page = browser.new_page(viewport={"width": 1080, "height": 1920})
    errors = PageErrors(page)
    page.goto(f"{server.url}/kiosk/kupang")
    page.fill("[name=username]", "kiosk")
    page.fill("[name=password]", server.password("kiosk"))
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready]", state="attached")  # its script has bound the taps
    return page, errors


def test_the_status_pages_live_sentences_say_one_minute(browser, live):
    server, desk = live.server, live.desk
    _a_minute_a_person(server, "A")
    ours = [desk.issue("A") for _ in range(4)][-1]
    pages = {}
    errors = []
    for lang in ("en", "id"):
        page = browser.new_context(viewport=PHONE).new_page()
        errors.append(PageErrors(page))
        page.goto(f"{server.url}/t/{ours['token']}?lang={lang}")
        pages[lang] = page
    wait_text(pages["en"], "[data-status]", r"^3 people ahead of you, about 2 minutes\.$")
    wait_text(pages["id"], "[data-status]", r"^3 orang di depan Anda, sekitar 2 menit\.$")

    # What follows arrives live: only the script writes it.
    desk.call(1)
    wait_text(pages["en"], "[data-status]", r"^2 people ahead of you, about 1 minute\.$")
    wait_text(pages["id"], "[data-status]", r"^2 orang di depan Anda, sekitar 1 menit\.$")
    desk.call(2)
    wait_text(pages["en"], "[data-status]", r"^One person ahead of you, about 1 minute\.$")
    wait_text(pages["id"], "[data-status]", r"^Satu orang lagi di depan Anda, sekitar 1 menit\.$")
    assert [e.errors for e in errors] == [[], []]


def test_the_kiosks_ticket_says_one_minute(browser, live):
    server, desk = live.server, live.desk
    _a_minute_a_person(server, "C")
    desk.issue("C")
    page, errors = _kiosk(browser, server)

    expected = {
        "C-002": r"^One person ahead of you \u2014 about 1 minute$",
        "C-003": r"^2 people ahead of you \u2014 about 2 minutes$",
    }
    for code, sentence in expected.items():
        page.goto(f"{server.url}/kiosk/kupang?lang=en")
        page.wait_for_selector("body[data-ready]", state="attached")
        page.click('[data-service="C"]')
        page.wait_for_selector(f"[data-ticket-code]:has-text('{code}')")
        wait_text(page, "[data-ticket-ahead]", sentence)
        page.click("[data-done]")
    page.wait_for_selector("html[lang=id]")
    page.wait_for_selector("body[data-ready]", state="attached")
    page.click('[data-service="C"]')
    page.wait_for_selector("[data-ticket-code]:has-text('C-004')")
    wait_text(page, "[data-ticket-ahead]", r"^3 orang di depan Anda \u2014 sekitar 3 menit$")
    assert errors.errors == []
