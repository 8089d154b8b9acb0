"""One person's whole journey across the real pages, each in its own browser: the kiosk tap, the
counter console, the TV, the print station, the phone page changing live, and the handover.
Plus two operators calling at the same moment, and the console driven by keyboard alone."""

from __future__ import annotations

import re

import pytest

from config import ASYNC_MODES
from tests.browser.pages import PageErrors, shot, signed_in, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("live", ASYNC_MODES, indirect=True)
def test_one_persons_whole_journey(browser, live):
    server, desk, printer = live.server, live.desk, live.printer
    counter_id = desk.counter_id(1)
    kiosk, kiosk_errors = signed_in(
        browser, server, "kiosk", {"width": 1080, "height": 1920}, "/kiosk/kupang"
    )
    tv = browser.new_page(viewport=DESKTOP)
    tv_errors = PageErrors(tv)
    tv.goto(f"{server.url}/display/kupang")
    operator, operator_errors = signed_in(
        browser, server, "operator", DESKTOP, f"/counter/{counter_id}"
    )
    clerk, clerk_errors = signed_in(browser, server, "clerk", DESKTOP, "/station/print")
    kiosk.wait_for_selector("body[data-ready]", state="attached")  # the kiosk's taps are live

    # The kiosk: one tap, the ticket on screen and on paper.
    kiosk.click('[data-service="A"]')
    wait_text(kiosk, "[data-ticket-code]", "^A-001$")
    token = re.search(r"/t/([^/]+)/qr\.svg", kiosk.get_attribute("[data-ticket-qr]", "src"))[1]
    printer.wait_for_jobs(1)

    phone = browser.new_page(viewport=PHONE)
    phone_errors = PageErrors(phone)
    phone.goto(f"{server.url}/t/{token}")
    wait_text(phone, "[data-status]", "berikutnya")
    shot(phone, "journey-1-phone-waiting")

    # The counter calls it with one key; the TV and the phone follow.
    operator.wait_for_selector('[data-waiting-ticket="A-001"]')
    operator.keyboard.press("n")
    wait_text(operator, "[data-current-ticket]", "^A-001$")
    wait_text(tv, "[data-latest-code]", "^A-001$")
    wait_text(phone, "[data-status]", "Silakan menuju Loket 1")
    shot(operator, "journey-2-console")
    shot(tv, "journey-2-tv")
    shot(phone, "journey-2-phone-called")

    operator.keyboard.press("s")
    wait_text(phone, "[data-status]", "sedang dilayani")
    # The phone can hear of it before the console has its answer: a key pressed while the
    # console is still busy is ignored, as it should be.
    operator.wait_for_selector('body[data-busy="false"]')
    operator.keyboard.press("f")
    wait_text(phone, "[data-status]", "sedang dicetak")
    wait_text(operator, "[data-current-ticket]", "^\u2014$")

    # The print station marks it printed: the TV lists it for pickup, the phone says so.
    clerk.wait_for_selector('[data-ticket="A-001"] [data-action="printed"]')
    stock_before = int(clerk.inner_text("[data-card-stock]"))
    shot(clerk, "journey-3-print-station")
    clerk.click('[data-ticket="A-001"] [data-action="printed"]')
    wait_text(clerk, "[data-card-stock]", f"^{stock_before - 1}$")
    tv.wait_for_selector('[data-pickup] [data-code="A-001"]')
    wait_text(phone, "[data-status]", "siap diambil")
    shot(tv, "journey-3-tv-pickup")
    shot(phone, "journey-3-phone-ready")

    # The handover desk: the scanner types the status link and Enter.
    clerk.goto(f"{server.url}/station/handover")
    clerk.fill("[name=code]", f"{server.url}/t/{token}")
    clerk.press("[name=code]", "Enter")
    clerk.click('[data-found-ticket="A-001"] [data-action="handed-over"]')
    wait_text(phone, "[data-status]", "sudah diserahkan")
    tv.wait_for_selector('[data-pickup] [data-code="A-001"]', state="detached")
    shot(clerk, "journey-4-handover")
    shot(phone, "journey-4-phone-done")

    for errors in (kiosk_errors, tv_errors, operator_errors, clerk_errors, phone_errors):
        assert errors.errors == []


