"""The arrival kiosk: ``/kiosk/{office}``, one tap for one paper ticket.

A kiosk device signs in once as a ``kiosk`` user and stays signed in ("remember me"); staff of
the office may open it too. The page issues tickets through the JSON API with the browser
session and its CSRF token, and an idempotency key per tap.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import get_locale, gettext
from flask_login import login_required

from .. import queue
from ..api.serialize import services_json
from ..auth import require_actor
from ..extensions import db

bp = Blueprint(
    "kiosk",
    __name__,
    url_prefix="/kiosk",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

SHOW_TICKET_SECONDS = 8


@bp.get("/<office>")
@login_required
def page(office: str) -> str:
    actor = require_actor()
    found = queue.office_by_slug(db.session, office)
    if actor.role not in ("kiosk", "operator", "admin") or not actor.covers(found.id):
        abort(403)
    now = queue.utcnow()
    services = services_json(db.session, found, now)
    english = str(get_locale() or "id") == "en"
    for service in services:
        service["label"] = (service["name_en"] or service["name"]) if english else service["name"]
    config = {
        "office": found.slug,
        "seconds": SHOW_TICKET_SECONDS,
        "utc_offset_min": int(
            queue.clock.local(now, found.timezone).utcoffset().total_seconds() // 60
        ),
        "strings": {
            "waiting": gettext("waiting"),
            "ahead": gettext("%(n)s people ahead of you"),
            "ahead_none": gettext("You are next"),
            "wait": gettext("about %(m)s minutes"),
            "printing": gettext("Printing your ticket…"),
            "printed": gettext("Please take your paper ticket."),
            "not_printed": gettext(
                "The paper ticket did not print. Take a photo of this code "
                "or remember your number, and tell the staff."
            ),
            "error": gettext("Something went wrong; please try again or ask the staff."),
            "offline": gettext("No connection to the server; please ask the staff."),
        },
    }
    return render_template("kiosk/kiosk.html", office=found, services=services, config=config)
