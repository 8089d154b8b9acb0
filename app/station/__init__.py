"""The card stations: ``/station/print`` (cards waiting to print) and ``/station/handover``
(find a ticket by code or scanned QR, hand the card over). Clerks and administrators."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import domain
from ..auth import staff_page
from ..domain.states import BLOCK_REASONS
from ..errors import render_message
from ..extensions import db
from ..i18n import BLOCK_REASON_LABELS, STAGE_LABELS
from ..models import Office
from ..print_jobs.tickets import issue_group_with_paper

bp = Blueprint("station", __name__, url_prefix="/station", template_folder="templates")


def _office() -> Office:
    """The clerk's office (an administrator of every office: ``?office=`` or the first one)."""
    offices = domain.offices_of(db.session, g.actor)
    # The page's office picker (only for an administrator of more than one office).
    g.station_offices = offices if g.actor.office_id is None and len(offices) > 1 else []
    asked = request.values.get("office") if g.actor.office_id is None else None
    if asked:
        offices = [o for o in offices if o.slug == asked]
    if not offices:
        abort(404)
    return offices[0]


def _config(office: Office) -> dict:
    return {
        "office": office.slug,
        "snapshot": domain.staff_view(db.session, office, domain.utcnow()),
        "reasons": {r: str(BLOCK_REASON_LABELS[r]) for r in BLOCK_REASONS},
        "reason_order": list(BLOCK_REASONS),  # the JSON sorts the keys of "reasons"
        "stages": {k: str(v) for k, v in STAGE_LABELS.items()},
        "strings": {
            "printed": gettext("Printed"),
            "blocked": gettext("Blocked"),
            "back": gettext("Ready to print again"),
            "handed_over": gettext("Handed over"),
            "confirm_block": gettext("Block"),
            "cancel": gettext("Cancel"),
            "note": gettext("Note (staff only)"),
            "since": gettext("%(m)s min ago"),
            "done_printed": gettext("%(code)s marked printed; the TV calls the resident."),
            "done_blocked": gettext("%(code)s blocked."),
            "done_handed": gettext("%(code)s handed over."),
            "none_ready": gettext("No card is waiting to be printed."),
            "none_printed": gettext("No printed card is waiting for its owner."),
            "none_blocked": gettext("No card is blocked."),
            "not_found": gettext("No ticket matches this code or scan."),
            "no_card": gettext("This service makes no card: there is nothing to hand over."),
            "not_recorded": gettext(
                "The recording of this ticket is not finished yet: its card is not in production."
            ),
            "done_ready_again": gettext("%(code)s is back on the list of cards to print."),
            "earlier": gettext("from %(day)s"),
            "stock": gettext("Blank cards left"),
            "stock_empty": gettext(
                "No blank cards left: give a temporary certificate (suket) or "
                "activate the digital ID (IKD), and block the cards with "
                '"no blank cards".'
            ),
            "offline": gettext("Connection lost — reconnecting…"),
            "reprint": gettext("Print the queue ticket again"),
            "reprinted": gettext("The ticket %(code)s is printing again."),
        },
    }


@bp.get("/print")
@staff_page("clerk", "admin")
def print_list() -> str:
    office = _office()
    return render_template("station/print.html", office=office, config=_config(office))


@bp.get("/handover")
@staff_page("clerk", "admin")
def handover() -> str:
    office = _office()
    return render_template("station/handover.html", office=office, config=_config(office))


@bp.route("/group", methods=["GET", "POST"])
@staff_page("clerk", "operator", "admin")
def group() -> Response | tuple[str, int]:
    """A block of consecutive tickets for a group (a school visit), printed one after another."""
    office = _office()
    error, status = None, 200
    form = {"service": request.form.get("service", ""), "count": request.form.get("count", "")}
    if request.method == "POST":
        try:
            count = int(form["count"])
        except ValueError:
            count = 0
        try:
            tickets = issue_group_with_paper(
                db.session,
                office.slug,
                form["service"],
                count,
                now=domain.utcnow(),
                actor=g.actor,
                target=g.print_target,
            )
            db.session.commit()
        except domain.QueueError as exc:
            db.session.rollback()
            error, status = render_message(exc.template, exc.params), exc.status
        else:
            flash(
                gettext(
                    "%(count)s tickets issued: %(first)s to %(last)s. They print one after another "
                    "and are called in this order.",
                    count=len(tickets),
                    first=tickets[0].code,
                    last=tickets[-1].code,
                ),
                "ok",
            )
            return redirect(url_for("station.group", office=office.slug))
    services = [s for s in office.services if s.active]
    return render_template(
        "station/group.html",
        office=office,
        services=services,
        form=form,
        error=error,
        most=domain.MAX_GROUP,
    ), status


@bp.get("/bookings")
@staff_page("clerk", "operator", "admin")
def bookings() -> str:
    """The bookings of one day for the counters: slot, code, service, places and status only
    (a booking carries nothing personal). Printable (A4, the page's print style)."""
    office = _office()
    now = domain.utcnow()
    today = domain.local_day(now, office.timezone)
    try:
        day = date.fromisoformat(request.args.get("day", "")) if request.args.get("day") else today
    except ValueError:
        day = today
    rows = []
    for booking in domain.booking.day_list(db.session, office, day):
        rows.append(
            {
                "time": domain.clock.local(booking.start, office.timezone).strftime("%H:%M"),
                "code": booking.code,
                "service": booking.service.code,
                "service_name": booking.service.name,
                "places": booking.places,
                "status": domain.booking.status_at(db.session, booking, now),
            }
        )
    return render_template(
        "station/bookings.html",
        office=office,
        day=day,
        rows=rows,
        previous=day - timedelta(days=1),
        next=day + timedelta(days=1),
        labels={
            "booked": gettext("booked"),
            "checked_in": gettext("checked in"),
            "cancelled": gettext("cancelled"),
            "missed": gettext("missed"),
        },
    )
