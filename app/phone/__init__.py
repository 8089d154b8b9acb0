"""A queue number from the phone, only for people in the waiting room.

The TV and the kiosk show a QR code of ``/p/{office}/{code}`` whose code changes every minute
(``domain.presence``). Scanning it opens a page with the office's open services; one tap gives a
number without paper, and the phone goes on to the number's status page. Nothing is asked.

Limits: one device (its session cookie) holds at most ``PER_DEVICE`` numbers a day per office
and is sent back to its number while that one still waits; one address takes at most
``PER_ADDRESS_HOUR`` numbers an hour (generous: a whole waiting room may share the office's
Wi-Fi). The kiosk stays the main way in.
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from .. import domain
from ..api.serialize import services_json
from ..auth import require_actor
from ..domain import presence
from ..domain.access import Actor
from ..domain.errors import QueueError
from ..extensions import db
from ..i18n import local_name
from ..models import Ticket, TicketEvent
from ..public_url import public_base
from ..qr import svg_response

bp = Blueprint("phone", __name__, template_folder="templates")

PER_DEVICE = 2
PER_ADDRESS_HOUR = 30
# A page opened from a fresh code may take a while to be read: its form stays good this long.
FORM_PERIODS = 5


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def code_url(office_slug: str, code: str) -> str:
    return f"{public_base()}/p/{office_slug}/{code}"


@bp.get("/p/<office>/qr.svg")
def qr(slug: str) -> Response:
    """The QR code of this minute's phone-ticket link: for the office's own screens only (a
    code anyone could fetch from home would prove nothing)."""
    office = domain.office_for(db.session, require_actor(), slug, "presence_code")
    now = domain.utcnow()
    link = code_url(office.slug, presence.current_code(_secret(), office.id, now))
    return svg_response(link, "no-store")


@bp.get("/p/<office>/code.json")
def code_json(slug: str) -> Response:
    """This minute's link and how long it stays on screen: for an office's own signage
    scripts (the office's screens and staff only, like the QR code)."""
    office = domain.office_for(db.session, require_actor(), slug, "presence_code")
    now = domain.utcnow()
    response = jsonify(
        {
            "url": code_url(office.slug, presence.current_code(_secret(), office.id, now)),
            "changes_in_s": presence.seconds_left(now),
            "valid_s": presence.PERIOD_S * presence.VALID_PERIODS,
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _services(office, now) -> list[dict]:
    rows = [s for s in services_json(db.session, office, now) if s["active"]]
    for row in rows:
        row["label"] = local_name(row["name"], row["name_en"])
    return rows


def _held(office_id: int, day: str) -> dict:
    held = session.get("phone", {})
    if held.get("day") != day or held.get("office") != office_id:
        return {"day": day, "office": office_id, "count": 0, "token": None}
    return held


@bp.get("/p/<office>/<code>")
def take_page(slug: str, code: str) -> str:
    office = domain.office_by_slug(db.session, slug)
    now = domain.utcnow()
    valid = presence.is_valid(_secret(), office.id, code[:32], now)
    day = domain.local_day(now, office.timezone).isoformat()
    held = _held(office.id, day)
    mine = _still_waiting(held.get("token"))
    return render_template(
        "phone/take.html",
        office=office,
        code=code[:32],
        valid=valid,
        services=_services(office, now) if valid else [],
        mine=mine,
        used_up=held["count"] >= PER_DEVICE,
        error=request.args.get("error"),
    )


def _still_waiting(token: str | None) -> Ticket | None:
    if not token:
        return None
    ticket = db.session.scalar(select(Ticket).where(Ticket.token == token))
    if ticket is None or ticket.status not in ("waiting", "called", "serving"):
        return None
    return ticket


@bp.post("/p/<office>/<code>")
def take(slug: str, code: str) -> Response:
    office = domain.office_by_slug(db.session, slug)
    now = domain.utcnow()
    code = code[:32]
    back = url_for("phone.take_page", office=office.slug, code=code)
    if not presence.is_valid(_secret(), office.id, code, now, periods=FORM_PERIODS):
        return redirect(f"{back}?error=expired")
    day = domain.local_day(now, office.timezone).isoformat()
    held = _held(office.id, day)
    mine = _still_waiting(held.get("token"))
    if mine is not None:
        return redirect(url_for("track.status", token=mine.token))
    if held["count"] >= PER_DEVICE:
        return redirect(f"{back}?error=device_limit")
    if _address_count(office.id, request.remote_addr, now) >= PER_ADDRESS_HOUR:
        return redirect(f"{back}?error=address_limit")
    actor = Actor(user_id=None, role="phone", office_id=office.id, remote_addr=request.remote_addr)
    try:
        ticket, _ = domain.issue_once(
            db.session,
            office.slug,
            request.form.get("service", "").strip().upper()[:8],
            priority=False,
            now=now,
            actor=actor,
            channel="phone",
        )
    except QueueError as refusal:
        db.session.rollback()
        if refusal.status == 404:
            raise
        return redirect(f"{back}?error=closed")
    db.session.commit()
    session["phone"] = {**held, "count": held["count"] + 1, "token": ticket.token}
    return redirect(url_for("track.status", token=ticket.token))


def _address_count(office_id: int, address: str | None, now) -> int:
    """Phone numbers taken from ``address`` at the office in the last hour."""
    return db.session.scalar(
        select(func.count())
        .select_from(TicketEvent)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.office_id == office_id,
            TicketEvent.action == "issue",
            TicketEvent.remote_addr == address,
            TicketEvent.at >= now - timedelta(hours=1),
            Ticket.channel == "phone",
        )
    )
