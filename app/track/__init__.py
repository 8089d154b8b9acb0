"""The resident's side of a ticket: the public status page ``/t/{token}`` and its QR code.

The page shows only the code, the service, the place in the queue, the estimated wait, the
counter and the card's stage, in plain words; it follows the ticket's Socket.IO room, and when
the number is called it says where to go, vibrates and plays the chime."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for
from flask_babel import get_locale, gettext
from werkzeug.wrappers import Response

from .. import domain
from ..domain import survey
from ..extensions import db
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
        "ahead": gettext("%(n)s people ahead of you, about %(m)s minutes."),
        "ahead_no_estimate": gettext("%(n)s people ahead of you."),
        "ahead_one": gettext("One person ahead of you, about %(m)s minutes."),
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
            return words[f"ahead{one}"] % {"n": track["ahead"], "m": minutes}
        return words[f"ahead{one}_no_estimate"] % {"n": track["ahead"]}
    if status in ("called", "serving"):
        return words[status] % {"counter": counter}
    return words.get(status, "")


@bp.get("/t/<token>")
def status(token: str) -> str:
    ticket = domain.ticket_by_token(db.session, token)
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
    )
