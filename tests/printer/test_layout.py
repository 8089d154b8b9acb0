"""The ticket's ESC/POS bytes at both paper widths, exact and decoded back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import qrcode
from PIL import ImageOps

from printer.decode import QR, Cut, Raster, Text, UnknownCommand, decode
from printer.layout import TicketData, code_magnification, plain, ticket_bytes
from printer.preview import _raster_image
from tests.printer.samples import TICKET, WORDS

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("paper", ["80", "58"])
def test_bytes_are_exactly_the_reviewed_ones(paper):
    # A layout change shows up here; after looking at the preview, refresh the golden files
    # with LOKET_UPDATE_GOLDEN=1.
    data = ticket_bytes(TICKET, paper)
    golden = GOLDEN / f"ticket-{paper}.bin"
    if os.environ.get("LOKET_UPDATE_GOLDEN"):
        golden.write_bytes(data)
    assert data == golden.read_bytes()


@pytest.mark.parametrize(("paper", "size", "columns"), [("80", 8, 48), ("58", 6, 32)])
def test_ticket_decodes_to_init_code_qr_and_cut(paper, size, columns):
    data = ticket_bytes(TICKET, paper)
    assert data.startswith(b"\x1b@")
    assert data.rstrip(b"\n").endswith((b"\x1dV\x00", b"\x1dV\x01"))
    decoded = decode(data)
    assert decoded.initialised
    code = next(e for e in decoded.elements if isinstance(e, Text) and e.text == "A-007")
    assert (code.style.width, code.style.height, code.style.align) == (size, size, "center")
    assert "Dukcapil Kota Kupang" in decoded.texts and "Perekaman KTP-el" in decoded.texts
    assert "Di depan Anda: 3 orang" in decoded.texts
    assert all(len(t) <= columns for t in decoded.texts if t != "A-007")
    assert isinstance(decoded.elements[-1], Cut)


def test_80mm_sends_the_qr_code_natively():
    decoded = decode(ticket_bytes(TICKET, "80"))
    assert decoded.qr_codes == [QR(TICKET.url, 6, True)]
    assert decoded.rasters == []


def test_58mm_sends_the_qr_code_as_a_raster_image_of_the_url():
    decoded = decode(ticket_bytes(TICKET, "58"))
    assert decoded.qr_codes == []
    (raster,) = decoded.rasters
    assert raster.width == 384 and 100 < raster.height < 384
    # Read the modules back off the raster and compare them with the QR code of the URL.
    expected = qrcode.QRCode(
        box_size=5, border=1, error_correction=qrcode.constants.ERROR_CORRECT_L
    )
    expected.add_data(TICKET.url)
    expected.make(fit=True)
    image = _raster_image(raster)
    left, top, right, _bottom = ImageOps.invert(image).getbbox()
    modules = expected.modules_count
    box = (right - left) / modules
    read = [
        [
            image.getpixel((int(left + (c + 0.5) * box), int(top + (r + 0.5) * box))) == 0
            for c in range(modules)
        ]
        for r in range(modules)
    ]
    assert read == expected.modules


def test_text_is_plain_ascii_for_any_code_page():
    assert (
        plain("layanan \u201cgratis\u201d \u2014 Rp\u00a010.000 caf\u00e9")
        == 'layanan "gratis" - Rp 10.000 cafe'
    )
    decoded = decode(ticket_bytes(TICKET, "80"))
    footer = " ".join(decoded.texts[-2:])
    assert 'layanan "gratis"' in footer and "\u2014" not in footer


def test_priority_ticket_is_marked_and_the_mark_does_not_leak():
    decoded = decode(ticket_bytes(TicketData(**{**TICKET.to_dict(), "priority": True}), "80"))
    texts = [e for e in decoded.elements if isinstance(e, Text)]
    mark = next(e for e in texts if e.text == "PRIORITAS")
    assert mark.style.invert
    assert not any(e.style.invert for e in texts if e.text != "PRIORITAS")


def test_nothing_but_the_ticket_fields_is_printed():
    printed = " ".join(decode(ticket_bytes(TICKET, "80")).texts)
    for value in (TICKET.office, TICKET.service, TICKET.code, TICKET.issued_at):
        assert value in printed
    assert set(TicketData.__dataclass_fields__) == {
        "office",
        "service",
        "code",
        "issued_at",
        "url",
        "ahead",
        "wait_min",
        "footer",
        "priority",
        "lang",
        "words",
        "wifi",  # the Wi-Fi QR code's text (tests/printer/test_wifi_ticket.py)
        "wifi_name",
    }


def test_long_codes_shrink_to_fit_the_paper():
    assert code_magnification("A-007", 576) == 8
    assert code_magnification("A-1000", 384) == 5
    assert code_magnification("A-1000", 576) == 8


def test_a_word_not_given_is_a_line_not_printed():
    """A job queued before the words travelled with it (or by a newer server that dropped
    one) still prints its code, its time and its QR code."""
    bare = TicketData(**{**TICKET.to_dict(), "words": {}, "priority": True})
    decoded = decode(ticket_bytes(bare, "80"))
    assert "A-007" in decoded.texts and TICKET.issued_at in decoded.texts
    assert not any(w.split(" {")[0] in " ".join(decoded.texts) for w in WORDS.values())
    assert decoded.qr_codes == [QR(TICKET.url, 6, True)]


def test_decoder_refuses_unknown_commands():
    with pytest.raises(UnknownCommand):
        decode(b"\x1b@\x1b\x99\x01")


def test_raster_rows_match_the_declared_size():
    decoded = decode(ticket_bytes(TICKET, "58"))
    raster = next(e for e in decoded.elements if isinstance(e, Raster))
    assert len(raster.rows) == raster.height and all(len(r) == 48 for r in raster.rows)