def test_two_operators_calling_at_the_same_moment_get_different_tickets(browser, live):
    server, desk = live.server, live.desk
    first, second = desk.issue("A"), desk.issue("A")
    one, _ = signed_in(browser, server, "operator", DESKTOP, f"/counter/{desk.counter_id(1)}")
    two, _ = signed_in(browser, server, "operator", DESKTOP, f"/counter/{desk.counter_id(2)}")
    for page in (one, two):
        page.wait_for_selector(f'[data-waiting-ticket="{second["code"]}"]')
    # Both clicks are dispatched before either answer comes back.
    one.evaluate("document.querySelector('[data-action=\"call-next\"]').click()")
    two.evaluate("document.querySelector('[data-action=\"call-next\"]').click()")
    for page in (one, two):
        wait_text(page, "[data-current-ticket]", "^A-00[12]$")
    got = {one.inner_text("[data-current-ticket]"), two.inner_text("[data-current-ticket]")}
    assert got == {first["code"], second["code"]}


def test_the_console_works_from_the_keyboard_alone(browser, live):
    server, desk = live.server, live.desk
    desk.issue("A")
    desk.issue("A")
    page, errors = signed_in(browser, server, "operator", DESKTOP, f"/counter/{desk.counter_id(1)}")
    page.wait_for_selector('[data-waiting-ticket="A-002"]')
    assert page.is_disabled('[data-action="finish"]')
    page.keyboard.press("n")
    wait_text(page, "[data-current-ticket]", "^A-001$")
    assert page.is_disabled('[data-action="call-next"]')
    page.keyboard.press("n")  # not allowed while a ticket is held: nothing happens
    page.keyboard.press("r")
    page.wait_for_selector('body[data-busy="false"]')
    page.keyboard.press("s")
    page.wait_for_selector('body[data-ticket-status="serving"]')
    assert page.is_disabled('[data-action="recall"]')
    page.keyboard.press("t")
    page.wait_for_selector("[data-transfer]:not([hidden])")
    page.keyboard.press("Escape")
    assert page.is_hidden("[data-transfer]")
    page.keyboard.press("t")
    page.wait_for_selector("[data-transfer]:not([hidden])")
    page.keyboard.press("c")  # transfer to service C
    wait_text(page, "[data-message]", "C")
    wait_text(page, "[data-current-ticket]", "^\u2014$")
    page.wait_for_selector('body[data-busy="false"]')  # the transfer's answer is in
    page.keyboard.press("n")
    wait_text(page, "[data-current-ticket]", "^A-002$")
    page.keyboard.press("a")  # absent
    wait_text(page, "[data-message]", "tidak hadir")
    page.wait_for_selector('body[data-busy="false"]')
    page.keyboard.press("p")  # pause
    wait_text(page, "[data-counter-state]", "Dijeda")
    page.wait_for_selector('body[data-busy="false"]')
    assert page.is_disabled('[data-action="call-next"]')
    page.keyboard.press("p")
    wait_text(page, "[data-counter-state]", "Buka")
    shot(page, "console-keyboard")
    assert errors.errors == []


