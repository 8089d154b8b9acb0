"""What a ticket would look like on paper: ESC/POS bytes rendered to a PNG or to text.

The preview decodes the very bytes a printer would get, so it shows the real layout: text at
its size and alignment, the QR code (native or raster), and the cut. Printing keeps only the
bytes (``keep_preview``, one small file); the text (``preview_text``) and the PNG
(``preview_png``, kept for the next time) are drawn from them when someone asks.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from .decode import QR, Cut, Decoded, Feed, Raster, Text, decode

CHAR_W, CHAR_H = 12, 24  # Font A cell in dots
MARGIN = 16
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf"
    for folder in FONT_DIRS:
        path = Path(folder) / name
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _text_image(item: Text, width: int) -> Image.Image:
    style = item.style
    cell_w, cell_h = CHAR_W * style.width, CHAR_H * style.height
    font = _font(style.bold, int(cell_h * 0.82))
    natural = Image.new("L", (max(1, int(font.getlength(item.text)) + 1), cell_h), 255)
    ImageDraw.Draw(natural).text((0, int(cell_h * 0.05)), item.text, font=font, fill=0)
    # Font A cells are 12 x 24 dots: squeeze the glyphs to the cell width of this size.
    line = natural.resize((max(1, len(item.text) * cell_w), cell_h))
    if style.invert:
        line = Image.eval(line, lambda v: 255 - v)
    row = Image.new("L", (width, cell_h), 255)
    offset = {"center": (width - line.width) // 2, "right": width - line.width}.get(style.align, 0)
    row.paste(line, (max(0, offset), 0))
    return row


def _qr_image(item: QR, width: int) -> Image.Image:
    code = qrcode.QRCode(border=1, box_size=max(1, item.size))
    code.add_data(item.data)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").convert("L")
    row = Image.new("L", (width, image.height), 255)
    row.paste(image, ((width - image.width) // 2, 0))
    return row


def _raster_image(item: Raster) -> Image.Image:
    image = Image.new("L", (item.width, item.height), 255)
    pixels = image.load()
    for y, row in enumerate(item.rows):
        for byte_index, byte in enumerate(row):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    pixels[byte_index * 8 + bit, y] = 0
    return image


def render_png(decoded: Decoded, width: int) -> Image.Image:
    """The paper as an image ``width`` dots wide (576 for 80 mm, 384 for 58 mm)."""
    parts: list[Image.Image] = []
    for item in decoded.elements:
        if isinstance(item, Text):
            parts.append(_text_image(item, width))
        elif isinstance(item, Feed):
            parts.append(Image.new("L", (width, CHAR_H * item.lines // 2 or 1), 255))
        elif isinstance(item, QR):
            parts.append(_qr_image(item, width))
        elif isinstance(item, Raster):
            parts.append(_raster_image(item).crop((0, 0, width, item.height)))
        elif isinstance(item, Cut):
            cut = Image.new("L", (width, 12), 255)
            ImageDraw.Draw(cut).line((0, 6, width, 6), fill=120, width=2)
            parts.append(cut)
    height = sum(p.height for p in parts) + 2 * MARGIN
    paper = Image.new("L", (width + 2 * MARGIN, height), 255)
    y = MARGIN
    for part in parts:
        paper.paste(part, (MARGIN, y))
        y += part.height
    return paper


_WIFI_PASSWORD = re.compile(r"(^WIFI:.*?(?<!\\)(?:\\\\)*;P:)((?:\\.|[^\\;])*)")


def _unsecret(data: str) -> str:
    """A QR code's text as the text preview shows it: a Wi-Fi code's password (only ever on
    paper inside the code) as "***"."""
    return _WIFI_PASSWORD.sub(lambda m: m[1] + "***", data, count=1)


def render_text(decoded: Decoded, columns: int) -> str:
    """The paper as plain text ``columns`` wide."""
    lines = []
    for item in decoded.elements:
        if isinstance(item, Text):
            text = item.text.upper() if item.style.width > 1 else item.text
            if item.style.width > 1:
                text = " ".join(text)
            lines.append(text.center(columns) if item.style.align == "center" else text)
        elif isinstance(item, Feed):
            lines.extend([""] * min(item.lines, 2))
        elif isinstance(item, QR):
            lines.append(f"[QR {_unsecret(item.data)}]".center(columns))
        elif isinstance(item, Raster):
            lines.append(f"[image {item.width}x{item.height}]".center(columns))
        elif isinstance(item, Cut):
            lines.append("-" * columns + "  (cut)")
    return "\n".join(lines) + "\n"


BYTES, PICTURE = ".bin", ".png"
FILE_MODE = 0o600  # like everything under instance/, also when drawn by a command-line process


def _check_name(name: str) -> None:
    if not name or name.startswith(".") or Path(name).name != name:
        raise ValueError(f"not a preview name: {name!r}")


def _write(path: Path, data: bytes) -> None:
    """``path`` holds ``data`` at once or not at all (an opener never reads half a file)."""
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(partial, path)


def keep_preview(data: bytes, folder: Path, name: str) -> Path:
    """What the preview printer does when it prints: ``name``.bin, the ESC/POS bytes, exactly what
    a printer would get. The text (``preview_text``) and the picture (``preview_png``, ~30 ms of
    CPU) are drawn from them when someone asks; a picture left from earlier bytes of the same
    name goes. Returns the bytes file's path.

    Raises OSError when the file cannot be written, UnknownCommand for bytes outside the layout's
    subset (before anything is written), ValueError for a name that is not a plain file name."""
    _check_name(name)
    decode(data)  # only bytes the preview can show are kept
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}{PICTURE}").unlink(missing_ok=True)
    raw = folder / f"{name}{BYTES}"
    _write(raw, data)
    return raw


def preview_text(folder: Path, name: str, columns: int) -> str:
    """The paper of preview ``name`` as plain text ``columns`` wide (48 for 80 mm, 32 for 58 mm),
    from its bytes. Raises FileNotFoundError when nothing of that name was printed (or only a
    picture from before bytes were kept), ValueError for a name that is not a plain file name."""
    _check_name(name)
    try:
        data = (folder / f"{name}{BYTES}").read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"no ticket {name!r} in {folder}") from None
    return render_text(decode(data), columns)


def preview_png(folder: Path, name: str, width: int) -> Path:
    """The picture of preview ``name``, ``width`` dots wide (576 for 80 mm, 384 for 58 mm): drawn
    from its bytes the first time it is opened, the same file afterwards (drawn again only when
    newer bytes of that name were printed since). A preview from before pictures were drawn on
    opening has a PNG and no bytes: that PNG is it.

    Raises FileNotFoundError when nothing of that name was printed, ValueError for a name that
    is not a plain file name, OSError when the picture cannot be written."""
    _check_name(name)
    png, raw = folder / f"{name}{PICTURE}", folder / f"{name}{BYTES}"
    try:
        printed = raw.stat().st_mtime_ns
    except FileNotFoundError:
        if png.exists():
            return png
        raise FileNotFoundError(f"no ticket {name!r} in {folder}") from None
    try:
        if png.stat().st_mtime_ns >= printed:
            return png
    except FileNotFoundError:
        pass
    picture = io.BytesIO()
    render_png(decode(raw.read_bytes()), width).save(picture, format="PNG", compress_level=6)
    _write(png, picture.getvalue())
    return png


_DIGITS = re.compile(r"(\d+)")


def _natural(name: str) -> list[tuple[int, str]]:
    """``name`` as a sort key with its numbers compared as numbers (job-9 before job-10)."""
    return [(int(part), "") if part.isdigit() else (-1, part) for part in _DIGITS.split(name)]


def preview_names(folder: Path) -> list[str]:
    """The previews in ``folder``, oldest printed first: by when their bytes were written (a
    preview from before pictures were drawn on opening: its PNG), then by name, numbers as
    numbers (the server's names end in the job's id)."""
    found: dict[str, int] = {}
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    for entry in entries:
        stem, dot, ext = entry.name.rpartition(".")
        if not dot or stem.startswith(".") or f".{ext}" not in (BYTES, PICTURE):
            continue
        if f".{ext}" == PICTURE and stem in found:
            continue
        found[stem] = entry.stat().st_mtime_ns
    return sorted(found, key=lambda stem: (found[stem], _natural(stem)))
