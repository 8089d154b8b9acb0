"""The guest Wi-Fi in Chromium: the administrator sets it in the office settings, and the kiosk's
ticket screen then shows a "join the Wi-Fi" QR code beside the status QR (read back off the
screenshot with a QR decoder), with the network's name; once it is cleared, only the status QR.
On the 1024x768 tablet the kiosk is."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from app.wifi import qr_payload
from tests.browser.pages import shot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABLET = {"width": 1024, "height": 768}
SSID, PASSWORD = "Dukcapil-Tamu", 'antre;dengan:"tenang"'


def _read_qr(locator) -> list[str]:
    """What a QR decoder reads in the element's screenshot (as a phone's camera would)."""
    image = Image.open(io.BytesIO(locator.screenshot())).convert("L")
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def _save_wifi(page, ssid: str, password: str) -> None:
    page.goto(page.url.split("/admin/")[0] + "/admin/kupang/settings")
    page.fill("[name=wifi_ssid]", ssid)
    page.fill("[name=wifi_password]", password)
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    page.wait_for_selector("p.notice[role=status]")  # saved, back on the settings page
    assert page.input_value("[name=wifi_ssid]") == ssid


def _take_ticket(browser, server, service: str):
    page, errors = signed_in(browser, server, "kiosk", TABLET, "/kiosk/kupang")
    page.wait_for_selector("body[data-ready]", state="attached")
    page.click(f'[data-service="{service}"]')
    page.wait_for_selector("[data-ticket-view]:not([hidden])")
    page.wait_for_function("() => document.querySelector('[data-ticket-qr]').naturalWidth > 0")
    return page, errors


def test_the_kiosk_shows_the_wifi_qr_only_while_a_wifi_is_set(browser, live):
    server = live.server
    admin, admin_errors = signed_in(browser, server, "admin", TABLET, "/admin/kupang/settings")
    _save_wifi(admin, SSID, PASSWORD)
    shot(admin, "admin-settings-wifi-1024x768")

    page, errors = _take_ticket(browser, server, "A")
    page.wait_for_function("() => document.querySelector('[data-wifi-qr]').naturalWidth > 0")
    shot(page, "kiosk-ticket-wifi-1024x768")
    wifi, status = page.locator("[data-wifi-qr]"), page.locator("[data-ticket-qr]")
    assert wifi.is_visible() and status.is_visible()
    assert page.inner_text("[data-wifi-name]") == SSID
    assert PASSWORD not in page.inner_text("body")
    # Side by side, the Wi-Fi first, both whole on the screen, the button still reachable.
    left, right = wifi.bounding_box(), status.bounding_box()
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 2
    assert left["width"] >= 120 and right["width"] >= 120
    done = page.locator("[data-done]").bounding_box()
    assert done["y"] + done["height"] <= TABLET["height"]
    assert _read_qr(wifi) == [qr_payload(SSID, PASSWORD)]
    token = page.get_attribute("[data-ticket-qr]", "src").split("/")[2]
    assert _read_qr(status)[0].endswith(f"/t/{token}")
    assert errors.errors == []

    # The Wi-Fi is turned off: the next ticket shows the status QR alone.
    _save_wifi(admin, "", "")
    page.goto(f"{server.url}/kiosk/kupang")
    page.wait_for_selector("body[data-ready]", state="attached")
    page.click('[data-service="C"]')
    page.wait_for_selector("[data-ticket-view]:not([hidden])")
    page.wait_for_function("() => document.querySelector('[data-ticket-qr]').naturalWidth > 0")
    assert page.locator("[data-wifi]").count() == 0
    assert page.locator("[data-ticket-qr]").is_visible()
    shot(page, "kiosk-ticket-no-wifi-1024x768")
    assert errors.errors == [] and admin_errors.errors == []
