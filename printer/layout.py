"""The paper ticket, laid out through the python-escpos driver API.

80 mm paper (576 dots, 48 columns) uses the ``TM-T20II`` capability profile and prints the QR code
natively; 58 mm paper (384 dots, 32 columns) uses ``POS-5890``, which has no native QR, so the QR
is sent as a raster image. Text is sent as text (fast on cheap printers), normalised to plain
ASCII so every code page prints it. Nothing personal is printed: the office, the service, the
code, the time, the place in the queue and the link to the public status page.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from escpos.constants import PAPER_PART_CUT
from escpos.escpos import Escpos
from escpos.printer import Dummy

PAPER_PROFILES = {"80": "TM-T20II", "58": "POS-5890"}
FONT_A_DOTS = 12  # width of one Font A character, in dots

_ASCII = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2026": "...",
        "\u00a0": " ",
        "\u00b7": "-",
        "\u2022": "-",
        "\u00b1": "+/-",
    }
)


@dataclass(frozen=True)
class TicketData:
    """What a ticket shows; built by the app, stored with the print job, printed anywhere."""

    office: str
    service: str
    code: str
    issued_at: str  # office-local, already formatted, e.g. "29-11-2026 15:21 WITA"
    url: str  # the resident's status page (the QR code)
    ahead: int | None = None
    wait_min: int | None = None
    footer: str = ""
    priority: bool = False
    lang: str = "id"  # the language of ``words`` (the kiosk's)
    # The fixed words, already translated by the app's catalogue (app.print_jobs.paper):
    # "number", "priority", "ahead" ({n}), "ahead_none", "wait" ({m}), "scan"; with a Wi-Fi,
    # "wifi" ({name}) and "scan_after_wifi". A word not given is a line not printed.
    words: dict[str, str] = field(default_factory=dict)
    # The office's guest Wi-Fi: the "WIFI:..." text of a second QR code printed above the
    # status QR (the password is only inside it), and the network's name for its caption.
    # Empty: no Wi-Fi code, and the ticket is exactly as without these fields.
    wifi: str = ""
    wifi_name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TicketData:
        """Rebuild from stored JSON; unknown keys (from newer servers) are ignored."""
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in data.items() if k in names})


# Control characters reach the printer as commands (GS V cuts, ESC p opens a cash drawer): each
# becomes a space, whatever the app let through.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
MAX_QR_TEXT = 300  # a longer link is not printed as a QR code (the app never makes one)


def plain(text: str) -> str:
    """``text`` as plain printable ASCII: typographic dashes and quotes become ASCII, accents
    are dropped, control characters become spaces, anything else becomes "?"."""
    text = _CONTROL.sub(" ", str(text))
    text = unicodedata.normalize("NFKD", text.translate(_ASCII))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _CONTROL.sub(" ", text.encode("ascii", "replace").decode("ascii"))


def wifi_qr_text(ticket: TicketData) -> str:
    """The Wi-Fi QR code's text of ``ticket``, or "" for none: a "WIFI:" text without control
    characters that fits a QR code (the network's name may be UTF-8; it stays so)."""
    text = ticket.wifi or ""
    if not text.startswith("WIFI:") or _CONTROL.search(text) or not ticket.wifi_name:
        return ""
    return text if len(text.encode("utf-8")) <= MAX_QR_TEXT else ""


def profile_for(paper: str) -> str:
    """The python-escpos capability profile for ``paper`` ("80" or "58"). Raises ValueError."""
    try:
        return PAPER_PROFILES[str(paper)]
    except KeyError:
        raise ValueError(f"paper must be 58 or 80 (mm), not {paper!r}") from None


def _geometry(printer: Escpos) -> tuple[int, int]:
    media = printer.profile.profile_data.get("media", {}).get("width", {})
    dots = int(media.get("pixels", 576)) if str(media.get("pixels", "")).isdigit() else 576
    fonts = printer.profile.profile_data.get("fonts", {})
    columns = int(fonts.get("0", {}).get("columns", dots // FONT_A_DOTS))
    return dots, columns


def code_magnification(code: str, dots: int) -> int:
    """The largest character size (1-8) at which ``code`` fits on one line."""
    return max(1, min(8, dots // (FONT_A_DOTS * max(1, len(code)))))


def render_ticket(printer: Escpos, ticket: TicketData) -> None:
    """Lay ``ticket`` out on ``printer`` (any python-escpos printer), ending with a cut."""
    words = ticket.words
    dots, columns = _geometry(printer)

    def line(text: str, hyphens: bool = True, **style: Any) -> None:
        printer.set(**{"align": "center", "normal_textsize": True, "bold": False, **style})
        for part in textwrap.wrap(plain(text), columns, break_on_hyphens=hyphens) or [""]:
            printer.text(part + "\n")

    printer.hw("INIT")
    line(ticket.office, bold=True)
    # Everything printed is plain ASCII (``plain``): the code page python-escpos chose for the
    # first line is kept for the rest, instead of it looking for one at every character (half
    # the layout's time). Nothing is sent: the code page is already the current one.
    if printer.magic.encoding:
        printer.charcode(printer.magic.encoding)
    line(ticket.service)
    printer.ln()
    if words.get("number"):
        line(words["number"], bold=True)
    size = code_magnification(ticket.code, dots)
    printer.set(align="center", bold=True, custom_size=True, width=size, height=size)
    printer.text(plain(ticket.code) + "\n")
    if ticket.priority and words.get("priority"):
        line(words["priority"], bold=True, invert=True)
        printer.set(invert=False)
    line(ticket.issued_at)
    ahead = words.get("ahead" if ticket.ahead else "ahead_none", "")
    if ticket.ahead is not None and ahead:
        line(ahead.replace("{n}", str(ticket.ahead)))
    if ticket.wait_min and words.get("wait"):
        line(words["wait"].replace("{m}", str(ticket.wait_min)))
    printer.ln()
    url = plain(ticket.url).replace(" ", "")
    if 0 < len(url) <= MAX_QR_TEXT:
        native = bool(printer.profile.supports("qrCode"))
        scan = words.get("scan")
        wifi = wifi_qr_text(ticket)
        if wifi:
            # First join the Wi-Fi, then scan the status link (which only opens on it).
            printer.set(align="center", normal_textsize=True)
            printer.qr(wifi, size=5 if dots >= 576 else 4, native=native, center=not native)
            if words.get("wifi"):
                # The network's name is not split at its hyphens ("Dukcapil-" / "Tamu").
                line(words["wifi"].replace("{name}", ticket.wifi_name), hyphens=False)
            printer.ln()  # apart from the status QR, so each caption stays with its code
            scan = words.get("scan_after_wifi", scan)
        printer.set(align="center", normal_textsize=True)
        printer.qr(url, size=6 if dots >= 576 else 5, native=native, center=not native)
        if scan:
            line(scan)
    if ticket.footer:
        printer.ln()
        line(ticket.footer)
    # GS V even where the profile has no cutter: printers with a tear bar ignore it, and every
    # ticket then ends the same way.
    printer.ln(4)
    printer._raw(PAPER_PART_CUT)


def ticket_bytes(ticket: TicketData, paper: str = "80", profile: str | None = None) -> bytes:
    """The ESC/POS bytes of ``ticket`` for ``paper`` (or an explicit capability profile)."""
    dummy = Dummy(profile=profile or profile_for(paper))
    render_ticket(dummy, ticket)
    return dummy.output
