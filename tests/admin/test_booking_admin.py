"""The administration of booking ahead: a service's booking plan, its refusals, its audit entry
and its effect on the public slots; an office's address and map link; what to bring."""

from __future__ import annotations

from app.extensions import db
from app.models import BookingPlan, Office, Service

from .conftest import audit, errors

PLAN = {
    "enabled": "y",
    "mon": "y",
    "tue": "y",
    "starts": "08:00",
    "ends": "10:00",
    "slot_min": "30",
    "places": "4",
    "walk_in_pct": "50",
    "early_min": "30",
    "late_min": "15",
    "days_ahead": "7",
}


def test_a_booking_plan_is_saved_audited_and_offers_slots(app, admin, client):
    response = admin.post("/admin/kupang/services/A/booking", PLAN)
    assert response.status_code == 302
    with app.app_context():
        service = (
            db.session.query(Service)
            .join(Office)
            .filter(Office.slug == "kupang", Service.code == "A")
            .one()
        )
        plan = db.session.get(BookingPlan, service.id)
        assert plan.weekdays == "01" and plan.places == 4 and plan.slot_min == 30
    assert [e.target for e in audit(app, "booking.plan")] == ["service A"]
    # Tuesday 1 December: four slots of 30 minutes, four places each.
    slots = client.get("/api/v1/offices/kupang/slots?service=A&date=2026-12-01").get_json()
    assert [s["start"][11:16] for s in slots] == ["08:00", "08:30", "09:00", "09:30"]
    assert {s["free"] for s in slots} == {4}
    # Wednesday is not a booking day.
    assert client.get("/api/v1/offices/kupang/slots?service=A&date=2026-12-02").get_json() == []
    # Switched off: no slots, nothing bookable on the public page.
    admin.post("/admin/kupang/services/A/booking", {**PLAN, "enabled": ""})
    assert client.get("/api/v1/offices/kupang/slots?service=A&date=2026-12-01").get_json() == []


def test_a_wrong_plan_is_refused_field_by_field(app, admin):
    response = admin.post(
        "/admin/kupang/services/A/booking",
        {**PLAN, "ends": "07:00", "places": "0", "mon": "", "tue": "", "walk_in_pct": "120"},
    )
    assert response.status_code == 400
    found = " ".join(errors(response))
    assert "after the start" in found and "Between 1 and 100" in found
    assert "at least one day" in found and "Between 0 and 100" in found
    with app.app_context():
        assert db.session.query(BookingPlan).count() == 0


def test_unknown_service_plan_is_404(admin):
    assert admin.get("/admin/kupang/services/Z/booking").status_code == 404


def test_address_map_link_and_what_to_bring_reach_the_public_page(app, admin, client):
    from tests.admin.test_forms import SETTINGS
    from tests.factories import SERVICE_FORM

    bad = admin.post("/admin/kupang/settings", {**SETTINGS, "map_url": "javascript:alert(1)"})
    assert bad.status_code == 400 and "https://" in " ".join(errors(bad))
    ok = admin.post(
        "/admin/kupang/settings",
        {**SETTINGS, "address": "Jl. S.K. Lerik, Kota Kupang", "map_url": "geo:-10.16,123.60"},
    )
    assert ok.status_code == 302
    saved = admin.post(
        "/admin/kupang/services/A",
        {**SERVICE_FORM, "code": "A", "bring": "Fotokopi KK dan akta lahir"},
    )
    assert saved.status_code == 302
    row = next(r for r in client.get("/api/v1/overview").get_json() if r["office"] == "kupang")
    assert row["address"] == "Jl. S.K. Lerik, Kota Kupang" and row["map_url"] == "geo:-10.16,123.60"
    a = next(s for s in row["services"] if s["code"] == "A")
    assert a["bring"] == "Fotokopi KK dan akta lahir"
    page = client.get("/?lang=id").get_data(as_text=True)
    assert "Fotokopi KK dan akta lahir" in page and 'href="geo:-10.16,123.60"' in page


def test_the_administrator_approves_or_refuses_groups(app, admin, client):
    from tests.booking_helpers import add_plan

    add_plan(app)
    public = app.test_client()  # a resident's phone (the admin's client is signed in)
    made = [
        public.post(
            "/api/v1/offices/kupang/bookings",
            json={"service": "A", "start": "2026-12-01T10:00:00+08:00", "places": n},
            environ_base={"REMOTE_ADDR": f"10.7.0.{n}"},
        ).get_json()
        for n in (12, 30)
    ]
    assert [m.get("status") for m in made] == ["requested", "requested"], made
    page = admin.get("/admin/kupang/bookings").get_data(as_text=True)
    assert all(f'data-group="{m["code"]}"' in page for m in made)
    with app.app_context():
        from app.models import Booking

        ids = [db.session.query(Booking).filter_by(code=m["code"]).one().id for m in made]
    assert (
        admin.post(f"/admin/kupang/bookings/{ids[0]}/decide", {"decision": "approve"}).status_code
        == 302
    )
    assert (
        admin.post(f"/admin/kupang/bookings/{ids[1]}/decide", {"decision": "refuse"}).status_code
        == 302
    )
    statuses = [public.get(f"/api/v1/bookings/{m['token']}").get_json()["status"] for m in made]
    assert statuses == ["booked", "refused"]
    assert [e.target for e in audit(app, "booking.group")] == [made[0]["code"], made[1]["code"]]
    # Deciding twice is refused with a sentence, and changes nothing.
    again = admin.post(f"/admin/kupang/bookings/{ids[0]}/decide", {"decision": "refuse"})
    assert again.status_code == 302
    assert public.get(f"/api/v1/bookings/{made[0]['token']}").get_json()["status"] == "booked"
