"""The survey in Chromium: a resident's phone follows the ticket, the visit is finished, the
status page offers the survey, nine taps and a suggestion send it, and the API then refuses a
second answer; the counter's tablet shows the survey of the ticket just finished there by
itself, and goes back to waiting after the thank-you."""

from __future__ import annotations

import pytest

from tests.browser.pages import PageErrors, shot, signed_in

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
ANSWERS = {"u1": 4, "u2": 3, "u3": 2, "u4": 4, "u5": 3, "u6": 4, "u7": 4, "u8": 3, "u9": 2}


def _serve(desk, number: int = 4) -> dict:
    called = desk.call(number)
    assert desk.post(f"/api/v1/tickets/{called['id']}/finish", "operator").status_code == 200
    return called


def _answer(page) -> None:
    for code, value in ANSWERS.items():
        page.click(f"[data-question={code}] .sv-a{value}")
    page.fill("[name=suggestion]", "Ruang tunggu panas, mohon tambah kipas.")


def test_finish_then_the_survey_on_the_phone(browser, live):
    server, desk = live.server, live.desk
    ticket = desk.issue("C")
    phone = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    errors = PageErrors(phone)
    phone.goto(f"{server.url}/t/{ticket['token']}")
    assert phone.locator("[data-survey-link]").is_hidden()

    _serve(desk)
    phone.wait_for_selector("[data-survey-link]:visible", timeout=5000)  # live, no reload
    assert "Bagaimana pelayanan kami" in phone.inner_text("[data-survey-link]")
    shot(phone, "survey-status-offer-phone")
    phone.click("[data-survey-link]")
    phone.wait_for_selector("form.sv-form")
    assert phone.locator(".sv-q").count() == 9
    _answer(phone)
    shot(phone, "survey-form-phone")
    # Every answer's words fit inside its box on a phone.
    for box in phone.locator(".sv-box").all()[:4]:
        assert box.bounding_box()["width"] >= 60
    phone.click("[data-survey-send]")
    phone.wait_for_selector("[data-survey-state=answered]")
    assert "Terima kasih" in phone.inner_text(".sv-thanks")
    shot(phone, "survey-thanks-phone")

    again = desk.http.post(
        f"{server.url}/api/v1/track/{ticket['token']}/survey",
        json={"answers": ANSWERS},
        timeout=10,
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "survey_done"
    ikm = desk.http.get(
        f"{server.url}/api/v1/offices/kupang/ikm",
        headers={"Authorization": f"Bearer {desk.tokens['admin']}"},
        timeout=10,
    ).json()
    assert ikm["respondents"] == 1
    assert [e["average"] for e in ikm["elements"]] == [float(v) for v in ANSWERS.values()]
    # (4+3+2+4+3+4+4+3+2) / 9 x 25 = 29 / 9 x 25 = 80.555... -> 80.56, B
    assert (ikm["ikm"], ikm["category"]) == (80.56, "B")
    back = phone.goto(f"{server.url}/t/{ticket['token']}")
    assert back.status == 200 and phone.locator("[data-survey-link]").is_hidden()
    assert errors.errors == []


def test_the_counter_tablet_offers_the_ticket_just_finished(browser, live):
    server, desk = live.server, live.desk
    tablet, errors = signed_in(
        browser, server, "display", {"width": 1024, "height": 768}, "/survey/kupang/counter/4"
    )
    tablet.wait_for_selector("body[data-ready]", state="attached")
    assert tablet.locator("[data-survey-state=idle]").is_visible()
    shot(tablet, "survey-tablet-idle-1024x768")

    desk.issue("C")
    served = _serve(desk)
    tablet.wait_for_selector("form.sv-form", timeout=10000)  # reloaded by itself
    assert served["code"] in tablet.inner_text("main")
    _answer(tablet)
    shot(tablet, "survey-tablet-form-1024x768")
    tablet.click("[data-survey-send]")
    tablet.wait_for_selector("[data-survey-state=answered]")
    shot(tablet, "survey-tablet-thanks-1024x768")
    # After the thank-you, back to waiting for the next resident.
    tablet.wait_for_selector("[data-survey-state=idle]", timeout=15000)
    assert errors.errors == []
