"""Where tickets go, chosen by ``PRINTER_URL``, each mapped onto a python-escpos printer class.

    preview://[/folder]                  bytes, text (PNG when opened) in instance/tickets
    tcp://HOST[:9100][?status=0]         escpos.printer.Network
    usb://VENDOR:PRODUCT[?status=0]      escpos.printer.Usb (hex ids, e.g. usb://0416:5011)
    serial:///dev/ttyUSB0?baudrate=9600  escpos.printer.Serial
    file:///dev/usb/lp0                  escpos.printer.File
    cups://QUEUE                         escpos.printer.CupsPrinter (needs pycups) or `lp -o raw`

Where the connection can answer (network, USB, serial) the printer is asked for its paper
status before a ticket is sent: a printer that does not answer within the timeout, or that is
out of paper, fails the attempt without swallowing the ticket, and the spooler tries again.
``?status=0`` turns the question off for printers that never answer it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from escpos.constants import RT_STATUS_PAPER

from .layout import PAPER_PROFILES

CONNECT_TIMEOUT = 3.0
IO_TIMEOUT = 5.0


class PrinterError(Exception):
    """A ticket could not be printed now (the spooler retries later)."""


class PrinterTimeout(PrinterError):
    """The printer accepted the connection but did not answer in time."""


class PaperOut(PrinterError):
    """The printer reports no paper."""


@dataclass
class Transport:
    """Sends finished ESC/POS bytes to one printer."""

    url: str
    paper: str = "80"
    check_status: bool = True
    # True when sending blocks in C code (USB, serial, files): run it off the event loop.
    blocking: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def profile(self) -> str:
        return PAPER_PROFILES[self.paper]

    def send(self, data: bytes, name: str) -> None:
        """Print ``data`` (``name`` identifies the job). Raises PrinterError."""
        device = self._device()
        try:
            try:
                device.open()
            except Exception as err:  # every driver raises its own kinds
                raise PrinterError(f"cannot reach the printer: {err}") from err
            if self.check_status:
                self._check_paper(device)
            try:
                device._raw(data)
            except Exception as err:
                raise PrinterError(f"sending failed: {err}") from err
            if self.check_status:
                # Asked again after the ticket: a printer that dropped the connection half-way
                # (the bytes went no further than our socket buffer) or ran out of paper during
                # the ticket does not confirm it, and the job is printed again.
                try:
                    self._check_paper(device)
                except PaperOut:
                    raise PaperOut("the printer ran out of paper during the ticket") from None
                except PrinterError as err:
                    raise PrinterError(f"the printer did not confirm the ticket: {err}") from None
        finally:
            try:
                device.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail too
                pass

    def _check_paper(self, device: Any) -> None:
        try:
            device._raw(RT_STATUS_PAPER)
            status = device._read()
        except TimeoutError as err:
            raise PrinterTimeout("the printer did not answer") from err
        except Exception as err:
            raise PrinterError(f"the printer did not answer: {err}") from err
        if not status:
            raise PrinterTimeout("the printer did not answer")
        if status[0] & 0x60 == 0x60:
            raise PaperOut("the printer is out of paper")

    def _device(self) -> Any:
        raise NotImplementedError


@dataclass
class NetworkTransport(Transport):
    host: str = ""
    port: int = 9100
    blocking: bool = False  # plain sockets: green under eventlet

    def _device(self) -> Any:
        from escpos.printer import Network

        device = Network(self.host, self.port, timeout=CONNECT_TIMEOUT, profile=self.profile)

        def open_with_timeouts(raise_not_found: bool = True) -> None:
            # create_connection closes its socket when connecting fails (no leaked descriptor).
            sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT)
            sock.settimeout(IO_TIMEOUT)
            # Each write is a whole message (the paper query, the ticket): sent at once, not
            # held back by Nagle until the printer acknowledges the one before (40 ms a query).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            device.device = sock

        device.open = open_with_timeouts
        return device


@dataclass
class UsbTransport(Transport):
    vendor: int = 0
    product: int = 0

    def _device(self) -> Any:
        from escpos.printer import Usb

        return Usb(self.vendor, self.product, timeout=int(IO_TIMEOUT * 1000), profile=self.profile)


@dataclass
class SerialTransport(Transport):
    device_file: str = ""
    baudrate: int = 9600

    def _device(self) -> Any:
        from escpos.printer import Serial

        return Serial(
            self.device_file, baudrate=self.baudrate, timeout=IO_TIMEOUT, profile=self.profile
        )


@dataclass
class FileTransport(Transport):
    device_file: str = ""
    check_status: bool = False

    def _device(self) -> Any:
        from escpos.printer import File

        # The device file exists only while the printer is plugged in and on; opening a missing
        # one would create a plain file and "print" the ticket into it.
        if not os.path.exists(self.device_file):
            raise PrinterError(
                f"cannot reach the printer: {self.device_file} is not there (plugged in, on?)"
            )
        return File(self.device_file, profile=self.profile)


@dataclass
class CupsTransport(Transport):
    """A CUPS queue: python-escpos' CupsPrinter when pycups is installed, else ``lp -o raw``."""

    queue: str = ""
    check_status: bool = False

    def send(self, data: bytes, name: str) -> None:
        try:
            from escpos.printer import CupsPrinter

            if CupsPrinter.is_usable():
                super().send(data, name)
                return
        except ImportError:
            pass
        if shutil.which("lp") is None:
            raise PrinterError("CUPS printing needs pycups or the lp command")
        result = subprocess.run(
            ["lp", "-d", self.queue, "-o", "raw", "-t", name],
            input=data,
            capture_output=True,
            timeout=IO_TIMEOUT,
        )
        if result.returncode != 0:
            raise PrinterError(f"lp failed: {result.stderr.decode(errors='replace').strip()}")

    def _device(self) -> Any:
        from escpos.printer import CupsPrinter

        return CupsPrinter(self.queue, profile=self.profile)


