"""The resident's side of a ticket: its QR code (and, with the status page, where it stands)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from flask import Blueprint
from werkzeug.wrappers import Response

from .. import queue
from ..api.serialize import track_url
from ..extensions import db

bp = Blueprint("track", __name__)


@bp.get("/t/<token>/qr.svg")
def qr(token: str) -> Response:
    """The QR code of the ticket's status page, as SVG (the kiosk shows it on screen)."""
    ticket = queue.ticket_by_token(db.session, token)
    image = qrcode.make(
        track_url(ticket.token), image_factory=qrcode.image.svg.SvgPathImage, border=2, box_size=10
    )
    out = io.BytesIO()
    image.save(out)
    response = Response(out.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
