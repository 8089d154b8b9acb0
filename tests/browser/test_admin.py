"""The administrator's pages in Chromium: the dashboard changing live, and the report page with
its charts, CSV downloads and print layout (screenshots in test-artifacts/)."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.browser.pages import ARTIFACTS, shot, signed_in, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABLET = {"width": 1024, "height": 768}
WIDE = {"width": 1366, "height": 900}


def test_dashboard_follows_the_queue_live(browser, live):
    server, desk = live.server, live.desk
    page, errors = signed_in(browser, server, "admin", TABLET, "/admin/kupang/")
    wait_text(page, '[data-service="A"] td.num', r"^0 ")
    first = desk.issue("A")
    desk.issue("A")
    wait_text(page, '[data-service="A"] td.num', r"^2 ")
    desk.call(1)
    wait_text(page, '[data-counter="1"] td:last-child', first["code"])
    wait_text(page, '[data-today="issued"]', r"^2$", timeout=10000)  # figures refresh after 3 s
    shot(page, "admin-dashboard-tablet")
    assert errors.errors == []


def test_report_page_charts_downloads_and_prints(browser, live):
    server, desk = live.server, live.desk
    for _ in range(4):
        desk.issue("A")
    desk.issue("C")
    for _ in range(2):
        ticket = desk.call(1)
        assert desk.post(f"/api/v1/tickets/{ticket['id']}/finish", "operator").status_code == 200
    page, errors = signed_in(browser, server, "admin", WIDE, "/admin/kupang/reports")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(4)
    for i in range(4):
        box = charts.nth(i).bounding_box()
        assert box["width"] > 400 and box["height"] > 120
    services = page.locator('[data-table="services"] tbody tr').first
    expect(services).to_contain_text("Perekaman KTP-el")
    expect(services.locator("td").nth(1)).to_have_text("4")
    shot(page, "admin-report-wide")

    with page.expect_download() as download:
        page.locator('a[href*="table=services"]').click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert rows[0][:3] == ["code", "name", "issued"] and rows[1][:3] == [
        "A",
        "Perekaman KTP-el",
        "4",
    ]

    page.set_viewport_size(TABLET)
    shot(page, "admin-report-tablet")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the report scrolls sideways by {overflow}px on a 1024px tablet"

    page.emulate_media(media="print")
    assert not page.locator(".admin-tabs").is_visible()
    assert not page.locator("form.report-range").is_visible()
    assert page.locator(".print-only").is_visible()
    page.pdf(path=str(ARTIFACTS / "admin-report.pdf"), format="A4")
    assert errors.errors == []


def test_dashboard_panels_hold_their_tables_on_a_tablet(browser, live):
    """At 1024x768 the dashboard has three columns; the waiting-per-service table, with its
    longest-wait cell, used to stick out of its panel under the counters panel, cut off."""
    desk = live.desk
    for service in "ABCD":
        desk.issue(service)
    page, errors = signed_in(browser, live.server, "admin", TABLET, "/admin/kupang/")
    wait_text(page, '[data-service="D"] td.num', r"^1 ")
    sticking_out = page.evaluate(
        """() => [...document.querySelectorAll('.dash .panel')].flatMap(panel => {
            const edge = panel.getBoundingClientRect();
            return [...panel.querySelectorAll('td, th, li, dd')]
              .filter(cell => cell.getBoundingClientRect().right > edge.right - 1)
              .map(cell => cell.textContent.trim());
        })"""
    )
    shot(page, "admin-dashboard-waiting-tablet")
    assert sticking_out == []
    assert errors.errors == []


def test_signing_a_device_out_asks_first_in_the_page_language(browser, live):
    server = live.server
    page, errors = signed_in(browser, server, "admin", TABLET, "/admin/kupang/devices")
    asked: list[str] = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.click('[data-device="kiosk"] [data-action="revoke"]')
    assert asked == [
        "Keluarkan kiosk dari semua perangkat? Perangkat itu berhenti bekerja sampai masuk lagi "
        "dengan tautan masuk yang baru."
    ]
    page.wait_for_timeout(500)  # a submit, had there been one, would have left by now
    done = "kiosk dikeluarkan dari semua perangkat"
    assert done not in page.inner_text("body")
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.click('[data-device="kiosk"] [data-action="revoke"]')
    expect(page.get_by_text(done)).to_be_visible()
    assert len(asked) == 2
    assert errors.errors == []
