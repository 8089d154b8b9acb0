"""Printer commands typed as names (issue 10, hole 3): control characters are refused with a
sentence by every form and every API call, and the paper layout drops them even if some reach it
(data stored before the rule, a payload from an older server)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Service, Ticket, User
from printer.decode import decode
from printer.layout import TicketData, ticket_bytes
from tests.admin.conftest import Browser
from tests.conftest import assert_error
from tests.factories import SERVICE_FORM
from tests.web import sign_in

CUT_PAPER = "Kartu\x1dV1Keluarga"  # GS V 1: a partial cut in the middle of the ticket
CASH_DRAWER = "Loket \x1bp0\x19\x19"  # ESC p: kick the cash drawer


# The last two: text-direction overrides, which would show the rest of the name reversed on the TV.
@pytest.mark.parametrize(
    ("name", "saved"),
    [
        (CUT_PAPER, "KartuV1Keluarga"),
        (CASH_DRAWER, "Loket p0"),
        ("Surat\x7fPindah", "SuratPindah"),
        ("KTP\x85baru", "KTPbaru"),
        ("Loket \u202e3 ", "Loket 3"),
        ("\u2066KK\u2069", "KK"),
    ],
)
def test_an_admin_form_saves_a_name_without_its_control_characters(app, world, client, name, saved):
    # Invisible, pasted in with the text: dropped, and the form saved as it looked (a refusal
    # replaced the form with an error page and lost what was typed).
    admin = Browser(client, "admin", lang="id")
    done = admin.post("/admin/kupang/services/new", {**SERVICE_FORM, "name": name})
    assert done.status_code == 302
    with app.app_context():
        service = db.session.scalar(select(Service).where(Service.code == "E"))
        assert service is not None and service.name == saved


def test_a_password_with_control_characters_is_refused_in_indonesian(app, world, client):
    # A password must be exactly what was typed: refused, never changed behind the user's back,
    # and on the form itself (an error page would leave only the Back button).
    admin = Browser(client, "admin", lang="id")
    refused = admin.post(
        "/account/password", {"current": "x", "new": "kata\x1bsandi-baru", "again": "x"}
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    # The field by the label the user sees beside it, not by its name in the form ("new").
    assert "“Kata sandi baru” berisi karakter kendali" in page, page
    assert "“new”" not in page
    assert 'name="again"' in page and 'name="csrf_token"' in page  # the form, to try again
    assert sign_in(client, "admin").status_code == 302  # the password unchanged


def test_a_sign_in_with_control_characters_in_the_password_is_told_so_and_not_counted(
    app, world, client
):
    client.set_cookie("lang", "id")
    for _ in range(12):  # more than the wrong passwords that lock an account
        refused = sign_in(client, "admin", "rahasia\x1b")
        assert refused.status_code == 401
        page = refused.get_data(as_text=True)
        assert "“Kata sandi” berisi karakter kendali" in page and 'value="admin"' in page
    with app.app_context():
        assert db.session.scalar(select(User.failed_logins).where(User.username == "admin")) == 0


def test_tabs_and_line_breaks_are_still_text(app, world, client):
    admin = Browser(client, "admin")
    saved = admin.post(
        "/admin/kupang/services/new",
        {**SERVICE_FORM, "name": "Surat Pindah", "ticket_footer": "Bawa KK\r\n\tdan KTP lama"},
    )
    assert saved.status_code == 302


def test_the_api_refuses_control_characters_in_json_and_in_the_query(app, world, api):
    ticket = api.issue("A")
    body = assert_error(
        api.move(ticket["id"], "cancel", as_="operator", json={"note": "salah \x1bp0 ketik"}),
        422,
        "invalid_field",
    )
    assert "“note”" in body["message"]
    with app.app_context():
        assert db.session.get(Ticket, ticket["id"]).status == "waiting"  # nothing changed
    nested = api.post(
        "/api/v1/offices/kupang/tickets", {"service": "A", "x": [{"y": "\x1d"}]}, as_="kiosk"
    )
    assert_error(nested, 422, "invalid_field")
    assert_error(
        api.get("/api/v1/offices/kupang/report?from=2026-11-30\x1b", as_="admin"),
        422,
        "invalid_field",
    )


def test_the_paper_never_carries_a_control_character():
    ticket = TicketData(
        office="Dukcapil \x1b@Kupang",
        service=CUT_PAPER,
        code="A-001",
        issued_at="30-11-2026 09:00 WITA",
        url="http://10.0.0.5:5000/t/abc\x1dV1",
        footer=CASH_DRAWER,
    )
    data = ticket_bytes(ticket)
    assert data.count(b"\x1dV") == 1 and data.index(b"\x1dV") >= len(data) - 4  # the end
    assert b"\x1bp" not in data
    decoded = decode(data)
    assert "Kartu V1Keluarga" in decoded.texts
    assert decoded.qr_codes[0].data == "http://10.0.0.5:5000/t/abcV1"
