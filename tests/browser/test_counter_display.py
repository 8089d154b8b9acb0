"""The screen above one counter: the code called there, huge and live, on a 1280x720 and an
800x480 screen; a new call and a recall flash it; a closed counter says so."""

from __future__ import annotations

import itertools

import pytest

from tests.browser.pages import PageErrors, shot, signed_in, wait_text

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


def test_the_choice_of_counter_has_targets_set_apart_on_a_tablet(browser, live):
    """The operator's first tap of the day: each counter a large target with its services on a
    line of its own, none touching the next (they were a bulleted list of buttons, edge to
    edge, "Loket 1 A")."""
    page, errors = signed_in(
        browser, live.server, "operator", {"width": 1024, "height": 768}, "/counter/"
    )
    links = page.locator("[data-counter-link]")
    assert links.count() >= 2
    boxes = [links.nth(i).bounding_box() for i in range(links.count())]
    for box in boxes:
        assert box["height"] >= 48 and box["width"] >= 160, box
        assert box["x"] + box["width"] <= 1024 and box["y"] + box["height"] <= 768
    for one, other in itertools.combinations(boxes, 2):
        apart_x = max(
            other["x"] - (one["x"] + one["width"]), one["x"] - (other["x"] + other["width"])
        )
        apart_y = max(
            other["y"] - (one["y"] + one["height"]), one["y"] - (other["y"] + other["height"])
        )
        assert max(apart_x, apart_y) >= 8, (one, other)
    first = links.first
    assert first.locator("strong").bounding_box()["y"] < first.locator("span").bounding_box()["y"]
    assert (
        page.locator(".counter-list li").first.evaluate("li => getComputedStyle(li).listStyleType")
        == "none"
    )
    shot(page, "counter-choice-1024x768")
    assert errors.errors == []
