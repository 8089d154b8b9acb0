"""QR codes as SVG responses (the status page, a booking, the waiting room's phone code)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from werkzeug.wrappers import Response


def svg_response(link: str, cache_control: str = "private, max-age=86400") -> Response:
    """An SVG image of the QR code of ``link``."""
    image = qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage, border=2, box_size=10)
    out = io.BytesIO()
    image.save(out)
    response = Response(out.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = cache_control
    return response
