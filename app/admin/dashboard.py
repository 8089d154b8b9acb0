"""The live dashboard of an office."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import queue
from ..auth import staff_page
from ..extensions import db
from ..printing import printer_states
from ..queue.reports import report
from . import bp, office_in_scope, offices_in_scope


@bp.get("/")
@staff_page("admin")
def index() -> Response:
    offices = offices_in_scope()
    if not offices:
        return redirect(url_for("admin.new_office"))
    return redirect(url_for("admin.dashboard", office=offices[0].slug))


@bp.get("/<office>/")
@staff_page("admin")
def dashboard(office: str) -> str:
    found = office_in_scope(office)
    now = queue.utcnow()
    today = queue.local_day(now, found.timezone)
    config = {
        "office": found.slug,
        "snapshot": queue.staff_view(db.session, found, now),
        "today": report(db.session, found, today, today),
        "printers": printer_states(db.session, found.id),
        "strings": {
            "waiting": gettext("waiting"),
            "longest": gettext("longest wait %(m)s min"),
            "open": gettext("Open"),
            "paused": gettext("Paused"),
            "idle": gettext("free"),
            "online": gettext("online"),
            "offline": gettext("offline"),
            "unused": gettext("no ticket printed yet"),
            "queue": gettext("%(n)s in the print queue"),
            "stage": {
                "ready_to_print": gettext("ready to print"),
                "printed": gettext("printed, waiting for pickup"),
                "blocked": gettext("blocked"),
            },
        },
    }
    return render_template(
        "admin/dashboard.html", office=found, offices=offices_in_scope(), config=config
    )