@dataclass
class PreviewTransport(Transport):
    """No printer: keeps what would print as ``<name>.bin`` (the bytes); its text (``text``) and
    ``<name>.png`` (``picture``) are drawn from them when someone asks."""

    folder: Path = Path("instance/tickets")
    check_status: bool = False
    # Keeping the bytes costs a fraction of a millisecond: no need to leave the event loop.
    blocking: bool = False

    @property
    def dots(self) -> int:
        return 576 if self.paper == "80" else 384

    @property
    def columns(self) -> int:
        return 48 if self.paper == "80" else 32

    def send(self, data: bytes, name: str) -> None:
        from .preview import keep_preview

        try:
            keep_preview(data, self.folder, name)
        except OSError as err:
            raise PrinterError(f"cannot write the preview: {err}") from err

    def picture(self, name: str) -> Path:
        """The PNG of ticket ``name``: drawn from its bytes when first opened, then the same
        file. Raises FileNotFoundError (no such ticket), ValueError (not a plain name), OSError."""
        from .preview import preview_png

        return preview_png(self.folder, name, self.dots)

    def text(self, name: str) -> str:
        """Ticket ``name`` as plain text, the paper's columns wide. Raises FileNotFoundError (no
        such ticket) or ValueError (not a plain name)."""
        from .preview import preview_text

        return preview_text(self.folder, name, self.columns)

    def names(self) -> list[str]:
        """The tickets printed here, oldest first."""
        from .preview import preview_names

        return preview_names(self.folder)


def _flag(query: dict[str, list[str]], name: str, default: bool) -> bool:
    values = query.get(name)
    if not values:
        return default
    return values[-1].lower() not in ("0", "false", "no", "off")


def open_transport(url: str, paper: str = "80", default_folder: Path | None = None) -> Transport:
    """The Transport for ``url`` (see the module docstring). Raises ValueError when malformed."""
    if str(paper) not in PAPER_PROFILES:
        raise ValueError(f"paper must be 58 or 80 (mm), not {paper!r}")
    paper = str(paper)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    status = _flag(query, "status", True)
    scheme = parts.scheme.lower()
    if scheme == "preview":
        folder = unquote(parts.path) if parts.path not in ("", "/") else None
        target = Path(folder) if folder else (default_folder or Path("instance/tickets"))
        return PreviewTransport(url, paper, folder=target)
    if scheme == "tcp":
        if not parts.hostname:
            raise ValueError("tcp:// needs a host, e.g. tcp://192.168.1.50:9100")
        return NetworkTransport(url, paper, status, host=parts.hostname, port=parts.port or 9100)
    if scheme == "usb":
        ids = (parts.netloc or parts.path.strip("/")).split(":")
        try:
            vendor, product = (int(x, 16) for x in ids)
        except ValueError:
            raise ValueError("usb:// needs VENDOR:PRODUCT in hex, e.g. usb://0416:5011") from None
        return UsbTransport(url, paper, status, vendor=vendor, product=product)
    if scheme == "serial":
        if not parts.path:
            raise ValueError("serial:// needs a device, e.g. serial:///dev/ttyUSB0?baudrate=9600")
        try:
            baudrate = int(query.get("baudrate", ["9600"])[-1])
        except ValueError:
            raise ValueError("baudrate must be a number") from None
        return SerialTransport(
            url, paper, status, device_file=unquote(parts.path), baudrate=baudrate
        )
    if scheme == "file":
        if not parts.path:
            raise ValueError("file:// needs a path, e.g. file:///dev/usb/lp0")
        return FileTransport(url, paper, device_file=unquote(parts.path))
    if scheme == "cups":
        queue = parts.netloc or parts.path.strip("/")
        if not queue:
            raise ValueError("cups:// needs a queue name, e.g. cups://TM-T20")
        return CupsTransport(url, paper, queue=queue)
    raise ValueError(
        f"unknown printer address {url!r}; use preview://, tcp://, usb://, "
        "serial://, file:// or cups://"
    )
