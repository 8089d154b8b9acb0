"""The kiosk page's access, hooks and markup; the ticket's QR code."""

from __future__ import annotations

import pytest

from tests.api.test_sessions import sign_in
from tests.display.test_page import scan


def test_kiosk_page_needs_a_signed_in_kiosk_or_staff(client, world):
    response = client.get("/kiosk/kupang")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("kiosk", 200),
        ("operator", 200),
        ("admin", 200),
        ("clerk", 403),
        ("display", 403),
        ("kiosk-oebobo", 403),
    ],
)
def test_who_may_open_the_kiosk(client, world, user, status):
    assert sign_in(client, user).status_code == 302
    assert client.get("/kiosk/kupang").status_code == status


def test_kiosk_has_a_button_per_service_and_nothing_inline(app, client, world):
    from app.extensions import db
    from app.models import Service

    with app.app_context():
        db.session.get(Service, world.office.services[0].id).name = "Perekaman KTP-el"
        db.session.commit()
    sign_in(client, "kiosk")
    response = client.get("/kiosk/kupang")
    html = response.get_data(as_text=True)
    for code in "ABC":
        assert f'data-service="{code}"' in html
    assert "data-ticket-code" in html and "Ambil nomor antrean" in html
    assert "KTP\u2011el" in html  # a name never breaks at its hyphen
    page = scan(html)
    assert page.inline_scripts == [] and page.style_attrs == [] and page.handlers == []


def test_closed_service_says_when_it_opens(app, client, world, clock):
    from app.extensions import db
    from app.models import Office

    with app.app_context():
        office = db.session.get(Office, world.office.id)
        office.always_open = False
        db.session.commit()
    clock.set(clock.now.replace(hour=13))  # 21:00 WITA on Monday
    sign_in(client, "kiosk")
    html = client.get("/kiosk/kupang").get_data(as_text=True)
    assert 'aria-disabled="true"' in html
    assert "buka lagi Selasa, 1 Desember 2026 pukul 08.00 WITA" in html


def test_qr_code_of_a_ticket_is_svg_of_its_status_link(api, client):
    ticket = api.issue("A")
    response = client.get(f"/t/{ticket['token']}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data[:200]
    assert client.get("/t/not-a-real-token-xyz/qr.svg").status_code == 404
