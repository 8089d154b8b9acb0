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
def dashboard(slug: str) -> str:
    office = office_in_scope(slug)
    session[LAST_OFFICE] = office.slug
    now = domain.utcnow()
    today = domain.local_day(now, office.timezone)
    config = {
        "office": office.slug,
        "snapshot": domain.staff_view(db.session, office, now),
        "today": report(db.session, office, today, today),
        "printers": printer_states(db.session, office.id),
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
        office=office,
        config=config,
        loopback=loopback,
    )
