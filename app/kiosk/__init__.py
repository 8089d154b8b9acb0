"""The arrival kiosk: ``/kiosk/{office}``, one tap for one paper ticket.

A kiosk device signs in once as a ``kiosk`` user and stays signed in ("remember me"); staff of
the office may open it too. The page issues tickets through the JSON API with the browser
session and its CSRF token, and an idempotency key per tap.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, render_template, url_for
from flask_babel import gettext
from flask_login import login_required

from .. import domain
from ..api.serialize import services_json
from ..auth import require_actor
from ..domain.errors import Closed
from ..extensions import db
from ..i18n import format_moment, in_english, local_name
from ..models import SERVER_PRINTER, Office, PrinterState
from ..print_jobs import server_state_key
from ..qr import svg_response
from ..wifi import office_payload

bp = Blueprint(
    "kiosk",
    __name__,
    url_prefix="/kiosk",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

SHOW_TICKET_SECONDS = 8
# A kiosk left in English goes back to Indonesian after this long without a touch.
LANGUAGE_IDLE_SECONDS = 60
NOTICES_SECONDS = 15  # how often the page asks whether its printer or the blank cards changed


@bp.get("/<office>")
@login_required
def page(slug: str) -> str:
    office = _kiosk_office(slug)
    now = domain.utcnow()
    refusals = domain.open_services(db.session, office, now)
    services = services_json(db.session, office, now, refusals)
    english = in_english()
    for service in services:
        service["label"] = local_name(service["name"], service["name_en"])
        service["closed_tag"] = (
            None
            if service["open"]
            else gettext("Today's quota is used up")
            if service["closed_code"] == "quota_reached"
            else gettext("Closed")
        )
    closed = closed_banner(office, [refusals[s.id] for s in office.services if s.active])
    config = {
        "office": office.slug,
        "lang": "en" if english else "id",
        "idle_seconds": LANGUAGE_IDLE_SECONDS,
        "notices_seconds": NOTICES_SECONDS,
        # The QR reader loads only when the camera is asked for (250 KB the taps must not wait on).
        "qr_reader": url_for("main.vendor", name="jsQR.js"),
        "seconds": SHOW_TICKET_SECONDS,
        "utc_offset_min": int(
            domain.clock.local(now, office.timezone).utcoffset().total_seconds() // 60
        ),
        "strings": {
            "waiting": gettext("waiting"),
            "ahead": gettext("%(n)s people ahead of you"),
            "ahead_one": gettext("One person ahead of you"),
            "ahead_none": gettext("You are next"),
            "wait": gettext("about %(m)s minutes"),
            "wait_minute": gettext("about 1 minute"),  # an estimate of exactly one minute
            "printing": gettext("Printing your ticket…"),
            "printed": gettext("Please take your paper ticket."),
            "not_printed": gettext(
                "The paper ticket did not print. Take a photo of this code "
                "or remember your number, and tell the staff."
            ),
            "error": gettext("Something went wrong; please try again or ask the staff."),
            "offline": gettext("No connection to the server; please ask the staff."),
            "no_camera": gettext(
                "The camera cannot be used here. Show the QR code to the scanner, or type the code."
            ),
            "camera_hint": gettext("Hold the QR code of your booking in front of the camera."),
        },
    }
    return render_template(
        "kiosk/kiosk.html",
        takes_bookings=bool(domain.booking.bookable_services(db.session, office)),
        code_keys=sorted(domain.booking.CODE_ALPHABET, key=lambda c: (c.isdigit(), c)),
        office=office,
        services=services,
        config=config,
        closed=closed,
        notices=kiosk_notices(office),
        # The guest Wi-Fi's name: its QR code (/kiosk/<office>/wifi.svg) joins the ticket's.
        wifi_name=office.wifi_ssid if office_payload(office) else "",
    )


@bp.get("/<office>/wifi.svg")
@login_required
def wifi_qr(slug: str) -> Response:
    """The QR code that joins the office's guest Wi-Fi, shown beside a new ticket's status QR.
    It carries the password, so only the office's kiosks and staff get it, and nothing keeps
    a copy; 404 while the office has no Wi-Fi set."""
    office = _kiosk_office(slug)
    payload = office_payload(office)
    if not payload:
        abort(404)
    return svg_response(payload, "private, no-store")


@bp.get("/<office>/notices")
@login_required
def notices(slug: str) -> Response:
    """What the kiosk must say before anyone taps (polled by the page): its printer is in
    trouble, or the blank ID cards have run out."""
    office = _kiosk_office(slug)
    return jsonify(kiosk_notices(office))


def _kiosk_office(slug: str) -> Office:
    """The office of this kiosk page: for whoever may issue tickets there (a kiosk, an operator
    or an administrator of the office)."""
    return domain.office_for(db.session, require_actor(), slug, "issue")


def kiosk_notices(office: Office) -> dict[str, Any]:
    """``printer_down``: the printer this device's tickets go to failed at its last attempt (an
    agent's: its agent is not connected). ``no_blank_cards``: the office counts its blank cards
    and has none, so a card service's card cannot be printed today."""
    target = g.get("print_target") or SERVER_PRINTER
    state = db.session.get(
        PrinterState, server_state_key(office.id) if target == SERVER_PRINTER else target
    )
    printer_down = state is not None and not state.online
    return {
        "printer_down": printer_down,
        "no_blank_cards": office.card_stock is not None and office.card_stock <= 0,
    }


def closed_banner(office: Office, refusals: list[Closed | None]) -> str | None:
    """One sentence for a kiosk none of whose services issues now (None while any does): why,
    and when numbers are issued again, instead of the same sentence on every button."""
    if not refusals or any(r is None for r in refusals):
        return None
    found = [r for r in refusals if r is not None]
    openings = [r.params["next_open"] for r in found if r.params.get("next_open") is not None]
    notes = {r.params.get("note") for r in found if r.code == "office_closed"}
    parts = []
    if len(notes) == 1 and None not in notes:
        note = notes.pop()
        parts.append(
            gettext("The office is closed today (%(note)s).", note=note)
            if note and note != "-"
            else gettext("The office is closed today.")
        )
    if openings:
        when = format_moment(min(openings), office.timezone)
        parts.append(gettext("Queue numbers are issued again %(when)s.", when=when))
    else:
        parts.append(gettext("No opening is scheduled soon; please ask the staff."))
    return " ".join(parts)
