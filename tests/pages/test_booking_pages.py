"""The resident's booking pages without a browser: three steps by plain links, one form post,
the booking's page, its calendar file and QR code, cancelling with a confirmation, refusals
shown as sentences on the page."""

from __future__ import annotations

import re

import pytest

from tests.booking_helpers import add_plan, book
from tests.web import csrf_token

# The clock is frozen at Monday 30 November 2026, 09:00 WITA.


@pytest.fixture
def plan(app, world):
    add_plan(app, places=1)


def _book_by_form(client, start: str, day: str = "2026-12-01"):
    page = client.get(f"/book/kupang?service=A&date={day}").get_data(as_text=True)
    return client.post(
        "/book/kupang",
        data={"csrf_token": csrf_token(page), "service": "A", "date": day, "start": start},
    )


def test_three_steps_then_the_booking_page(client, plan):
    first = client.get("/book/kupang?lang=id").get_data(as_text=True)
    assert 'data-book-service="A"' in first and 'data-book-service="B"' not in first
    days = client.get("/book/kupang?service=A").get_data(as_text=True)
    assert 'data-book-day="2026-11-30"' in days and 'data-book-day="2026-12-14"' in days
    assert "Selasa, 1 Desember 2026" in days
    times = client.get("/book/kupang?service=A&date=2026-12-01").get_data(as_text=True)
    assert 'data-book-slot="2026-12-01T08:00:00+08:00"' in times and "08.00 WITA" in times

    response = _book_by_form(client, "2026-12-01T08:00:00+08:00")
    assert response.status_code == 302
    page_url = response.headers["Location"]
    assert re.search(r"/b/[\w-]{30,}\?new=1$", page_url)
    page = client.get(page_url).get_data(as_text=True)
    code = re.search(r"data-booking-code>(\w+)<", page)[1]
    assert len(code) == 7
    assert "07.30 WITA" in page and "08.30 WITA" in page  # check-in window, in words
    token = page_url.split("/b/")[1].split("?")[0]

    ics = client.get(f"/b/{token}/booking.ics")
    assert ics.mimetype == "text/calendar"
    body = ics.get_data(as_text=True)
    assert "DTSTART:20261201T000000Z" in body and "DTEND:20261201T001500Z" in body
    assert code in body and "\r\n" in body and "TRIGGER:-PT1H" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    svg = client.get(f"/b/{token}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data

    # The slot held one place: it is gone from the times.
    times = client.get("/book/kupang?service=A&date=2026-12-01").get_data(as_text=True)
    assert 'data-book-slot="2026-12-01T08:00:00+08:00"' not in times


def test_cancel_asks_first_then_frees_the_place(client, plan):
    token = book(client, "2026-12-01T09:00:00+08:00").get_json()["token"]
    ask = client.get(f"/b/{token}/cancel").get_data(as_text=True)
    assert 'data-action="cancel-booking"' in ask
    done = client.post(f"/b/{token}/cancel", data={"csrf_token": csrf_token(ask)})
    assert done.status_code == 302
    page = client.get(f"/b/{token}").get_data(as_text=True)
    assert 'data-booking-status="cancelled"' in page and "sudah dibatalkan" in page
    assert client.get(f"/b/{token}/booking.ics").status_code == 404
    times = client.get("/book/kupang?service=A&date=2026-12-01").get_data(as_text=True)
    assert 'data-book-slot="2026-12-01T09:00:00+08:00"' in times


def test_a_time_taken_meanwhile_says_so_on_the_page(client, plan):
    book(client, "2026-12-01T10:00:00+08:00", address="10.3.3.3")
    response = _book_by_form(client, "2026-12-01T10:00:00+08:00")
    assert response.status_code == 302 and "error=slot_full" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-error="slot_full"' in page and "baru saja penuh" in page


def test_a_form_without_its_token_or_with_nonsense_loses_nothing(client, plan):
    no_token = client.post(
        "/book/kupang", data={"service": "A", "start": "2026-12-01T08:00:00+08:00"}
    )
    assert no_token.status_code == 400
    page = client.get("/book/kupang?service=A&date=2026-12-01").get_data(as_text=True)
    nonsense = client.post(
        "/book/kupang",
        data={"csrf_token": csrf_token(page), "service": "A", "date": "x", "start": "besok"},
    )
    assert nonsense.status_code == 302
    assert client.get("/book/nowhere").status_code == 404
    assert client.get("/b/not-a-booking-token-at-all").status_code == 404
    assert client.get("/book/kupang?service=A&date=kemarin").status_code == 200


def test_a_group_asks_on_the_page_and_waits_for_approval(client, plan):
    page = client.get("/book/kupang?service=A&date=2026-12-01&lang=id").get_data(as_text=True)
    assert "data-group-booking" in page
    response = client.post(
        "/book/kupang",
        data={
            "csrf_token": csrf_token(page),
            "service": "A",
            "date": "2026-12-01",
            "start": "2026-12-01T10:00:00+08:00",
            "places": "25",
        },
    )
    assert response.status_code == 302 and "/b/" in response.headers["Location"]
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-booking-status="requested"' in shown and "25 orang" in shown
    too_many = client.post(
        "/book/kupang",
        data={
            "csrf_token": csrf_token(page),
            "service": "A",
            "date": "2026-12-01",
            "start": "2026-12-01T10:00:00+08:00",
            "places": "61",
        },
    )
    assert too_many.headers["Location"].endswith("error=group_size")
