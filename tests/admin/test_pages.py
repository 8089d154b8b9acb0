"""Devices, printers, group tickets, the report page and the audit trail."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PrintJob, Ticket, User
from tests.factories import make_token, make_user
from tests.web import scan

from .conftest import audit, errors, text

ADMIN_PAGES = (
    "",
    "settings",
    "hours",
    "services",
    "services/new",
    "counters",
    "counters/new",
    "users",
    "devices",
    "printers",
    "reports",
    "trail",
)


@pytest.mark.parametrize("user", ["operator", "clerk", "kiosk", "display", "admin"])
def test_admin_pages_are_for_administrators_and_csp_clean(signed_in_as, user):
    person = signed_in_as(user)
    for page in ADMIN_PAGES:
        response = person.get(f"/admin/kupang/{page}")
        assert response.status_code == (200 if user == "admin" else 403), page
        if response.status_code == 200:
            found = scan(text(response))
            assert found.inline_scripts == [] and found.style_attrs == [], page
            assert found.handlers == [], page


def test_admin_pages_send_strangers_to_sign_in(client, world):
    for page in ADMIN_PAGES:
        response = client.get(f"/admin/kupang/{page}")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_pages_are_indonesian_by_default(signed_in_as):
    page = text(signed_in_as("admin", lang="id").get("/admin/kupang/reports"))
    assert '<html lang="id">' in page and "Laporan" in page and "Tiket per hari" in page


@pytest.fixture
def kiosk_device(app, world):
    with app.app_context():
        office = db.session.merge(world.office)
        device = make_user(db.session, "kiosk-2", "kiosk", office)
        token = make_token(db.session, device)
        db.session.commit()
        return device.id, token


def _link(response) -> str:
    return re.search(r'id="login-link" class="link-box" value="([^"]+)"', text(response)).group(1)


def test_a_login_link_signs_a_device_in_once(app, admin, kiosk_device):
    device_id, _ = kiosk_device
    made = admin.post(f"/admin/kupang/devices/{device_id}/link")
    assert made.status_code == 200
    path = _link(made).split("localhost", 1)[1]
    device = app.test_client()
    preview = device.get(path)  # a chat app's link preview does not spend it
    assert preview.status_code == 200 and 'data-action="use-link"' in text(preview)
    from tests.web import csrf_token

    used = device.post(path, data={"csrf_token": csrf_token(text(preview))})
    assert used.status_code == 302 and used.headers["Location"].endswith("/kiosk/kupang")
    assert device.get("/kiosk/kupang").status_code == 200
    other = app.test_client()
    again = other.get(path)
    assert again.status_code == 410 and "Mintalah tautan baru kepada admin." in text(again)
    assert [e.target for e in audit(app, "device.link")] == ["kiosk-2"]


def test_revoking_a_device_signs_it_out_everywhere(app, admin, kiosk_device):
    device_id, token = kiosk_device
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    assert (
        client.post(
            "/api/v1/offices/kupang/tickets", json={"service": "A"}, headers=headers
        ).status_code
        == 201
    )
    link_page = admin.post(f"/admin/kupang/devices/{device_id}/link")
    path = _link(link_page).split("localhost", 1)[1]
    assert admin.post(f"/admin/kupang/devices/{device_id}/revoke").status_code == 302
    assert (
        client.post(
            "/api/v1/offices/kupang/tickets", json={"service": "A"}, headers=headers
        ).status_code
        == 401
    )
    assert app.test_client().get(path).status_code == 410
    with app.app_context():
        assert db.session.get(User, device_id).session_version == 2


def test_revoke_refuses_staff_accounts(admin, world):
    assert (
        admin.post(f"/admin/kupang/devices/{world.users['operator'].id}/revoke").status_code == 404
    )


def _jobs(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [
            (code, job.kind, job.status)
            for job, code in db.session.execute(
                select(PrintJob, Ticket.code).join(Ticket).order_by(PrintJob.id)
            )
        ]


def test_printers_page_shows_state_and_reprints_by_code(app, admin, api):
    ticket = api.issue("A")
    page = admin.get("/admin/kupang/printers")
    assert 'data-printer="server"' in text(page) and ticket["code"] in text(page)
    done = admin.post("/admin/kupang/printers/reprint", {"code": "a1", "target": "server"})
    assert done.status_code == 302
    assert _jobs(app)[-1] == ("A-001", "reprint", "pending")
    missing = admin.post("/admin/kupang/printers/reprint", {"code": "Z-404", "target": "server"})
    assert missing.status_code == 400 and "No ticket Z-404 today" in text(missing)
    empty = admin.post("/admin/kupang/printers/reprint", {"code": "  ", "target": "server"})
    assert empty.status_code == 400 and "Type the code of the ticket to print again" in text(empty)
    target = admin.post("/admin/kupang/printers/reprint", {"code": "A-001", "target": "agent:9"})
    assert target.status_code == 400 and "Choose one of this office" in text(target)
    assert [e.target for e in audit(app, "ticket.reprint")] == ["A-001"]


def test_a_job_that_gave_up_can_be_tried_again(app, admin, api):
    api.issue("A")
    with app.app_context():
        job = db.session.scalars(select(PrintJob)).one()
        job.status, job.attempts, job.last_error = "failed", 9, "printer offline"
        db.session.commit()
        job_id = job.id
    assert "Try again" in text(admin.get("/admin/kupang/printers"))
    assert admin.post(f"/admin/kupang/printers/jobs/{job_id}/retry").status_code == 302
    # Asked for by staff: a reprint's time to print, not an arrival ticket's few minutes.
    assert _jobs(app) == [("A-001", "reprint", "pending")]
    assert len(audit(app, "print.retry")) == 1


def test_group_tickets_are_consecutive_printed_in_order_and_called_in_order(
    app, signed_in_as, api, world
):
    api.issue("A")  # A-001, before the group
    clerk = signed_in_as("clerk")
    done = clerk.post("/station/group", {"service": "A", "count": "5"}, form_page="/station/group")
    assert done.status_code == 302
    page = text(clerk.get("/station/group"))
    assert "5 tickets issued: A-002 to A-006" in page
    assert [code for code, _, _ in _jobs(app)] == [
        "A-001",
        "A-002",
        "A-003",
        "A-004",
        "A-005",
        "A-006",
    ]
    api.issue("A")  # A-007 arrives after the group
    counter = world.counter(1).id
    called = []
    for _ in range(7):
        ticket = api.call_next(counter).get_json()
        called.append(ticket["code"])
        api.move(ticket["id"], "finish")
    assert called == [f"A-{n:03d}" for n in range(1, 8)]
    [entry] = audit(app, "ticket.group")
    assert entry.target == "A-002..A-006"


def test_group_tickets_are_all_or_nothing_against_the_quota(app, signed_in_as, admin, api):
    service = {
        "code": "C",
        "name": "Layanan C",
        "colour": "#123456",
        "daily_quota": "4",
        "active": "y",
        "position": "2",
        "default_minutes": "5",
    }
    assert admin.post("/admin/kupang/services/C", service).status_code == 302
    api.issue("C")
    clerk = signed_in_as("clerk")
    refused = clerk.post(
        "/station/group", {"service": "C", "count": "4"}, form_page="/station/group"
    )
    assert refused.status_code == 409
    # The clerk reads English: the service by its English name (the factory's "Service C").
    assert (
        "Only 3 tickets are left today for Service C; a group of 4 does not fit. "
        "No ticket was issued."
    ) in text(refused)
    assert api.issue("C")["code"] == "C-002"  # no number was used up
    assert (
        clerk.post(
            "/station/group", {"service": "C", "count": "2"}, form_page="/station/group"
        ).status_code
        == 302
    )
    with app.app_context():
        assert sorted(db.session.scalars(select(Ticket.code).where(Ticket.code.like("C-%")))) == [
            "C-001",
            "C-002",
            "C-003",
            "C-004",
        ]


@pytest.mark.parametrize("count", ["1", "61", "lots", ""])
def test_group_size_is_checked(signed_in_as, count):
    clerk = signed_in_as("clerk")
    response = clerk.post(
        "/station/group", {"service": "A", "count": count}, form_page="/station/group"
    )
    assert response.status_code == 422 and "A group has from 2 to 60 people." in text(response)


def test_group_page_is_for_desk_staff(signed_in_as):
    for user, status in (
        ("clerk", 200),
        ("operator", 200),
        ("admin", 200),
        ("kiosk", 403),
        ("display", 403),
    ):
        assert signed_in_as(user).get("/station/group").status_code == status


def test_report_page_draws_charts_and_links_each_csv(admin, api, world, clock):
    for _ in range(3):
        api.issue("A")
    api.issue("C")
    counter = world.counter(1).id
    clock.advance(minutes=4)
    ticket = api.call_next(counter).get_json()
    clock.advance(minutes=6)
    api.move(ticket["id"], "finish")
    day = clock.now.date().isoformat()
    page = text(admin.get(f"/admin/kupang/reports?from={day}&to={day}"))
    assert page.count('<svg class="chart"') == 4
    found = scan(page)
    assert found.inline_scripts == [] and found.style_attrs == []
    for table in ("services", "days", "hours", "counters", "operators", "pipeline"):
        assert f"table={table}" in page
    assert 'data-table="services"' in page and "4 min" in page  # the wait of A-001


def test_report_page_explains_a_bad_range(admin, world):
    response = admin.get("/admin/kupang/reports?from=2026-12-10&to=2026-12-01")
    assert response.status_code == 400
    assert "The start day 2026-12-10 is after the end day 2026-12-01." in text(response)
    malformed = admin.get("/admin/kupang/reports?from=kemarin")
    assert malformed.status_code == 400 and "YYYY-MM-DD" in text(malformed)


def test_audit_trail_lists_who_did_what_from_where_and_filters(app, admin, api, world):
    api.issue("A")
    admin.post("/admin/kupang/printers/reprint", {"code": "A-001", "target": "server"})
    everything = text(admin.get("/admin/kupang/trail"))
    assert "ticket.reprint" in everything and "ticket.issue" in everything
    assert "127.0.0.1" in everything and ">admin<" in everything
    only_admin = text(admin.get("/admin/kupang/trail?kind=admin"))
    assert "ticket.reprint" in only_admin and "ticket.issue" not in only_admin
    by_kiosk = text(admin.get(f"/admin/kupang/trail?user={world.users['kiosk'].id}"))
    assert "ticket.issue" in by_kiosk and "ticket.reprint" not in by_kiosk
    by_code = text(admin.get("/admin/kupang/trail?q=A-001&kind=tickets"))
    assert "A-001" in by_code
    bad = admin.get("/admin/kupang/trail?from=2026-13-01")
    assert bad.status_code == 400 and "YYYY-MM-DD" in text(bad)
    assert errors(bad) == []
