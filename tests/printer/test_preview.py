"""The preview printer (no PRINTER_URL): printing keeps a ticket's bytes and text and draws no
picture; opening the preview draws it from those bytes once and serves that file afterwards."""

from __future__ import annotations

import os

import pytest
import zxingcpp
from PIL import Image

from app.extensions import db
from printer import preview
from printer.decode import decode
from printer.layout import TicketData, ticket_bytes
from printer.transports import open_transport
from tests.conftest import Api, build_world
from tests.printer.samples import TICKET
from tests.printer.spooling import spooler_of

OTHER = TicketData(**{**TICKET.to_dict(), "code": "B-012", "url": "http://192.168.1.10/t/other"})


def qr_texts(path) -> list[str]:
    with Image.open(path) as image:
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in found]


def files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("paper", ["80", "58"])
def test_printing_keeps_only_the_bytes_and_the_text_is_drawn_from_them(tmp_path, paper):
    data = ticket_bytes(TICKET, paper)
    transport = open_transport(f"preview://{tmp_path}", paper=paper)
    transport.send(data, "A-007")
    assert files(tmp_path) == ["A-007.bin"]  # no text, no picture until someone asks
    assert (tmp_path / "A-007.bin").read_bytes() == data
    text = transport.text("A-007")
    assert "A - 0 0 7" in text and "(cut)" in text
    with pytest.raises(FileNotFoundError):
        transport.text("A-404")


@pytest.mark.parametrize(("paper", "width"), [("80", 576 + 32), ("58", 384 + 32)])
def test_opening_draws_the_ticket_and_the_next_opening_serves_the_same_file(
    tmp_path, monkeypatch, paper, width
):
    transport = open_transport(f"preview://{tmp_path}", paper=paper)
    data = ticket_bytes(TICKET, paper)
    transport.send(data, "A-007")

    png = transport.picture("A-007")
    assert png == tmp_path / "A-007.png"
    assert qr_texts(png) == [TICKET.url]
    with Image.open(png) as image:
        assert image.width == width  # the paper's dots and a 16-dot margin each side
        # The same picture the preview printer drew at print time before.
        assert image.tobytes() == preview.render_png(decode(data), transport.dots).tobytes()
    drawn = png.read_bytes()
    stamp = png.stat().st_mtime_ns

    def no_drawing(*_args):
        raise AssertionError("drawn again")

    monkeypatch.setattr(preview, "render_png", no_drawing)
    assert transport.picture("A-007") == png
    assert png.read_bytes() == drawn and png.stat().st_mtime_ns == stamp


def test_newer_bytes_of_the_same_name_are_drawn_again(tmp_path):
    transport = open_transport(f"preview://{tmp_path}")
    transport.send(ticket_bytes(TICKET, "80"), "job-1")
    assert qr_texts(transport.picture("job-1")) == [TICKET.url]
    transport.send(ticket_bytes(OTHER, "80"), "job-1")  # the same job printed again, say
    assert not (tmp_path / "job-1.png").exists()
    assert qr_texts(transport.picture("job-1")) == [OTHER.url]


def test_a_preview_drawn_at_print_time_by_an_earlier_version_is_served_as_it_is(tmp_path):
    transport = open_transport(f"preview://{tmp_path}")
    old = tmp_path / "A-001.png"
    preview.render_png(decode(ticket_bytes(TICKET, "80")), 576).save(old)
    before = old.read_bytes()
    assert transport.picture("A-001") == old and old.read_bytes() == before
    assert transport.names() == ["A-001"]


def test_unknown_and_unsafe_names_are_refused(tmp_path):
    transport = open_transport(f"preview://{tmp_path / 'tickets'}")
    (tmp_path / "secret.bin").write_bytes(ticket_bytes(TICKET, "80"))
    with pytest.raises(FileNotFoundError):
        transport.picture("A-404")
    for name in ("../secret", ".hidden", "a/b", ""):
        with pytest.raises(ValueError):
            transport.picture(name)
    assert not (tmp_path / "secret.png").exists()


def test_names_are_listed_oldest_first_then_by_their_numbers(tmp_path):
    transport = open_transport(f"preview://{tmp_path}")
    for second, name in enumerate(("b", "a", "c", "job-10", "job-9")):
        transport.send(ticket_bytes(TICKET, "80"), name)
        moment = 1_800_000_000 + min(second, 3)  # the two jobs printed within the same tick
        os.utime(tmp_path / f"{name}.bin", (moment, moment))
    transport.picture("b")  # drawing a picture later does not make it newer
    assert transport.names() == ["b", "a", "c", "job-9", "job-10"]


# ---------- in the app: the spooler prints, `loket preview` opens ----------


def test_a_printed_ticket_is_drawn_by_loket_preview(make_app, clock):
    app = make_app()
    folder = app.instance_path + "/tickets"
    with app.app_context():
        world = build_world(db.session)
    api = Api(app.test_client(), world)
    spooler = spooler_of(app)
    first, second = api.issue("A"), api.issue("A")
    spooler.step()
    spooler.step()
    kept = files(spooler.transport.folder)
    assert spooler.transport.folder.as_posix() == folder
    assert len(kept) == 2 and all(n.endswith(".bin") for n in kept), kept
    runner = app.test_cli_runner()

    last = runner.invoke(args=["loket", "preview"])
    assert last.exit_code == 0, last.output
    path = last.output.strip()
    assert path.endswith(".png") and qr_texts(path) == [second["track_url"]]

    both = runner.invoke(args=["loket", "preview", "--all"])
    assert both.exit_code == 0, both.output
    paths = both.output.split()
    assert paths[1] == path and [qr_texts(p) for p in paths] == [
        [first["track_url"]],
        [second["track_url"]],
    ]
    name = paths[0].rsplit("/", 1)[1].removesuffix(".png")
    again = runner.invoke(args=["loket", "preview", name + ".bin"])
    assert again.output.strip() == paths[0]

    text = runner.invoke(args=["loket", "preview", "--text", name])
    assert text.exit_code == 0, text.output
    assert text.output.startswith(f"== {name}\n")
    assert " ".join(first["code"]) in text.output and "(cut)" in text.output  # A - 0 0 1

    missing = runner.invoke(args=["loket", "preview", "A-404"])
    assert missing.exit_code != 0 and "No ticket 'A-404'" in missing.output


def test_loket_preview_says_when_tickets_go_to_a_real_printer(make_app):
    app = make_app(PRINTER_URL="tcp://127.0.0.1:9")
    result = app.test_cli_runner().invoke(args=["loket", "preview"])
    assert result.exit_code != 0 and "not the preview printer" in result.output


def test_loket_preview_says_when_nothing_was_printed(make_app):
    result = make_app().test_cli_runner().invoke(args=["loket", "preview"])
    assert result.exit_code != 0 and "No ticket printed yet" in result.output
