"""The clerk's print station and handover desk in Chromium on a 1024x768 tablet, the way a clerk
works them: blocking a card with the keyboard, and a scanner that wraps what it reads in control
characters (screenshots in test-artifacts/)."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

from tests.browser.pages import shot, signed_in, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABLET = {"width": 1024, "height": 768}


def recorded_card(desk) -> dict:
    """A ticket of a card service served to the end: its card waits to be printed."""
    desk.issue("A")
    ticket = desk.call(1)
    finished = desk.post(f"/api/v1/tickets/{ticket['id']}/finish", "operator")
    assert finished.status_code == 200, finished.text
    return ticket


def test_print_station_blocks_with_the_first_reason_and_enter(browser, live):
    """The reasons are offered in their order, the most common ("record not yet ready to print")
    first, not sorted by their keys (which made "duplicate record" the default); Enter in the
    note blocks the card, as the button does."""
    ticket = recorded_card(live.desk)
    page, errors = signed_in(browser, live.server, "clerk", TABLET, "/station/print")
    row = page.locator(f'[data-list-ready] tr[data-ticket="{ticket["code"]}"]')
    row.locator('[data-action="blocked"]').click()
    options = page.locator(".block-form select option")
    expect(options).to_have_count(4)
    assert options.evaluate_all("all => all.map(o => o.value)") == [
        "not_print_ready",
        "duplicate_record",
        "no_blank_cards",
        "other",
    ]
    assert page.locator(".block-form select").input_value() == "not_print_ready"
    page.fill(".block-form input[name=note]", "KK belum dimutakhirkan")
    page.press(".block-form input[name=note]", "Enter")
    blocked = page.locator(f'[data-list-blocked] tr[data-ticket="{ticket["code"]}"]')
    expect(blocked).to_contain_text("data belum siap cetak — KK belum dimutakhirkan")
    wait_text(page, "[data-message]", f"^{ticket['code']} ")
    shot(page, "station-print-blocked-tablet")
    assert errors.errors == []


def test_handover_search_ignores_a_scanners_control_characters(browser, live):
    """A scanner that sends STX before and GS after the code used to get "“q” contains control
    characters", naming a field the clerk never saw; the code is found."""
    ticket = recorded_card(live.desk)
    page, errors = signed_in(browser, live.server, "clerk", TABLET, "/station/handover")
    page.fill("[name=code]", f"\x02{ticket['code']}\x1d")
    page.press("[name=code]", "Enter")
    expect(page.locator(f'[data-found-ticket="{ticket["code"]}"]')).to_be_visible()
    expect(page.locator("[data-message]")).to_have_text("")
    shot(page, "station-handover-scanned-tablet")
    assert errors.errors == []


def test_the_booking_list_of_an_empty_day_reads_as_a_table(browser, live):
    """The day's booking list is a table with spaced headings even on a day without a booking
    (its table styles once lived only in the admin pages' stylesheet: the headings ran together
    as "Jam Kode Layanan Tempat Status")."""
    page, errors = signed_in(
        browser, live.server, "clerk", TABLET, "/station/bookings?day=2030-01-15"
    )
    expect(page.locator("td.empty")).to_have_text("Tidak ada booking untuk hari itu.")
    boxes = page.locator("[data-booking-list] thead th").evaluate_all(
        "all => all.map(th => { const r = th.getBoundingClientRect();"
        " const s = getComputedStyle(th);"
        " return [r.left, r.right, parseFloat(s.paddingLeft), s.textAlign]; })"
    )
    assert len(boxes) == 5
    for _left, _right, padding, align in boxes:
        assert padding >= 8 and align == "left", boxes
    # Side by side across the panel, each heading apart from the next.
    for (_, right, _, _), (left, _, _, _) in itertools.pairwise(boxes):
        assert left >= right, boxes
    assert boxes[-1][1] - boxes[0][0] > 600, boxes
    shot(page, "booking-list-empty-day")
    assert errors.errors == []
