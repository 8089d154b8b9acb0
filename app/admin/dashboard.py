"""The live dashboard of an office."""

from __future__ import annotations

from flask import redirect, render_template, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import domain
from ..auth import staff_page
from ..domain.reports import report
from ..extensions import db
from ..print_jobs import printer_states
from ..public_url import public_address_warning
from .blueprint import bp, office_in_scope, offices_in_scope

LAST_OFFICE = "admin_office"  # the session remembers the office an administrator looked at


@bp.get("/")
@staff_page("admin")
def index() -> Response:
    offices = offices_in_scope()
    if not offices:
        return redirect(url_for("admin.new_office"))
    # The office this administrator worked in last, else the first one set up (the main office;
    # district offices come after it), not whichever sorts first by name.
    last = session.get(LAST_OFFICE)
    chosen = next((o for o in offices if o.slug == last), None) or min(offices, key=lambda o: o.id)
    return redirect(url_for("admin.dashboard", office=chosen.slug))


@bp.get("/<office>/")
@staff_page("admin")
def dashboard(office: str) -> str:
    found = office_in_scope(office)
    session[LAST_OFFICE] = found.slug
    now = domain.utcnow()
    today = domain.local_day(now, found.timezone)
    config = {
        "office": found.slug,
        "snapshot": domain.staff_view(db.session, found, now),
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
    loopback = public_address_warning() is not None
    return render_template(
        "admin/dashboard.html",
        office=found,
        config=config,
        loopback=loopback,
    )
