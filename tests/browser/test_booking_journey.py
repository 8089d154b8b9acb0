"""Booking ahead across the real pages, on a phone (390x844): the public page, booking a time,
the booking's page with its code; then at the office the kiosk's "I have a booking" with the
code typed on its keys, the number called at the counter and finished, the phone following."""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.browser.pages import PageErrors, shot, signed_in, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
KIOSK = {"width": 1024, "height": 768}
WITA = ZoneInfo("Asia/Makassar")


def _bookable_now(server) -> None:
    """The demo's service A takes bookings all day in 5-minute slots: the next slot starts
    within five minutes, so a booking made now checks in at once (30 minutes early is in)."""
    local = datetime.now(WITA)
    if local.hour == 23 and local.minute >= 54:  # no slot left today: wait for the next day
        time.sleep((60 - local.minute) * 60 - local.second + 5)
    with sqlite3.connect(server.instance / "loket.db") as db:
        db.execute(
            "UPDATE booking_plans SET starts = '00:00:00.000000', ends = '23:59:00.000000', "
            "slot_min = 5 WHERE service_id IN (SELECT s.id FROM services s JOIN offices o "
            "ON o.id = s.office_id WHERE o.slug = 'kupang' AND s.code = 'A')"
        )


def test_book_on_the_phone_then_check_in_at_the_kiosk(browser, live):
    server, desk = live.server, live.desk
    _bookable_now(server)
    phone = browser.new_page(viewport=PHONE)
    phone_errors = PageErrors(phone)

    # The public page: every office, open or not, and the way to book.
    phone.goto(f"{server.url}/")
    assert phone.locator("[data-office]").count() == 3
    shot(phone, "booking-1-public-page")
    phone.locator('[data-office="kupang"] [data-book-link]').click()

    # Service, day, time: three taps.
    phone.click('[data-book-service="A"]')
    today = datetime.now(WITA).date().isoformat()
    phone.click(f'[data-book-day="{today}"]')
    shot(phone, "booking-2-times")
    first = phone.locator("[data-book-slot]").first
    start = first.get_attribute("data-book-slot")
    first.click()
    wait_text(phone, "[data-status]", "Tunjukkan kode ini di kios")
    code = phone.text_content("[data-booking-code]").strip()
    assert len(code) == 7
    assert phone.locator(".p-qr").evaluate("img => img.complete && img.naturalWidth > 0")
    shot(phone, "booking-3-booked")
    booking_page = phone.url

    # Someone walks in now, before the slot's time.
    walk_in = desk.issue("A")

    # At the office: "I have a booking", the code typed on the kiosk's keys.
    kiosk, kiosk_errors = signed_in(browser, server, "kiosk", KIOSK, "/kiosk/kupang")
    kiosk.wait_for_selector("body[data-ready]", state="attached")
    kiosk.click("[data-booking-open]")
    for key in code:
        kiosk.click(f'[data-key="{key}"]')
    shot(kiosk, "booking-4-kiosk-code")
    kiosk.click("[data-booking-submit]")
    wait_text(kiosk, "[data-ticket-code]", r"^A-\d{3}$")
    ticket_code = kiosk.text_content("[data-ticket-code]").strip()
    shot(kiosk, "booking-5-kiosk-ticket")

    # The booking's page now links to the number's status page.
    phone.goto(booking_page)
    wait_text(phone, "[data-status]", "Sudah check-in")
    phone.click("[data-track]")
    wait_text(phone, "[data-status]", "berikutnya|menunggu|di depan")

    # The booking queues at its slot's time, which is after the walk-in's arrival: the walk-in
    # is called first, then the booking (though it checked in before anyone was called).
    called = desk.call(1)
    assert called["code"] == walk_in["code"]
    desk.post(f"/api/v1/tickets/{called['id']}/finish", "operator")
    called = desk.call(1)
    assert called["code"] == ticket_code
    wait_text(phone, "[data-status]", "Silakan menuju Loket 1")
    desk.post(f"/api/v1/tickets/{called['id']}/finish", "operator")
    wait_text(phone, "[data-status]", "KTP-el|selesai")
    shot(phone, "booking-6-phone-done")

    # Used once: a second check-in is refused with a sentence.
    kiosk.click("[data-done]")
    kiosk.click("[data-booking-open]")
    kiosk.fill("[data-booking-input]", code)
    kiosk.click("[data-booking-submit]")
    wait_text(kiosk, "[data-message]", "sudah dipakai")
    assert start
    assert phone_errors.errors == []
    # The refused second check-in is the one failed request the kiosk saw.
    assert len(kiosk_errors.errors) == 1 and "409" in kiosk_errors.errors[0]


