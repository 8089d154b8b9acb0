"""The kiosk's "join the Wi-Fi" QR code: only with a Wi-Fi set, only for the office's kiosks
and staff (it carries the password), never kept by a cache."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Office
from app.qr import svg_response
from app.wifi import qr_payload
from tests.web import scan, sign_in

SSID, PASSWORD = "Dukcapil-Tamu", "antre;dengan:tenang"


def set_wifi(app, world, ssid=SSID, password=PASSWORD, hidden=False) -> None:
    with app.app_context():
        office = db.session.get(Office, world.office.id)
        office.wifi_ssid, office.wifi_password, office.wifi_hidden = ssid, password, hidden
        db.session.commit()


def test_without_a_wifi_the_ticket_screen_is_as_before(client, world):
    sign_in(client, "kiosk")
    html = client.get("/kiosk/kupang").get_data(as_text=True)
    assert "data-wifi" not in html and "wifi.svg" not in html
    assert html.count("data-ticket-qr") == 1
    assert "Pindai untuk memantau antrean Anda di ponsel." in html
    assert client.get("/kiosk/kupang/wifi.svg").status_code == 404


def test_with_a_wifi_the_ticket_screen_has_its_code_and_name(app, client, world):
    set_wifi(app, world, hidden=True)
    sign_in(client, "kiosk")
    html = client.get("/kiosk/kupang").get_data(as_text=True)
    assert 'data-wifi-qr src="/kiosk/kupang/wifi.svg"' in html
    assert '<strong class="k-wifi-name" data-wifi-name>Dukcapil-Tamu</strong>' in html
    assert "1. Sambung ke Wi-Fi" in html and "2. Lalu pindai" in html
    assert PASSWORD not in html and "tenang" not in html  # only inside the QR code
    page = scan(html)
    assert page.inline_scripts == [] and page.style_attrs == [] and page.handlers == []
    english = client.get("/kiosk/kupang?lang=en").get_data(as_text=True)
    assert "1. Join the Wi-Fi" in english

    svg = client.get("/kiosk/kupang/wifi.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert "no-store" in svg.headers["Cache-Control"]
    assert "public" not in svg.headers["Cache-Control"]
    expected = svg_response(qr_payload(SSID, PASSWORD, hidden=True)).get_data()
    assert svg.get_data() == expected


def test_the_name_is_escaped_on_the_page(app, client, world):
    set_wifi(app, world, ssid='<b>"Tamu"</b>', password="")
    sign_in(client, "kiosk")
    html = client.get("/kiosk/kupang").get_data(as_text=True)
    assert "<b>" not in html and "&lt;b&gt;&#34;Tamu&#34;&lt;/b&gt;" in html


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
def test_only_the_offices_kiosks_and_staff_get_the_code(app, client, world, user, status):
    set_wifi(app, world)
    assert sign_in(client, user).status_code == 302
    assert client.get("/kiosk/kupang/wifi.svg").status_code == status


def test_nobody_signed_out_gets_the_code(app, client, world):
    set_wifi(app, world)
    response = client.get("/kiosk/kupang/wifi.svg")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert b"<svg" not in response.get_data()
