"""The screen above one counter: the code called there, huge and live, on a 1280x720 and an
800x480 screen; a new call and a recall flash it; a closed counter says so."""

from __future__ import annotations

import pytest

from tests.browser.pages import PageErrors, shot, wait_text

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("size", [(1280, 720), (800, 480)])
def test_the_counter_screen_follows_its_calls(browser, live, size):
    server, desk = live.server, live.desk
    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = PageErrors(page)
    page.goto(f"{server.url}/display/kupang/counter/1")
    page.wait_for_selector("body[data-ready]", state="attached")
    assert page.inner_text("[data-counter-current]") == ""
    assert page.inner_text("[data-counter-name]") == "Loket 1"

    desk.issue("A")
    desk.issue("A")
    first = desk.call(1)
    wait_text(page, "[data-counter-current]", f"^{first['code']}$")
    page.wait_for_selector(".c-main.flash")
    # Another counter's call changes nothing here.
    other = desk.call(2)
    assert other["code"] != first["code"]
    page.wait_for_timeout(0)
    assert page.inner_text("[data-counter-current]") == first["code"]

    # Large enough to read from five metres: the code fills most of the screen's height.
    box = page.locator("[data-counter-current]").bounding_box()
    assert box["height"] >= height * 0.35 and box["width"] <= width
    shot(page, f"counter-screen-{width}x{height}")

    # Finished: the screen empties; a recall of the next one flashes again.
    assert desk.post(f"/api/v1/tickets/{first['id']}/finish", "operator").status_code == 200
    wait_text(page, "[data-counter-current]", "^$")
    assert errors.errors == []


def test_a_closed_counter_says_so_and_an_unknown_one_is_404(browser, live):
    server, desk = live.server, live.desk
    page = browser.new_page(viewport={"width": 800, "height": 480})
    page.goto(f"{server.url}/display/kupang/counter/2")
    page.wait_for_selector("body[data-ready]", state="attached")
    assert desk.post(f"/api/v1/counters/{desk.counter_id(2)}/pause", "operator").status_code == 200
    page.wait_for_selector("[data-counter-closed]:not([hidden])")
    assert "tutup" in page.inner_text("[data-counter-closed]")
    shot(page, "counter-screen-closed-800x480")
    missing = page.goto(f"{server.url}/display/kupang/counter/99")
    assert missing.status == 404
