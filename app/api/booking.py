"""Booking ahead and the public overview: slots, bookings, cancelling, the "which office, when"
list. Public and rate-limited per address like every anonymous request; check-in (a kiosk or
staff) is in ``moves``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_babel import get_locale, gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import domain
from ..domain import shapes
from ..domain.booking import client_key
from ..domain.clock import iso
from ..domain.shapes import BookBody
from ..errors import ApiError
from ..extensions import db
from ..i18n import format_window
from ..models import Booking, Office, Ticket, bookings_generation
from ..public_url import booking_url, track_url
from .blueprint import bp
from .parsing import parse_body


def booking_json(booking: Booking, now: datetime) -> shapes.Booking:
    tz = booking.office.timezone
    opens, closes = domain.booking.check_in_window(db.session, booking)
    ticket = db.session.get(Ticket, booking.ticket_id) if booking.ticket_id else None
    return {
        "code": booking.code,
        "token": booking.token,
        "office": booking.office.slug,
        "office_name": booking.office.name,
        "service": booking.service.code,
        "service_name": booking.service.name,
        "service_name_en": booking.service.name_en,
        "day": booking.day.isoformat(),
        "start": iso(booking.start, tz),
        "end": iso(booking.end, tz),
        "places": booking.places,
        "status": domain.booking.status_at(db.session, booking, now),
        "check_in_from": iso(opens, tz),
        "check_in_until": iso(closes, tz),
        "booking_url": booking_url(booking.token),
        "track_url": track_url(ticket.token) if ticket is not None else None,
    }


def _day_arg(name: str) -> date:
    raw = request.args.get(name, "")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(
            422,
            "invalid_field",
            gettext("The parameter %(field)s must be a date as YYYY-MM-DD.", field=name),
        ) from None


_CACHE_LOCK = threading.Lock()


def _remembered(name: str, key: tuple[Any, ...], build: Callable[[], Any], most: int) -> Any:
    """What ``build`` gave for ``key`` in this app's cache ``name`` (at most ``most`` answers;
    old keys are never asked for again). One builder at a time: a burst of phones that all miss
    waits for one answer instead of each building its own."""
    cache = current_app.extensions.setdefault(name, {})
    found = cache.get(key)
    if found is None:
        with _CACHE_LOCK:
            found = cache.get(key)
            if found is None:
                found = build()
                if len(cache) >= most:
                    cache.clear()
                cache[key] = found
    return found


# The slots a shared link asks for at once: each answer is kept for a few seconds, and dropped
# at once when a booking of this process changes (another process's change shows within
# SLOTS_CACHE_SECONDS; a booking itself always counts exactly).
SLOTS_CACHE_SECONDS = 3


@bp.get("/offices/<office>/slots")
def slots(slug: str) -> Response:
    code = request.args.get("service", "").strip().upper()[:8]
    day = _day_arg("date")
    now = domain.utcnow()

    def build() -> list[shapes.Slot]:
        office = domain.office_by_slug(db.session, slug)
        service = domain.service_by_code(db.session, office, code)
        tz = office.timezone
        return [
            {"start": iso(s.start, tz), "end": iso(s.end, tz), "free": s.free}
            for s in domain.booking.slots(db.session, office, service, day, now)
        ]

    moment = int(now.timestamp()) // SLOTS_CACHE_SECONDS
    key = (slug, code, day, bookings_generation(), moment)
    return jsonify(_remembered("loket_slots_cache", key, build, 512))


@bp.post("/offices/<office>/bookings")
def book(slug: str) -> Response:
    body = parse_body(BookBody)
    try:
        start = datetime.fromisoformat(body.start)
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise ApiError(
            422,
            "invalid_field",
            gettext("The field start must be a slot's start time, as the slots list gives it."),
        )
    now = domain.utcnow()
    booking = domain.booking.book(
        db.session,
        slug,
        body.service.strip().upper(),
        start,
        now=now,
        client=client_key(current_app.config["SECRET_KEY"], request.remote_addr),
        places=body.places,
    )
    payload = booking_json(booking, now)
    db.session.commit()
    response = jsonify(payload)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_booking", token=booking.token)
    return response


@bp.get("/bookings/<token>")
def get_booking(token: str) -> Response:
    booking = domain.booking.booking_by_token(db.session, token)
    return jsonify(booking_json(booking, domain.utcnow()))


@bp.delete("/bookings/<token>")
def cancel_booking(token: str) -> Response:
    now = domain.utcnow()
    booking = domain.booking.cancel(db.session, token, now=now)
    payload = booking_json(booking, now)
    db.session.commit()
    return jsonify(payload)


# ---- the overview: what a link shared in a WhatsApp group brings in at once ---------------

CACHE_SECONDS = 15


def overview_json(now: datetime) -> list[shapes.OfficeOverview]:
    """The overview, built once per language, change of any office, and 15 s (opening and
    closing follow the clock): a burst of phones costs one small query each."""
    seqs = tuple(db.session.execute(select(Office.id, Office.seq).order_by(Office.id)).all())
    key = (str(get_locale() or "id"), seqs, int(now.timestamp()) // CACHE_SECONDS)
    return _remembered(
        "loket_overview_cache",
        key,
        lambda: [_office_json(row) for row in domain.overview.overview(db.session, now)],
        8,  # the latest moment and change in each language, and a few before
    )


def _office_json(row: domain.overview.OfficeNow) -> shapes.OfficeOverview:
    office, tz = row.office, row.office.timezone
    window = row.window
    return {
        "office": office.slug,
        "name": office.name,
        "open_now": row.open_now,
        "opens_at": iso(row.opens_at, tz),
        "closes_at": iso(window.issue_until, tz) if row.open_now and window else None,
        "opening": format_window(window.opens, window.issue_until, tz) if window else None,
        "address": office.address or "",
        "map_url": office.map_url or "",
        "services": [
            {
                "code": s.code,
                "name": s.name,
                "name_en": s.name_en,
                "open": s.open,
                "waiting": s.waiting,
                "estimated_wait_s": s.estimated_wait_s,
                "bring": s.bring,
                "bookable": s.bookable,
            }
            for s in row.services
        ],
    }


@bp.get("/overview")
def overview() -> Response:
    return jsonify(overview_json(domain.utcnow()))
