"""Reading ESC/POS bytes back: the subset the ticket layout uses, decoded into plain elements.

The preview renders these elements to a PNG and a text file, and the tests check printed tickets
through them. Bytes outside the subset raise ``UnknownCommand`` rather than being skipped, so a
layout change that emits something new is noticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class UnknownCommand(ValueError):
    """The bytes contain a command this decoder does not know."""


@dataclass
class Style:
    align: str = "left"
    bold: bool = False
    invert: bool = False
    width: int = 1  # character magnification
    height: int = 1


@dataclass
class Text:
    text: str
    style: Style


@dataclass
class QR:
    data: str
    size: int
    native: bool = True


@dataclass
class Raster:
    width: int  # dots
    height: int
    rows: list[bytes] = field(repr=False)


@dataclass
class Cut:
    partial: bool


@dataclass
class Feed:
    lines: int


Element = Text | QR | Raster | Cut | Feed


@dataclass
class Decoded:
    initialised: bool = False
    elements: list[Element] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [e.text for e in self.elements if isinstance(e, Text)]

    @property
    def qr_codes(self) -> list[QR]:
        return [e for e in self.elements if isinstance(e, QR)]

    @property
    def rasters(self) -> list[Raster]:
        return [e for e in self.elements if isinstance(e, Raster)]


_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


def decode(data: bytes) -> Decoded:
    """Decode ``data``. Raises UnknownCommand on anything outside the subset."""
    out = Decoded()
    style = Style()
    pending = bytearray()
    qr_data, qr_size = "", 3
    i = 0

    def flush_text() -> None:
        if pending:
            out.elements.append(Text(pending.decode("cp437"), Style(**vars(style))))
            pending.clear()

    while i < len(data):
        byte = data[i]
        if byte == 0x0A:  # LF ends a line of text; on its own it is an empty line
            if pending:
                flush_text()
            else:
                out.elements.append(Feed(1))
            i += 1
            continue
        if byte >= 0x20:
            pending.append(byte)
            i += 1
            continue
        flush_text()
        two = data[i : i + 2]
        if two == b"\x1b@":
            out.initialised, style, i = True, Style(), i + 2
        elif two == b"\x1b!":
            mode = data[i + 2]
            style.bold = bool(mode & 0x08)
            style.height = 2 if mode & 0x10 else 1
            style.width = 2 if mode & 0x20 else 1
            i += 3
        elif two == b"\x1bE":
            style.bold, i = bool(data[i + 2] & 1), i + 3
        elif two == b"\x1ba":
            style.align, i = _ALIGN.get(data[i + 2], "left"), i + 3
        elif two in (b"\x1bt", b"\x1bM", b"\x1b-", b"\x1b3"):
            i += 3  # code page, font, underline, line spacing: no effect on the content
        elif two == b"\x1b2":
            i += 2
        elif two == b"\x1bd":
            out.elements.append(Feed(data[i + 2]))
            i += 3
        elif two == b"\x1d!":
            size = data[i + 2]
            style.width, style.height, i = (size >> 4) + 1, (size & 0x0F) + 1, i + 3
        elif two == b"\x1dB":
            style.invert, i = bool(data[i + 2] & 1), i + 3
        elif two == b"\x1dV":
            mode = data[i + 2]
            out.elements.append(Cut(partial=mode in (1, 49, 66)))
            i += 4 if mode in (65, 66) else 3
        elif two == b"\x1d(" and data[i + 2 : i + 3] == b"k":
            length = data[i + 3] | data[i + 4] << 8
            body = data[i + 5 : i + 5 + length]
            if body[:2] == b"1P":
                qr_data = body[3:].decode("utf-8")
            elif body[:2] == b"1C":
                qr_size = body[2]
            elif body[:2] == b"1Q":
                out.elements.append(QR(qr_data, qr_size, native=True))
            i += 5 + length
        elif two == b"\x1dv" and data[i + 2] == 0x30:
            width_bytes = data[i + 4] | data[i + 5] << 8
            height = data[i + 6] | data[i + 7] << 8
            start = i + 8
            rows = [
                data[start + r * width_bytes : start + (r + 1) * width_bytes] for r in range(height)
            ]
            out.elements.append(Raster(width_bytes * 8, height, rows))
            i = start + width_bytes * height
        else:
            raise UnknownCommand(f"unknown ESC/POS bytes at {i}: {data[i : i + 8]!r}")
    flush_text()
    return out
