"""The start page and locally served front-end packages."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, send_from_directory
from sqlalchemy import select
from werkzeug.wrappers import Response

from config import BASE_DIR

from ..extensions import db
from ..models import Office

bp = Blueprint("main", __name__)

# npm packages the pages use, served from node_modules (installed by `make`), never a CDN.
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "socket.io.min.js.map": "socket.io-client/dist/socket.io.min.js.map",
}


@bp.get("/")
def index() -> str:
    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    pages = {
        name: name in current_app.blueprints
        for name in ("kiosk", "display", "counter", "station", "admin")
    }
    return render_template("index.html", offices=offices, pages=pages)


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
