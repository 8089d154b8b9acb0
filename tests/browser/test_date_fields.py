"""Date and time fields in the page's language, whatever the browser's: an English Chromium
draws <input type="date"> as 12/06/2026 (read in Kupang as the twelfth of June) and times as
08:00 AM; the page writes the chosen day and time out beside each field in Indonesian."""

from __future__ import annotations

from datetime import date

import pytest

from tests.browser.pages import PageErrors, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
MONTHS = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
    "Oktober", "November", "Desember",
]  # fmt: skip


def _in_words(day: date) -> str:
    return f"{DAYS[day.weekday()]}, {day.day} {MONTHS[day.month - 1]} {day.year}"


def _admin(browser, live, locale: str):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale=locale)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto(f"{live.server.url}/login")
    page.fill("[name=username]", "admin")
    page.fill("[name=password]", live.server.password("admin"))
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/admin/**")
    return context, page, errors


def test_an_english_browser_shows_dates_and_times_in_indonesian_beside_the_fields(browser, live):
    context, page, errors = _admin(browser, live, "en-US")
    page.goto(f"{live.server.url}/admin/kupang/reports")
    chosen = date.fromisoformat(page.input_value("[name=from]"))
    assert page.inner_text('[data-field-words="from"]') == _in_words(chosen)
    # Another day chosen: the words follow at once.
    page.fill("[name=from]", "2026-06-12")
    assert page.inner_text('[data-field-words="from"]') == "Jumat, 12 Juni 2026"
    page.fill("[name=from]", "2026-12-06")
    assert page.inner_text('[data-field-words="from"]') == "Minggu, 6 Desember 2026"
    shot(page, "reports-dates-en-US-browser")
    # Opening hours: 24-hour times with a dot, as Indonesians write them (not 04:00 PM).
    page.goto(f"{live.server.url}/admin/kupang/hours")
    times = page.locator('input[type="time"]')
    assert times.count() >= 2
    filled = 0
    for index in range(times.count()):
        field = times.nth(index)
        value, name = field.input_value(), field.get_attribute("name")
        said = page.inner_text(f'[data-field-words="{name}"]')
        assert said == value.replace(":", "."), (name, value, said)
        filled += bool(value)
    assert filled, "no opening hours to show"
    times.first.fill("13:30")
    first = times.first.get_attribute("name")
    assert page.inner_text(f'[data-field-words="{first}"]') == "13.30"
    shot(page, "hours-times-en-US-browser")
    # In English, an English browser's own display is the page's language: nothing added.
    page.goto(f"{live.server.url}/admin/kupang/reports?lang=en")
    assert page.locator("[data-field-words]").count() == 0
    assert errors.errors == []
    context.close()


def test_an_indonesian_browser_adds_nothing(browser, live):
    context, page, errors = _admin(browser, live, "id-ID")
    page.goto(f"{live.server.url}/admin/kupang/reports")
    assert page.locator('input[type="date"]').count() == 2
    assert page.locator("[data-field-words]").count() == 0
    assert errors.errors == []
    context.close()