def test_every_move_of_a_ticket_reaches_its_open_phone_page(browser, live):
    """Transferred, put back in the queue, cancelled: the resident's page follows each without a
    reload (issue 11, point 5)."""
    server, desk = live.server, live.desk
    desk.issue("C")  # someone already waits in C, since before our ticket was issued
    ticket = desk.issue("A")
    phone = browser.new_page(viewport=PHONE)
    errors = PageErrors(phone)
    phone.goto(f"{server.url}/t/{ticket['token']}")
    wait_text(phone, "[data-status]", "berikutnya")
    assert phone.is_hidden("[data-moved]")

    moved = desk.post(f"/api/v1/tickets/{ticket['id']}/transfer", "operator", {"service": "C"})
    assert moved.status_code == 200, moved.text
    wait_text(phone, "[data-service-name]", "^Kartu Keluarga$")
    wait_text(phone, "[data-status]", "Satu orang lagi di depan Anda")
    assert phone.is_visible("[data-moved]")
    shot(phone, "status-transferred-390x844")

    ahead = desk.call(4)  # counter 4 calls C: the one ahead of us
    wait_text(phone, "[data-status]", "berikutnya")
    assert desk.post(f"/api/v1/tickets/{ahead['id']}/finish", "operator").status_code == 200
    desk.call(4)  # and then us
    wait_text(phone, "[data-status]", "Loket 4")
    assert desk.post(f"/api/v1/tickets/{ticket['id']}/no-show", "operator").status_code == 200
    wait_text(phone, "[data-status]", "tidak hadir")
    assert desk.post(f"/api/v1/tickets/{ticket['id']}/requeue", "operator").status_code == 200
    wait_text(phone, "[data-status]", "berikutnya")
    assert desk.post(f"/api/v1/tickets/{ticket['id']}/cancel", "operator").status_code == 200
    wait_text(phone, "[data-status]", "sudah tidak berlaku")
    assert errors.errors == []


def test_a_slip_at_the_console_is_undone_and_absent_tickets_come_back(browser, live):
    """Issue 11, point 9: "absent" pressed by mistake is undone with U within seconds; the day's
    absent tickets are listed, each with "back in the queue" and "cancel"."""
    server, desk = live.server, live.desk
    desk.issue("A")
    desk.issue("A")
    page, errors = signed_in(browser, server, "operator", DESKTOP, f"/counter/{desk.counter_id(1)}")
    page.wait_for_selector('[data-waiting-ticket="A-002"]')
    assert page.is_hidden('[data-action="undo"]')
    page.keyboard.press("n")
    wait_text(page, "[data-current-ticket]", "^A-001$")
    page.keyboard.press("a")  # the slip
    wait_text(page, "[data-message]", "A-001 .*tidak hadir")
    page.wait_for_selector('[data-action="undo"]:not([hidden]):not([disabled])')
    page.click("[data-absent-panel] summary")
    page.wait_for_selector('[data-absent-ticket="A-001"]')
    shot(page, "console-undo-offered")
    page.keyboard.press("u")
    wait_text(page, "[data-current-ticket]", "^A-001$")
    wait_text(page, "[data-message]", "A-001 kembali ke loket ini")
    assert page.is_hidden('[data-action="undo"]')
    page.wait_for_selector('[data-absent-ticket="A-001"]', state="detached")

    # Finished by mistake: undone too, back to being served as it was.
    page.keyboard.press("s")
    page.wait_for_selector('body[data-ticket-status="serving"]')
    page.keyboard.press("f")
    wait_text(page, "[data-current-ticket]", "^\u2014$")
    page.click('[data-action="undo"]')
    page.wait_for_selector('body[data-ticket-status="serving"]')

    # Really absent this time; the offer to undo goes after a few seconds.
    page.keyboard.press("a")
    wait_text(page, "[data-message]", "tidak hadir")
    page.wait_for_selector('[data-action="undo"]', state="hidden", timeout=15_000)
    row = '[data-absent-ticket="A-001"]'
    page.wait_for_selector(row)
    page.click(f'{row} [data-absent-action="requeue"]')
    wait_text(page, "[data-message]", "A-001 kembali ke antrean")
    page.wait_for_selector('[data-waiting-ticket="A-001"]')

    # Called again, absent again, and cancelled from the list (two touches).
    page.keyboard.press("n")
    wait_text(page, "[data-current-ticket]", "^A-002$")
    page.keyboard.press("a")
    page.wait_for_selector('[data-absent-ticket="A-002"]')
    cancel = '[data-absent-ticket="A-002"] [data-absent-action="cancel"]'
    page.click(cancel)
    wait_text(page, cancel, "A-002")  # asks first
    page.click(cancel)
    wait_text(page, "[data-message]", "A-002 dibatalkan")
    page.wait_for_selector('[data-absent-ticket="A-002"]', state="detached")
    shot(page, "console-absent-list")
    assert errors.errors == []
