"""PRINTER_URL to transports, and tickets over TCP to a fake printer that misbehaves."""

from __future__ import annotations

import os
import threading
import time

import pytest

from bench.fake_printer import FakePrinter
from printer import transports
from printer.decode import decode
from printer.layout import ticket_bytes
from printer.transports import (
    CupsTransport,
    FileTransport,
    NetworkTransport,
    PaperOut,
    PreviewTransport,
    PrinterError,
    PrinterTimeout,
    SerialTransport,
    UsbTransport,
    open_transport,
)
from tests.printer.samples import TICKET


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(transports, "IO_TIMEOUT", 0.5)
    monkeypatch.setattr(transports, "CONNECT_TIMEOUT", 0.5)


@pytest.mark.parametrize(
    ("url", "kind", "attrs"),
    [
        ("preview://", PreviewTransport, {}),
        (
            "preview:///srv/tickets",
            PreviewTransport,
            {"folder": __import__("pathlib").Path("/srv/tickets")},
        ),
        (
            "tcp://192.168.1.50:9100",
            NetworkTransport,
            {"host": "192.168.1.50", "port": 9100, "check_status": True},
        ),
        ("tcp://printer.local?status=0", NetworkTransport, {"port": 9100, "check_status": False}),
        ("usb://0416:5011", UsbTransport, {"vendor": 0x0416, "product": 0x5011, "blocking": True}),
        (
            "serial:///dev/ttyUSB0?baudrate=19200",
            SerialTransport,
            {"device_file": "/dev/ttyUSB0", "baudrate": 19200},
        ),
        (
            "file:///dev/usb/lp0",
            FileTransport,
            {"device_file": "/dev/usb/lp0", "check_status": False},
        ),
        ("cups://TM-T20", CupsTransport, {"queue": "TM-T20"}),
    ],
)
def test_printer_url_picks_the_transport(url, kind, attrs):
    transport = open_transport(url)
    assert type(transport) is kind
    for name, value in attrs.items():
        assert getattr(transport, name) == value


@pytest.mark.parametrize(
    "url", ["lpt://1", "tcp://", "usb://nothex:12", "usb://0416", "serial://", "cups://", "file://"]
)
def test_bad_printer_url_is_refused_with_a_sentence(url):
    with pytest.raises(ValueError, match=r"\w+ \w+"):
        open_transport(url)


def test_paper_width_must_be_58_or_80():
    with pytest.raises(ValueError):
        open_transport("preview://", paper="76")


def test_network_printer_receives_the_ticket_after_answering_the_paper_query(quick):
    printer = FakePrinter()
    try:
        data = ticket_bytes(TICKET, "80")
        open_transport(printer.url).send(data, "t1")
        (received,) = printer.wait_for_jobs(1)
        assert received == data  # the status query was answered and is not part of the job
        assert "A-007" in decode(received).texts
    finally:
        printer.stop()


def test_refused_connection_is_a_printer_error(quick):
    printer = FakePrinter()
    printer.stop()
    with pytest.raises(PrinterError, match="cannot reach"):
        open_transport(printer.url).send(b"\x1b@", "t")


def test_printer_that_never_answers_times_out_without_taking_the_ticket(quick):
    printer = FakePrinter("hung")
    try:
        started = time.monotonic()
        with pytest.raises(PrinterTimeout):
            open_transport(printer.url).send(ticket_bytes(TICKET, "80"), "t")
        assert time.monotonic() - started < 2
    finally:
        printer.stop()


def test_paper_out_is_reported_and_nothing_is_sent(quick):
    printer = FakePrinter("paper_out")
    try:
        with pytest.raises(PaperOut):
            open_transport(printer.url).send(ticket_bytes(TICKET, "80"), "t")
        printer.wait_until_closed(1)
        assert printer.jobs == []
    finally:
        printer.stop()


def test_file_printer_receives_exactly_the_tickets_bytes(tmp_path):
    """file:// writes to a device file (a USB printer seen as /dev/usb/lp0): here a FIFO read
    on the other side, as the kernel's printer driver would, and a missing device is a
    printer error with a sentence."""
    device = tmp_path / "lp0"
    os.mkfifo(device)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(device.read_bytes()))
    reader.start()
    data = ticket_bytes(TICKET, "80")
    open_transport(f"file://{device}").send(data, "A-007")
    reader.join(10)
    assert got == [data]
    assert decode(got[0]).qr_codes[0].data == TICKET.url
    with pytest.raises(PrinterError, match="cannot reach the printer"):
        open_transport(f"file://{tmp_path / 'no-such-device'}").send(data, "A-008")


def test_preview_keeps_the_bytes_and_draws_text_and_png_when_asked(tmp_path):
    # More in test_preview.py: printing draws no picture, opening draws it once.
    transport = open_transport(f"preview://{tmp_path}", paper="58")
    transport.send(ticket_bytes(TICKET, "58"), "A-007")
    text = transport.text("A-007")
    assert "A - 0 0 7" in text and "(cut)" in text
    assert not (tmp_path / "A-007.png").exists()
    assert transport.picture("A-007").stat().st_size > 1000


def test_a_printer_that_drops_the_connection_mid_ticket_does_not_confirm_it(quick):
    printer = FakePrinter("drop")
    try:
        with pytest.raises(PrinterError, match="did not confirm"):
            open_transport(printer.url).send(ticket_bytes(TICKET, "80"), "t")
    finally:
        printer.stop()


def test_paper_running_out_during_the_ticket_is_reported(quick):
    printer = FakePrinter("runs_out")
    try:
        with pytest.raises(PaperOut, match="during the ticket"):
            open_transport(printer.url).send(ticket_bytes(TICKET, "80"), "t")
    finally:
        printer.stop()
