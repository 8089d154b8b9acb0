"""The start page and locally served front-end packages."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from config import BASE_DIR

from .. import domain
from ..api.booking import overview_json
from ..extensions import db
from ..i18n import in_english, local_name
from ..models import Office

bp = Blueprint("main", __name__)

# npm packages the pages use, served from node_modules (installed by `make`), never a CDN.
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "socket.io.min.js.map": "socket.io-client/dist/socket.io.min.js.map",
    # Reads a booking's QR code from the kiosk's camera.
    "jsQR.js": "jsqr/dist/jsQR.js",
}


@bp.get("/")
def index() -> str:
    """The public page: every office, open now or when, people waiting and the wait per
    service, what to bring, booking; "which office now" for one service; staff links last."""
    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    pages = {
        name: name in current_app.blueprints
        for name in ("kiosk", "display", "counter", "station", "admin")
    }
    english = in_english()
    rows = overview_json(domain.utcnow())
    only = request.args.get("office", "")[:40]
    shown = [r for r in rows if r["office"] == only] or rows
    names = sorted({_label(s) for r in rows for s in r["services"]})
    wanted = request.args.get("service", "")[:120]
    ranked = []
    if wanted in names:
        for row in rows:
            for service in row["services"]:
                if _label(service) == wanted:
                    ranked.append((row, service))
        # Open offices first, shortest wait first; closed ones after, by name.
        ranked.sort(
            key=lambda pair: (
                not pair[1]["open"],
                pair[1]["estimated_wait_s"] if pair[1]["estimated_wait_s"] is not None else 0,
                pair[0]["name"],
            )
        )
    return render_template(
        "index.html",
        offices=offices,
        rows=shown,
        single=len(shown) == 1 and bool(only),
        pages=pages,
        names=names,
        wanted=wanted if wanted in names else "",
        ranked=ranked,
        label=lambda s: _label(s),
        config={
            "offices": [r["office"] for r in rows],
            "lang": "en" if english else "id",
            "about": gettext("about %(m)s min"),
            "no_wait": gettext("no wait"),
        },
    )


def _label(service: dict) -> str:
    return local_name(service["name"], service["name_en"])


@bp.get("/vendor/<path:name>")
def vendor(name: str) -> Response:
    relative = VENDOR_FILES.get(name)
    if relative is None:
        abort(404)
    root = BASE_DIR / "node_modules"
    if not (root / relative).is_file():
        abort(404)
    response = send_from_directory(root, relative, max_age=7 * 24 * 3600)
    return response
