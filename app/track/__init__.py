"""The resident's side of a ticket: the public status page ``/t/{token}`` and its QR code.

The page shows only the code, the service, the place in the queue, the estimated wait, the
counter and the card's stage, in plain words; it follows the ticket's Socket.IO room, and when
the number is called it says where to go, vibrates and plays the chime."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from werkzeug.wrappers import Response

from .. import domain
from ..domain import notices, survey
from ..domain.errors import QueueError
from ..extensions import db
from ..i18n import render_message
from ..models import Ticket
from ..public_url import track_url
from ..qr import svg_response

bp = Blueprint("track", __name__, template_folder="templates")


@bp.get("/t/<token>/qr.svg")
def qr(token: str) -> Response:
    """The QR code of the ticket's status page, as SVG (the kiosk shows it on screen)."""
    ticket = domain.ticket_by_token(db.session, token)
    return svg_response(track_url(ticket.token))


def sentences() -> dict[str, str]:
    """The status sentences in the current language (the page fills the placeholders)."""
    return {
        "waiting": gettext("Waiting to be called."),
        # An estimate of exactly one minute has sentences of its own ("_minute"): "1 minute".
        "ahead": gettext("%(n)s people ahead of you, about %(m)s minutes."),
        "ahead_minute": gettext("%(n)s people ahead of you, about 1 minute."),
        "ahead_no_estimate": gettext("%(n)s people ahead of you."),
        "ahead_one": gettext("One person ahead of you, about %(m)s minutes."),
        "ahead_one_minute": gettext("One person ahead of you, about 1 minute."),
        "ahead_one_no_estimate": gettext("One person ahead of you."),
        "next": gettext("You are next. Please stay near the counters."),
        "called": gettext("Your number is called! Please go to %(counter)s."),
        "serving": gettext("You are being served at %(counter)s."),
        "done": gettext("Your visit is finished. Thank you."),
        "no_show": gettext(
            "You were called but not present. Please ask the staff to call you again."
        ),
        "cancelled": gettext("This queue number is no longer valid."),
        "ready_to_print": gettext(
            "Recording finished. Your KTP-el is being printed: please wait; "
            "this page and the TV tell you when it is ready."
        ),
        "printed": gettext("Your KTP-el is ready: collect it at the pickup counter."),
        "handed_over": gettext("Your KTP-el has been handed over. Thank you."),
        "blocked_not_print_ready": gettext(
            "Your record is not ready to print yet. The staff "
            "will tell you when to come back, or call you here."
        ),
        "blocked_duplicate_record": gettext(
            "Your record needs a check (a duplicate was found). "
            "Please go to the information counter."
        ),
        "blocked_no_blank_cards": gettext(
            "Blank cards have run out. Please go to the pickup "
            "counter for a temporary certificate (suket) or the "
            "digital ID (IKD)."
        ),
        "blocked_other": gettext("Printing is held up. Please ask at the pickup counter."),
        "sound": gettext("Turn on sound and vibration for my call"),
        "sound_on": gettext("Sound and vibration are on."),
        "offline": gettext("Connection lost — reconnecting…"),
    }


def sentence(track: dict[str, Any], words: dict[str, str]) -> str:
    """The status sentence of a Track (mirrors status.js, for the first render)."""
    counter = track["counter"]["name"] if track.get("counter") else ""
    stage, status = track.get("stage"), track["status"]
    if stage == "blocked":
        return words.get(f"blocked_{track.get('block_reason')}", words["blocked_other"])
    if stage in ("ready_to_print", "printed", "handed_over"):
        return words[stage]
    if status == "waiting":
        if not track.get("ahead"):
            return words["next"]
        one = "_one" if track["ahead"] == 1 else ""
        if track.get("estimated_wait_s"):
            minutes = -(-track["estimated_wait_s"] // 60)
            minute = "_minute" if minutes == 1 else ""
            return words[f"ahead{one}{minute}"] % {"n": track["ahead"], "m": minutes}
        return words[f"ahead{one}_no_estimate"] % {"n": track["ahead"]}
    if status in ("called", "serving"):
        return words[status] % {"counter": counter}
    return words.get(status, "")


def sms_offer(ticket: Ticket) -> dict[str, Any] | None:
    """What the page says about a card-ready SMS: None (nothing: the office sends none, no card,
    the card is with its owner), else the notice's state ("none": the form) and the number
    masked (never in full)."""
    if not current_app.config.get("SMS_URL") or not ticket.service.produces_card:
        return None
    if ticket.stage == "handed_over" or ticket.status == "cancelled":
        return None
    notice = notices.notice_of(db.session, ticket.id)
    state = notice.status if notice is not None and notice.status != "dropped" else "none"
    if state == "none" and ticket.stage == "printed":
        return None  # ready already: nothing to send
    return {"state": state, "phone": notices.mask(notice.phone) if notice else None}


@bp.post("/t/<token>/notify")
def notify(token: str) -> Response | tuple[str, int]:
    """The status page's form: one SMS when the card is printed (works without scripts)."""
    ticket = domain.ticket_by_token(db.session, token)
    if not current_app.config.get("SMS_URL"):
        return redirect(url_for("track.status", token=ticket.token))
    phone = (request.form.get("phone") or "")[:100]
    try:
        notices.ask_by_token(db.session, ticket.token, phone, now=domain.utcnow())
    except QueueError as refusal:
        db.session.rollback()
        message = render_message(refusal.template, refusal.params)
        return status_page(ticket, sms_error=message), refusal.status
    db.session.commit()
    return redirect(url_for("track.status", token=ticket.token, _anchor="sms"))


@bp.get("/t/<token>")
def status(token: str) -> str:
    return status_page(domain.ticket_by_token(db.session, token))


def status_page(ticket: Ticket, sms_error: str | None = None) -> str:
    track = domain.track(db.session, ticket, domain.utcnow())
    words = sentences()
    english = str(get_locale() or "id") == "en"
    config = {
        "token": ticket.token,
        "track": track,
        "lang": "en" if english else "id",
        "strings": words,
        "chime": url_for("display.static", filename="voice/chime.wav"),
    }
    service = (
        (track["service_name_en"] or track["service_name"]) if english else track["service_name"]
    )
    return render_template(
        "track/status.html",
        survey_state=survey.state(db.session, ticket, domain.utcnow()),
        track=track,
        office=ticket.office,
        service=service,
        text=sentence(track, words),
        config=config,
        sms=sms_offer(ticket),
        sms_error=sms_error,
    )
