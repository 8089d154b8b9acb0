"""The ticket of an office with a guest Wi-Fi: a second QR code that joins it, read back from
the ESC/POS bytes (native on 80 mm; on 58 mm the raster image is read by a QR decoder), its
caption in the kiosk's language, and the password never printed as text."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import zxingcpp

from app.extensions import db
from app.models import Office, PrintJob
from app.wifi import qr_payload
from bench.fake_printer import FakePrinter
from printer import transports
from printer.decode import QR, Raster, Text, decode
from printer.layout import TicketData, ticket_bytes
from printer.preview import _raster_image, render_png
from tests.conftest import Api, build_world
from tests.printer.samples import TICKET, WORDS
from tests.printer.spooling import spooler_of

GOLDEN = Path(__file__).parent / "golden"
SSID = "Dukcapil-Tamu"
PASSWORD = 'antre;dengan:"tenang"'
PAYLOAD = qr_payload(SSID, PASSWORD)
WIFI_WORDS = {
    "wifi": "1. Sambung ke Wi-Fi: {name}",
    "scan_after_wifi": "2. Lalu pindai untuk memantau antrean Anda",
}
WIFI_TICKET = TicketData(
    **{
        **TICKET.to_dict(),
        "words": {**WORDS, **WIFI_WORDS},
        "wifi": PAYLOAD,
        "wifi_name": SSID,
    }
)


def read_qr_codes(image) -> list[str]:
    """The texts of the QR codes a decoder finds in ``image``, top to bottom."""
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in sorted(found, key=lambda r: r.position.top_left.y)]


@pytest.mark.parametrize("paper", ["80", "58"])
def test_wifi_ticket_bytes_are_exactly_the_reviewed_ones(paper):
    # After looking at its preview, refresh with LOKET_UPDATE_GOLDEN=1 (as test_layout's).
    data = ticket_bytes(WIFI_TICKET, paper)
    golden = GOLDEN / f"ticket-wifi-{paper}.bin"
    if os.environ.get("LOKET_UPDATE_GOLDEN"):
        golden.write_bytes(data)
    assert data == golden.read_bytes()


@pytest.mark.parametrize("paper", ["80", "58"])
def test_without_a_wifi_name_the_ticket_is_byte_for_byte_todays(paper):
    today = (GOLDEN / f"ticket-{paper}.bin").read_bytes()
    assert ticket_bytes(TICKET, paper) == today
    # The Wi-Fi words alone, a name without a code, or a code without a name print nothing new.
    for extra in (
        {"words": {**WORDS, **WIFI_WORDS}},
        {"wifi_name": SSID},
        {"wifi": PAYLOAD},
        {"wifi": "not a wifi code", "wifi_name": SSID},
        {"wifi": PAYLOAD.replace("T:WPA", "T:WPA\x1bp"), "wifi_name": SSID},
    ):
        ticket = TicketData(**{**TICKET.to_dict(), **extra})
        assert ticket_bytes(ticket, paper) == today, extra


def test_80mm_carries_the_wifi_payload_natively_before_the_status_qr():
    data = ticket_bytes(WIFI_TICKET, "80")
    decoded = decode(data)
    assert decoded.qr_codes == [QR(PAYLOAD, 5, True), QR(TICKET.url, 6, True)]
    assert decoded.rasters == []
    # In the bytes as they go to the printer: GS ( k, function 180, store the data.
    body = b"1P0" + PAYLOAD.encode("utf-8")
    assert b"\x1d(k" + bytes([len(body) & 0xFF, len(body) >> 8]) + body in data
    # Each code has its caption under it, in order.
    order = [
        e.data if isinstance(e, QR) else e.text
        for e in decoded.elements
        if isinstance(e, QR) or (isinstance(e, Text) and e.text[:2] in ("1.", "2."))
    ]
    assert order == [
        PAYLOAD,
        "1. Sambung ke Wi-Fi: Dukcapil-Tamu",
        TICKET.url,
        "2. Lalu pindai untuk memantau antrean Anda",
    ]
    assert "Pindai untuk memantau antrean Anda" not in decoded.texts  # said once, numbered


def test_58mm_carries_it_as_a_raster_that_a_qr_decoder_reads_back_exactly():
    decoded = decode(ticket_bytes(WIFI_TICKET, "58"))
    assert decoded.qr_codes == []
    wifi, status = decoded.rasters
    assert read_qr_codes(_raster_image(wifi)) == [PAYLOAD]
    assert read_qr_codes(_raster_image(status)) == [TICKET.url]
    # The name wraps whole onto its own line, never at its hyphen.
    assert "Dukcapil-Tamu" in decoded.texts
    assert all(len(t) <= 32 for t in decoded.texts if t != "A-007")


@pytest.mark.parametrize("paper", ["80", "58"])
def test_the_password_is_never_printed_as_text(paper):
    data = ticket_bytes(WIFI_TICKET, paper)
    decoded = decode(data)
    printed = "\n".join(decoded.texts)
    for part in ("antre;dengan", "tenang", PASSWORD):
        assert part not in printed
    if paper == "58":
        assert b"tenang" not in data  # only the picture of the code carries it


@pytest.mark.parametrize("paper", ["80", "58"])
def test_a_name_with_accents_and_special_characters_joins_exactly(paper):
    ssid = 'Kafé "Tamu"; 2:4,☕'
    payload = qr_payload(ssid, "", hidden=True)
    ticket = TicketData(**{**WIFI_TICKET.to_dict(), "wifi": payload, "wifi_name": ssid})
    decoded = decode(ticket_bytes(ticket, paper))
    image = render_png(decoded, 576 if paper == "80" else 384)
    assert read_qr_codes(image) == [payload, TICKET.url]
    # The caption is plain ASCII for any code page; the code keeps the name's own letters.
    assert 'Kafe "Tamu"; 2:4,?' in " ".join(decoded.texts)


@pytest.mark.parametrize("paper", ["80", "58"])
def test_the_preview_shows_both_codes_readably(paper):
    decoded = decode(ticket_bytes(WIFI_TICKET, paper))
    image = render_png(decoded, 576 if paper == "80" else 384)
    assert read_qr_codes(image) == [PAYLOAD, TICKET.url]


def test_a_ticket_queued_without_the_wifi_words_still_prints_both_codes():
    bare = TicketData(**{**WIFI_TICKET.to_dict(), "words": {}})
    decoded = decode(ticket_bytes(bare, "80"))
    assert [q.data for q in decoded.qr_codes] == [PAYLOAD, TICKET.url]
    assert not any("Wi-Fi" in t for t in decoded.texts)


# ---------- the app builds it from the office's settings ----------


@pytest.fixture
def printer(monkeypatch):
    monkeypatch.setattr(transports, "IO_TIMEOUT", 0.5)
    monkeypatch.setattr(transports, "CONNECT_TIMEOUT", 0.5)
    fake = FakePrinter()
    yield fake
    fake.stop()


def _office_with_wifi(make_app, url, ssid, password, hidden=False):
    app = make_app(PRINTER_URL=url)
    with app.app_context():
        world = build_world(db.session)
        office = db.session.get(Office, world.office.id)
        office.wifi_ssid, office.wifi_password, office.wifi_hidden = ssid, password, hidden
        db.session.commit()
    return app, Api(app.test_client(), world), spooler_of(app)


@pytest.mark.parametrize(
    ("query", "caption", "scan"),
    [
        ("", "1. Sambung ke Wi-Fi: Dukcapil-Tamu", "2. Lalu pindai untuk memantau antrean Anda"),
        (
            "?lang=en",
            "1. Join the Wi-Fi: Dukcapil-Tamu",
            "2. Then scan to follow your place in the queue",
        ),
    ],
)
def test_the_office_wifi_is_printed_in_the_kiosks_language(
    make_app, printer, clock, query, caption, scan
):
    _app, api, spooler = _office_with_wifi(make_app, printer.url, SSID, PASSWORD, hidden=True)
    response = api.post(f"/api/v1/offices/kupang/tickets{query}", {"service": "A"}, as_="kiosk")
    assert response.status_code == 201
    spooler.step()
    (paper,) = printer.wait_for_jobs(1)
    decoded = decode(paper)
    expected = qr_payload(SSID, PASSWORD, hidden=True)
    assert [q.data for q in decoded.qr_codes] == [expected, response.get_json()["track_url"]]
    assert caption in decoded.texts and scan in decoded.texts
    assert "tenang" not in "\n".join(decoded.texts)


def test_an_office_without_wifi_queues_the_same_job_as_before(make_app, printer, clock):
    app, api, spooler = _office_with_wifi(make_app, printer.url, "", "")
    api.issue("A")
    with app.app_context():
        stored = json.loads(db.session.query(PrintJob).one().payload)
    assert (stored["wifi"], stored["wifi_name"]) == ("", "")
    assert "wifi" not in stored["words"] and "scan_after_wifi" not in stored["words"]
    spooler.step()
    (paper,) = printer.wait_for_jobs(1)
    assert len(decode(paper).qr_codes) == 1


def test_an_open_network_joins_without_a_password(make_app, printer, clock):
    _app, api, spooler = _office_with_wifi(make_app, printer.url, "Tamu Terbuka", "")
    api.issue("A")
    spooler.step()
    (paper,) = printer.wait_for_jobs(1)
    assert decode(paper).qr_codes[0].data == "WIFI:T:nopass;S:Tamu Terbuka;;"


def test_raster_rows_of_both_codes_match_their_declared_size():
    for raster in decode(ticket_bytes(WIFI_TICKET, "58")).rasters:
        assert isinstance(raster, Raster)
        assert len(raster.rows) == raster.height and all(len(r) == 48 for r in raster.rows)
