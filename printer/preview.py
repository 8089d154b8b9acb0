"""What a ticket would look like on paper: ESC/POS bytes rendered to a PNG and a text file.

The preview decodes the very bytes a printer would get, so it shows the real layout: text at
its size and alignment, the QR code (native or raster), and the cut.
"""

from __future__ import annotations

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


def write_preview(data: bytes, folder: Path, name: str, width: int, columns: int) -> Path:
    """Write ``name``.png and ``name``.txt for the ESC/POS ``data``; return the PNG's path."""
    folder.mkdir(parents=True, exist_ok=True)
    decoded = decode(data)
    png = folder / f"{name}.png"
    render_png(decoded, width).save(png, compress_level=6)
    (folder / f"{name}.txt").write_text(render_text(decoded, columns), encoding="utf-8")
    return png
