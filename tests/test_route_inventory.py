"""Every route of the app has a declared audience, and a test of who may use it: a new route
that nobody classified fails here. The administration's writes are tried by every caller."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent
from tests.api.matrix import ROUTES as API_MATRIX
from tests.web import csrf_token, example_path, sign_in

PUBLIC = {
    "/",
    "/login",
    "/login/link/<token>",
    "/display/<office>",
    "/display/<office>/counter/<int:number>",
    "/t/<token>",
    "/t/<token>/qr.svg",
    "/api/v1/offices",
    "/api/v1/offices/<office>/board",
    "/api/v1/offices/<office>/services",
    "/api/v1/offices/<office>/counters",
    "/api/v1/track/<token>",
    "/api/v1/openapi.json",
    "/api/v1/overview",
    "/book/<office>",
    "/book/<office>/poster.pdf",
    "/b/<token>",
    "/b/<token>/cancel",
    "/b/<token>/qr.svg",
    "/b/<token>/booking.ics",
    "/p/<office>/<code>",
    "/api/v1/offices/<office>/slots",
    "/api/v1/offices/<office>/bookings",
    "/api/v1/bookings/<token>",
    "/t/<token>/survey",
    "/api/v1/track/<token>/survey",
    "/t/<token>/notify",
    "/api/v1/track/<token>/notify",
    "/static/<path:filename>",
    "/display/static/<path:filename>",
    "/kiosk/static/<path:filename>",
    "/vendor/<path:name>",
}
# Signed-in pages, tested per role in tests/api/test_staff_pages.py and tests/admin/.
PAGES = {
    "/account/password",
    "/logout",
    "/counter/",
    "/counter/<id:counter_id>",
    "/kiosk/<office>",
    "/kiosk/<office>/notices",
    "/kiosk/<office>/wifi.svg",
    "/p/<office>/qr.svg",
    "/p/<office>/code.json",
    "/station/print",
    "/station/handover",
    "/station/group",
    "/station/bookings",
    "/survey/<office>/counter/<int:number>",
    "/survey/<office>/counter/<int:number>/current.json",
}
API_BY_MATRIX_NAME = {
    "/api/v1/offices/<office>/tickets",
    "/api/v1/tickets/<id:ticket_id>",
    "/api/v1/tickets/<id:ticket_id>/reprint",
    "/api/v1/offices/<office>/printers",
    "/api/v1/counters/<id:counter_id>/call-next",
    "/api/v1/tickets/<id:ticket_id>/recall",
    "/api/v1/tickets/<id:ticket_id>/start",
    "/api/v1/tickets/<id:ticket_id>/finish",
    "/api/v1/tickets/<id:ticket_id>/no-show",
    "/api/v1/tickets/<id:ticket_id>/requeue",
    "/api/v1/tickets/<id:ticket_id>/undo",
    "/api/v1/tickets/<id:ticket_id>/cancel",
    "/api/v1/tickets/<id:ticket_id>/transfer",
    "/api/v1/tickets/<id:ticket_id>/stage",
    "/api/v1/tickets/<id:ticket_id>/notify",
    "/api/v1/counters/<id:counter_id>/pause",
    "/api/v1/counters/<id:counter_id>/resume",
    "/api/v1/offices/<office>/report",
    "/api/v1/offices/<office>/queue",
    "/api/v1/offices/<office>/tickets/find",
    "/api/v1/offices/<office>/check-in",
    "/api/v1/offices/<office>/ikm",
}
ADMIN_WRITES = {
    "/admin/<office>/settings": {"name": "x"},
    "/admin/offices/new": {"slug": "baru", "name": "x"},
    "/admin/<office>/hours": {},
    "/admin/<office>/special-days": {"special-day": "2026-12-05"},
    "/admin/<office>/special-days/<id:day_id>/delete": {},
    "/admin/<office>/services/new": {"code": "Z", "name": "x"},
    "/admin/<office>/services/<code>": {"code": "A", "name": "x"},
    "/admin/<office>/services/<code>/booking": {"enabled": "y", "mon": "y", "starts": "08:00"},
    "/admin/<office>/bookings/<id:booking_id>/decide": {"decision": "approve"},
    "/admin/<office>/counters/new": {"number": "9", "name": "x"},
    "/admin/<office>/counters/<id:counter_id>": {"number": "1", "name": "x"},
    "/admin/<office>/users": {"username": "baru", "role": "admin", "office": "kupang"},
    "/admin/<office>/users/<id:user_id>": {"username": "x", "role": "admin"},
    "/admin/<office>/users/<id:user_id>/password": {},
    "/admin/<office>/users/<id:user_id>/tokens": {},
    "/admin/<office>/users/<id:user_id>/tokens/<id:token_id>/revoke": {},
    "/admin/<office>/devices/<id:user_id>/link": {},
    "/admin/<office>/devices/<id:user_id>/revoke": {},
    "/admin/<office>/printers/reprint": {"code": "A-001"},
    "/admin/<office>/printers/jobs/<id:job_id>/retry": {},
    "/admin/<office>/printers/jobs/<id:job_id>/cancel": {},
    "/admin/<office>/survey/wording": {"u1-name": "Syarat", "u1-question": "Sesuai?"},
    "/admin/<office>/survey/suggestions/<id:response_id>": {"state": "kept"},
}


def _rules(app) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules()}


def test_every_route_has_a_declared_audience(app):
    admin = {r for r in _rules(app) if r.startswith("/admin")}
    declared = PUBLIC | PAGES | API_BY_MATRIX_NAME | admin
    assert _rules(app) - declared == set(), "classify the new route and test who may use it"
    assert declared - _rules(app) == set(), "a declared route no longer exists"
    matrix = {
        path.split("?")[0]
        .replace("kupang", "<office>")
        .replace("{id}", "<id:ticket_id>")
        .replace("{counter}", "<id:counter_id>")
        for _, path, *_ in API_MATRIX.values()
    }
    assert API_BY_MATRIX_NAME - matrix == set(), "give the route its row in the auth matrix"
    posted = {
        r.rule
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/admin") and "POST" in r.methods
    }
    assert posted == set(ADMIN_WRITES), "add the admin write to ADMIN_WRITES"


@pytest.mark.parametrize(
    "caller", ["anonymous", "operator", "clerk", "kiosk", "display", "admin-oebobo"]
)
def test_administration_writes_refuse_everyone_but_the_offices_administrators(app, world, caller):
    client = app.test_client()
    if caller != "anonymous":
        assert sign_in(client, caller).status_code == 302
    token = csrf_token(client.get("/login").get_data(as_text=True))
    for rule, data in ADMIN_WRITES.items():
        response = client.post(example_path(rule, world), data={"csrf_token": token, **data})
        if caller == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"], rule
        else:
            assert response.status_code == 403, (rule, response.status_code)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
