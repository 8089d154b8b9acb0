"""The booking API per the contract: slots, bookings, cancelling, check-in with each refusal, the
overview; and the race for the last places on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from tests.booking_helpers import add_plan, book
from tests.conftest import assert_error, build_world
from tests.schema import check as assert_shape

# The clock is frozen at Monday 30 November 2026, 09:00 WITA.
TUESDAY_9 = "2026-12-01T09:00:00+08:00"


@pytest.fixture
def plan(app, world):
    add_plan(app)


def test_slots_list_bookable_times_with_the_offices_offset(api, plan):
    slots = api.get("/api/v1/offices/kupang/slots?service=A&date=2026-12-01").get_json()
    assert len(slots) == 28  # 08:00 to 15:00 in 15 minutes
    assert slots[0] == {
        "start": "2026-12-01T08:00:00+08:00",
        "end": "2026-12-01T08:15:00+08:00",
        "free": 3,
    }
    for slot in slots:
        assert_shape("Slot", slot)
    # Today: only slots not started yet.
    today = api.get("/api/v1/offices/kupang/slots?service=A&date=2026-11-30").get_json()
    assert today[0]["start"] == "2026-11-30T09:15:00+08:00"
    # A service without bookings, a day too far: none.
    assert api.get("/api/v1/offices/kupang/slots?service=B&date=2026-12-01").get_json() == []
    assert api.get("/api/v1/offices/kupang/slots?service=A&date=2027-01-30").get_json() == []


def test_slots_refuse_bad_questions(api, plan):
    assert_error(
        api.get("/api/v1/offices/nowhere/slots?service=A&date=2026-12-01"), 404, "not_found"
    )
    assert_error(api.get("/api/v1/offices/kupang/slots?service=A&date=besok"), 422, "invalid_field")
    assert_error(api.get("/api/v1/offices/kupang/slots?service=A"), 422, "invalid_field")
    response = api.get("/api/v1/offices/kupang/slots?service=Z&date=2026-12-01")
    assert response.status_code in (404, 422)
    assert_error(response, response.status_code, response.get_json()["error"]["code"])


def test_book_get_and_cancel(api, plan):
    response = book(api.client, TUESDAY_9)
    assert response.status_code == 201
    booking = response.get_json()
    assert_shape("Booking", booking)
    assert booking["status"] == "booked" and booking["start"] == TUESDAY_9
    assert 6 <= len(booking["code"]) <= 8 and len(booking["token"]) >= 22
    assert response.headers["Location"].endswith(f"/api/v1/bookings/{booking['token']}")
    assert booking["check_in_from"] == "2026-12-01T08:30:00+08:00"
    assert booking["check_in_until"] == "2026-12-01T09:30:00+08:00"
    slot = api.get("/api/v1/offices/kupang/slots?service=A&date=2026-12-01").get_json()[4]
    assert slot["start"] == TUESDAY_9 and slot["free"] == 2

    assert api.get(f"/api/v1/bookings/{booking['token']}").get_json() == booking
    cancelled = api.client.delete(f"/api/v1/bookings/{booking['token']}")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    slot = api.get("/api/v1/offices/kupang/slots?service=A&date=2026-12-01").get_json()[4]
    assert slot["free"] == 3
    assert_error(api.get("/api/v1/bookings/not-a-real-token-at-all"), 404, "not_found")
    assert_error(api.client.delete("/api/v1/bookings/not-a-real-token-at-all"), 404, "not_found")


def test_booking_refusals(api, plan):
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert book(api.client, TUESDAY_9, address=address).status_code == 201
    assert_error(book(api.client, TUESDAY_9, address="10.0.0.4"), 409, "slot_full")
    assert_error(book(api.client, "2026-12-01T09:05:00+08:00"), 409, "closed")  # not a slot
    assert_error(book(api.client, "2026-12-01T16:00:00+08:00"), 409, "closed")  # after hours
    assert_error(book(api.client, "2026-11-30T08:00:00+08:00"), 409, "closed")  # past
    assert_error(book(api.client, TUESDAY_9, service="B"), 409, "closed")  # no bookings
    assert_error(book(api.client, "2026-12-01T09:00:00"), 422, "invalid_field")  # no offset
    assert_error(book(api.client, "besok pagi"), 422, "invalid_field")
    bad = api.client.post("/api/v1/offices/kupang/bookings", json={"service": "A"})
    assert_error(bad, 422, "invalid_field")
    bad = api.client.post(
        "/api/v1/offices/kupang/bookings", json={"service": 1, "start": TUESDAY_9}
    )
    assert_error(bad, 422, "invalid_field")
    assert_error(api.client.post("/api/v1/offices/kupang/bookings", data="x"), 400, "bad_request")
    assert_error(book(api.client, TUESDAY_9, office="nowhere"), 404, "not_found")


def test_check_in_answers(api, app, plan, clock):
    early = book(api.client, "2026-11-30T10:00:00+08:00").get_json()
    later = book(api.client, TUESDAY_9).get_json()
    gone = book(api.client, "2026-11-30T09:15:00+08:00").get_json()
    api.client.delete(f"/api/v1/bookings/{gone['token']}")

    def check_in(key, as_="kiosk"):
        return api.post("/api/v1/offices/kupang/check-in", {"booking": key}, as_=as_)

    assert_error(check_in(later["code"]), 409, "not_today")
    assert_error(check_in(early["code"]), 409, "too_early")  # 09:00; opens 09:30
    assert_error(check_in(gone["code"]), 409, "cancelled")
    assert_error(check_in("ACDEFHJ"), 404, "unknown_booking")
    assert_error(check_in(early["code"], as_="kiosk@oebobo"), 403, "forbidden_office")
    assert_error(api.post("/api/v1/offices/kupang/check-in", {}, as_="kiosk"), 422, "invalid_field")

    clock.advance(minutes=35)  # 09:35
    response = check_in(early["booking_url"])  # the scanned QR code: the whole link
    assert response.status_code == 201, response.get_json()
    ticket = response.get_json()
    assert_shape("Ticket", ticket)
    assert ticket["code"] == "A-001" and ticket["status"] == "waiting"
    assert ticket["print"]["status"] in ("pending", "printing", "printed")
    assert_error(check_in(early["code"]), 409, "used")
    mine = api.get(f"/api/v1/bookings/{early['token']}").get_json()
    assert mine["status"] == "checked_in" and mine["track_url"].endswith(ticket["token"])
    assert_error(api.client.delete(f"/api/v1/bookings/{early['token']}"), 409, "used")

    clock.advance(days=1, hours=1)  # Tuesday 10:35: the 09:00 booking closed at 09:30
    assert_error(check_in(later["code"]), 409, "too_late")
    assert api.get(f"/api/v1/bookings/{later['token']}").get_json()["status"] == "missed"


def test_one_address_books_its_share_and_no_more(api, plan):
    made = 0
    for hour in range(8, 12):
        for minute in (0, 15, 30):
            start = f"2026-12-02T{hour:02d}:{minute:02d}:00+08:00"
            response = book(api.client, start, address="10.9.9.9")
            if response.status_code != 201:
                assert_error(response, 429, "booking_limit")
                break
            made += 1
    assert made == 10
    assert book(api.client, "2026-12-02T14:00:00+08:00", address="10.9.9.8").status_code == 201


def test_overview_lists_every_office(api, plan):
    rows = api.get("/api/v1/overview").get_json()
    assert [r["office"] for r in rows] == ["kupang", "oebobo"]
    for row in rows:
        assert_shape("OfficeOverview", row)
    kupang = rows[0]
    assert kupang["open_now"] is True and kupang["opens_at"] is None
    api.issue("A")
    api.issue("A")
    rows = api.get("/api/v1/overview").get_json()
    a = next(s for s in rows[0]["services"] if s["code"] == "A")
    assert a["waiting"] == 2 and a["estimated_wait_s"] == 300 and a["bookable"] is True
    assert set(a) >= {"code", "name", "waiting", "estimated_wait_s"}


def test_overview_says_when_a_closed_office_opens_next(make_app, clock):
    from datetime import UTC, datetime

    from app.extensions import db
    from tests.factories import make_office

    app = make_app()
    with app.app_context():
        make_office(db.session, always_open=False)
        db.session.commit()
    clock.set(datetime(2026, 12, 4, 10, 0, tzinfo=UTC))  # Friday 18:00 WITA
    client = app.test_client()
    row = client.get("/api/v1/overview?lang=id").get_json()[0]
    assert row["open_now"] is False
    assert row["opens_at"] == "2026-12-07T08:00:00+08:00"
    assert row["opening"] == "Senin, 7 Desember, 08.00\u201316.00 WITA"
    english = client.get("/api/v1/overview?lang=en").get_json()[0]
    assert english["opening"] == "Monday, 7 December, 08:00\u201316:00 WITA"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_fifty_bookings_for_the_last_five_places_give_exactly_five(request, backend, clock):
    app = request.getfixturevalue("sqlite_app" if backend == "sqlite" else "pg_app")
    with app.app_context():
        from app.extensions import db

        build_world(db.session)
    add_plan(app, places=8)
    client = app.test_client()
    start = "2026-12-01T10:00:00+08:00"
    for i in range(3):  # three of the eight places are taken
        assert book(client, start, address=f"10.1.0.{i}").status_code == 201
    results: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(50)

    def attempt(i: int) -> None:
        own = app.test_client()
        barrier.wait()
        response = book(own, start, address=f"10.2.{i // 200}.{i % 200}")
        with lock:
            results.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [201] * 5 + [409] * 45
    slots = client.get("/api/v1/offices/kupang/slots?service=A&date=2026-12-01").get_json()
    assert start not in [s["start"] for s in slots]
    with app.app_context():
        from sqlalchemy import func, select

        from app.extensions import db
        from app.models import Booking

        assert db.session.scalar(select(func.sum(Booking.places))) == 8


def test_reports_count_bookings_and_channels(api, app, plan, clock):
    tuesday = [book(api.client, TUESDAY_9, address=f"10.5.0.{i}").get_json() for i in range(3)]
    api.client.delete(f"/api/v1/bookings/{tuesday[0]['token']}")
    today = book(api.client, "2026-11-30T09:15:00+08:00").get_json()
    api.post("/api/v1/offices/kupang/check-in", {"booking": today["code"]}, as_="kiosk")
    api.issue("A")
    clock.advance(days=1, hours=2)  # Tuesday 11:00: the two left at 09:00 were missed
    report = api.get(
        "/api/v1/offices/kupang/report?from=2026-11-30&to=2026-12-01", as_="admin"
    ).get_json()
    assert report["channels"] == {"kiosk": 1, "booking": 1, "phone": 0}
    assert report["bookings"] == [
        {
            "day": "2026-11-30",
            "service": "A",
            "booked": 1,
            "cancelled": 0,
            "checked_in": 1,
            "missed": 0,
        },
        {
            "day": "2026-12-01",
            "service": "A",
            "booked": 3,
            "cancelled": 1,
            "checked_in": 0,
            "missed": 2,
        },
    ]
    csv = api.get(
        "/api/v1/offices/kupang/report?from=2026-11-30&to=2026-12-01&format=csv&table=bookings",
        as_="admin",
    ).get_data(as_text=True)
    assert csv.splitlines()[0].strip() == "day,service,booked,cancelled,checked_in,missed"
    assert "2026-12-01,A,3,1,0,2" in csv


def test_the_days_booking_list_for_the_counters(api, app, plan):
    from tests.web import sign_in

    made = [book(api.client, TUESDAY_9, address=f"10.6.0.{i}").get_json() for i in range(2)]
    staff = app.test_client()
    assert sign_in(staff, "operator").status_code == 302
    page = staff.get("/station/bookings?day=2026-12-01&lang=id").get_data(as_text=True)
    for booking in made:
        assert f'data-booking="{booking["code"]}"' in page
    assert "09:00" in page and "Layanan A" in page
    anonymous = app.test_client().get("/station/bookings")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    kiosk = app.test_client()
    sign_in(kiosk, "kiosk")
    assert kiosk.get("/station/bookings").status_code == 403
