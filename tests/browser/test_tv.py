"""The TV page in Chromium: live calls, voice, and recovery after the server restarts."""

from __future__ import annotations

import pytest

from bench.live import LiveServer
from config import ASYNC_MODES
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.pages import PageErrors, shot
from tests.realtime.clients import HttpDesk
from tests.services import chromium_path

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _latest(page) -> str:
    return page.inner_text("[data-latest-code]").strip()


@pytest.mark.parametrize("live", ASYNC_MODES, indirect=True)
def test_tv_shows_calls_within_a_second_and_recovers_after_a_restart(browser, live):
    server, desk = live.server, live.desk
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors = PageErrors(page)
    page.goto(f"{server.url}/display/kupang")
    page.wait_for_selector('body[data-connected="true"]', timeout=10_000)

    ticket = desk.issue("A")
    desk.call(1)
    # The call arrives (how fast a call reaches screens is measured by bench/fanout.py).
    page.wait_for_function(
        "code => document.querySelector('[data-latest-code]').textContent.trim() === code",
        arg=ticket["code"],
        timeout=10_000,
    )
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
    server, desk = live.server, live.desk
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


# A ninth service and three more counters (the demo's main office has 8 services, 5 counters).
_GROW = """
from datetime import UTC, datetime
from app import create_app
from app.extensions import db
from app.models import Counter, CounterService, Office, Service
from config import Config

app = create_app(Config())
with app.app_context():
    office = db.session.query(Office).filter_by(slug="kupang").one()
    ninth = Service(code="I", name="Legalisir Dokumen", name_en="Legalisation", colour="#bf360c",
                    produces_card=False, active=True, position=9, default_service_s=300)
    office.services.append(ninth)
    for number in (6, 7, 8):
        counter = Counter(number=number, name=f"Loket {number}", is_open=True,
                          call_order="oldest")
        counter.links = [CounterService(service=ninth, position=0)]
        office.counters.append(counter)
    db.session.commit()
"""


def _inside(page, selector: str) -> list[str]:
    """The elements matching ``selector`` that are cut off (outside the window or their box)."""
    return page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector)).filter((el) => {
             const r = el.getBoundingClientRect();
             if (r.width === 0 || r.height === 0) { return true; }
             if (r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 ||
                 r.bottom > innerHeight + 0.5) { return true; }
             let box = el.parentElement;
             while (box && box !== document.body) {
               const style = getComputedStyle(box);
               if (style.overflow !== "visible" || style.overflowY !== "visible") {
                 const b = box.getBoundingClientRect();
                 if (r.left < b.left - 0.5 || r.right > b.right + 0.5 ||
                     r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5) { return true; }
               }
               box = box.parentElement;
             }
             return false;
           }).map((el) => el.textContent.trim() || el.outerHTML.slice(0, 60))""",
        selector,
    )


def test_every_part_of_the_tv_fits_with_nine_services_and_eight_counters(browser):
    """Issue 11, point 8: at 1920x1080 the fourth previous call was cut off, at 1280x720 the
    waiting counts after E; each tile, call, count and pickup number is whole on the screen, at
    each of the three sizes a TV has."""
    import subprocess
    import sys

    from bench.live import ROOT

    server = LiveServer()
    tokens = server.prepare()
    subprocess.run([sys.executable, "-c", _GROW], cwd=ROOT, env=server.env, check=True)
    server.start()
    try:
        desk = HttpDesk(server, tokens)
        for service in "AAAAAABCDEFGHIII":
            desk.issue(service)
        held = {number: desk.call(number) for number in (1, 2, 3, 4, 5, 6, 7, 8)}
        # More calls than the list has rows; the finished cards are printed, for pickup.
        for _ in range(2):
            for number in (1, 2):
                ticket = held[number]
                desk.post(f"/api/v1/tickets/{ticket['id']}/finish", "operator")
                desk.post(f"/api/v1/tickets/{ticket['id']}/stage", "clerk", {"stage": "printed"})
                held[number] = desk.call(number)
        found = {}
        for width, height in ((1920, 1080), (1366, 768), (1280, 720)):
            page = browser.new_page(viewport={"width": width, "height": height})
            errors = PageErrors(page)
            page.goto(f"{server.url}/display/kupang")
            page.wait_for_selector('body[data-connected="true"]')
            page.wait_for_selector('[data-counter="8"]')
            assert page.locator("[data-waiting] [data-service]").count() == 9
            assert page.locator("[data-counters] [data-counter]").count() == 8
            assert page.locator("[data-recent] li").count() == 4
            cut = {
                part: _inside(page, selector)
                for part, selector in (
                    ("latest call", "[data-latest-call] > *"),
                    ("counter tiles", "[data-counters] [data-counter]"),
                    ("previous calls", "[data-recent] li"),
                    ("waiting counts", "[data-waiting] li"),
                    ("pickup", "[data-pickup] li"),
                    ("clock", "[data-clock-time]"),
                )
            }
            shot(page, f"tv-9-services-8-counters-{width}x{height}")
            found.update(
                {f"{part} at {width}x{height}": items for part, items in cut.items() if items}
            )
            assert errors.errors == []
            page.close()
        assert found == {}
    finally:
        server.stop()


_COVERED = """() => {
  const prompt = document.querySelector("[data-sound-overlay]").getBoundingClientRect();
  const parts = "[data-latest-call], [data-counters] [data-counter], .tv-foot .tv-panel, " +
    "[data-clock-time]";
  return Array.from(document.querySelectorAll(parts)).filter((el) => {
    const r = el.getBoundingClientRect();
    return r.left < prompt.right && prompt.left < r.right &&
      r.top < prompt.bottom && prompt.top < r.bottom;
  }).map((el) => el.className || el.tagName);
}"""


def test_the_sound_prompt_covers_no_number_count_or_counter(browser, live):
    """A TV's browser started without the kiosk flag that lets it play sound by itself blocks
    the voice until someone taps. The prompt asking for it sits in the ticker's band: every
    call, counter, count and pickup number stays in view meanwhile, at each size a TV has (it
    covered the waiting counts)."""
    quiet = browser.browser_type.launch(
        executable_path=chromium_path(),
        args=[arg for arg in CHROMIUM_ARGS if not arg.startswith("--autoplay-policy")],
    )
    try:
        for service in "AAACBDEFG":
            live.desk.issue(service)
        live.desk.call(1)  # recent: each TV switched on now speaks it, or asks for a tap
        for width, height in ((1920, 1080), (1366, 768), (1280, 720)):
            page = quiet.new_page(viewport={"width": width, "height": height})
            errors = PageErrors(page)
            page.goto(f"{live.server.url}/display/kupang")
            page.wait_for_selector('body[data-connected="true"]')
            prompt = page.wait_for_selector("[data-sound-overlay]:not([hidden])", timeout=15000)
            box = prompt.bounding_box()
            assert box["x"] >= 0 and box["y"] >= 0
            assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height
            assert page.evaluate(_COVERED) == [], f"covered at {width}x{height}"
            assert box["y"] >= page.locator("[data-ticker]").bounding_box()["y"] - 0.5
            shot(page, f"tv-sound-prompt-{width}x{height}")
            prompt.click()
            page.wait_for_selector("[data-sound-overlay]", state="hidden")
            assert errors.errors == []
            page.close()
    finally:
        quiet.close()