def test_a_number_from_the_phone_by_the_code_on_the_tv(browser, live):
    server = live.server
    tv, tv_errors = signed_in(
        browser, server, "display", {"width": 1920, "height": 1080}, "/display/kupang"
    )
    tv.wait_for_selector("[data-phone-qr]")
    assert tv.locator("[data-phone-qr]").evaluate("img => img.complete && img.naturalWidth > 0")
    shot(tv, "phone-1-tv-with-code")
    link = tv.evaluate("fetch('/p/kupang/code.json').then(r => r.json()).then(d => d.url)")
    phone = browser.new_page(viewport=PHONE)
    phone_errors = PageErrors(phone)
    # The link names the server's LAN address (a phone cannot reach 127.0.0.1); the test's
    # browser reaches the same server on its loopback port.
    assert re.match(r"^https?://[^/]+/p/kupang/[a-z2-7]{16}$", link), link
    phone.goto(server.url + "/p/" + link.split("/p/", 1)[1])
    shot(phone, "phone-2-services")
    phone.click('[data-phone-service="A"]')
    wait_text(phone, "[data-status]", "berikutnya|di depan")
    code = phone.text_content("[data-code]").strip()
    assert code.startswith("A-")
    wait_text(tv, '[data-waiting] [data-service="A"] .count', "^1$")
    shot(phone, "phone-3-status")
    assert phone_errors.errors == [] and tv_errors.errors == []


def _y4m_of_qr(link: str, path) -> None:
    """A one-frame Y4M video (Chromium's fake camera) showing the QR code of ``link``."""
    import qrcode
    from PIL import Image

    code = qrcode.make(link, border=4, box_size=8).convert("L")
    frame = Image.new("L", (640, 480), 255)
    side = min(440, code.size[0])
    frame.paste(code.resize((side, side)), ((640 - side) // 2, (480 - side) // 2))
    y = frame.tobytes()
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
        for _ in range(3):
            out.write(b"FRAME\n" + y + chroma + chroma)


def test_the_kiosk_camera_reads_a_bookings_qr_code(browser, live, tmp_path):
    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.services import chromium_path

    server, desk = live.server, live.desk
    _bookable_now(server)
    day = datetime.now(WITA).date().isoformat()
    slots = desk.http.get(f"{server.url}/api/v1/offices/kupang/slots?service=A&date={day}").json()
    made = desk.http.post(
        f"{server.url}/api/v1/offices/kupang/bookings",
        json={"service": "A", "start": slots[0]["start"]},
    ).json()
    video = tmp_path / "camera.y4m"
    _y4m_of_qr(made["booking_url"], video)
    # A browser of its own (the same Playwright), with a fake camera that films the QR code.
    camera_browser = browser.browser_type.launch(
        executable_path=chromium_path(),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        kiosk, errors = signed_in(camera_browser, server, "kiosk", KIOSK, "/kiosk/kupang")
        kiosk.wait_for_selector("body[data-ready]", state="attached")
        kiosk.click("[data-booking-open]")
        kiosk.click("[data-camera-start]")
        wait_text(kiosk, "[data-ticket-code]", r"^A-\d{3}$", timeout=15000)
        shot(kiosk, "booking-7-kiosk-camera")
        assert errors.errors == []
    finally:
        camera_browser.close()
    status = desk.http.get(f"{server.url}/api/v1/bookings/{made['token']}").json()["status"]
    assert status == "checked_in"
