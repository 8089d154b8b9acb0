"""Security properties a visitor or an auditor can check: cookies, headers, stored secrets, and
that nothing personal or about staff reaches any public response, event, voice call or paper."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from app.extensions import db, socketio
from app.models import ApiToken, PrintJob, Ticket, User
from printer.layout import TicketData, ticket_bytes
from tests.factories import PASSWORD
from tests.web import csrf_token

STAFF_NAME = "Yohanes Bria Seran"
RESIDENT = "Maria Goreti Fernandez"
NIK = "5371014107890003"
NOTE = f"KK atas nama {RESIDENT}, NIK {NIK}, tinggal di Oebobo"


def _login(client, username: str, remember: bool = False):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    data = {"username": username, "password": PASSWORD, "csrf_token": token}
    if remember:
        data["remember"] = "on"
    return client.post("/login", data=data)


def test_session_and_remember_cookies_are_httponly_and_samesite(client, world):
    response = _login(client, "kiosk", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session, remember):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_every_kind_of_page_sends_the_security_headers(client, api, world):
    ticket = api.issue("A")
    _login(client, "admin")
    for path in (
        "/",
        "/login",
        "/display/kupang",
        f"/t/{ticket['token']}",
        "/admin/kupang/",
        "/counter/",
        "/station/print",
        "/api/v1/offices/kupang/board",
        "/static/css/base.css",
    ):
        response = client.get(path)
        headers = response.headers
        response.close()
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "frame-ancestors 'none'" in csp and headers["X-Frame-Options"] == "DENY", path
        assert headers["X-Content-Type-Options"] == "nosniff", path


def test_browser_writes_need_the_csrf_token(client, world):
    _login(client, "admin")
    no_token = client.post("/admin/kupang/settings", data={"name": "Diretas"})
    assert no_token.status_code == 400 and "Diretas" not in no_token.get_data(as_text=True)
    api_write = client.post(f"/api/v1/counters/{world.counter(1).id}/call-next")
    assert api_write.status_code == 400 and api_write.get_json()["error"]["code"] == "csrf_failed"


def test_passwords_and_tokens_are_stored_hashed(app, runner, world):
    made = runner.invoke(
        args=[
            "loket",
            "user",
            "add",
            "rina",
            "--role",
            "operator",
            "--office",
            "kupang",
            "--password",
            "rahasia-sekali-9",
        ]
    )
    assert made.exit_code == 0
    token = runner.invoke(args=["loket", "token", "rina"]).output.strip()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "rina"))
        assert "rahasia-sekali-9" not in user.password_hash
        assert user.password_hash.split(":")[0] in ("scrypt", "pbkdf2")
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
        assert token not in stored and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in stored)


def test_nothing_personal_or_about_staff_reaches_the_public(app, api, client, world):
    """A resident's name and NIK in a staff note, a staff member's full name: none of it appears
    on the board, the TV, the status page, its QR, the OpenAPI document, any Socket.IO event a
    screen or phone receives, the voice call, or the paper ticket."""
    with app.app_context():
        operator = db.session.get(User, world.users["operator"].id)
        operator.display_name = STAFF_NAME
        db.session.commit()
    tv = socketio.test_client(app)
    tv.emit("join", {"office": "kupang"})
    ticket = api.issue("A")
    phone = socketio.test_client(app)
    phone.emit("join", {"ticket": ticket["token"]})
    api.call_next(world.counter(1).id)
    api.move(ticket["id"], "start")
    api.move(ticket["id"], "finish")
    api.move(ticket["id"], "stage", "clerk", {"stage": "blocked", "reason": "other", "note": NOTE})
    api.move(ticket["id"], "stage", "clerk", {"stage": "ready_to_print"})
    api.move(ticket["id"], "stage", "clerk", {"stage": "printed", "note": NOTE})

    public = [
        client.get(path).get_data(as_text=True)
        for path in (
            "/",
            "/display/kupang",
            "/api/v1/offices/kupang/board",
            "/api/v1/offices/kupang/services",
            "/api/v1/offices/kupang/counters",
            f"/api/v1/track/{ticket['token']}",
            f"/t/{ticket['token']}",
            f"/t/{ticket['token']}/qr.svg",
            "/api/v1/openapi.json",
        )
    ]
    events = [json.dumps(m, default=str) for m in tv.get_received() + phone.get_received()]
    assert any('"called"' in e for e in events) and any('"pickup"' in e for e in events)
    with app.app_context():
        payloads = db.session.scalars(select(PrintJob.payload)).all()
        stored_note = db.session.get(Ticket, ticket["id"]).stage_note
    assert stored_note == NOTE  # the note is kept for staff...
    paper = [
        ticket_bytes(TicketData.from_dict(json.loads(p)), "80").decode("latin-1") for p in payloads
    ]
    everything = "\n".join(public + events + payloads + paper)
    for secret in (RESIDENT, "Maria", "Goreti", NIK, STAFF_NAME, "Yohanes", "Seran"):
        assert secret not in everything, secret  # ...and never shown to the public
    assert ticket["code"] in everything  # the scan did look at the right things
