"""Booking ahead, for residents on their phones: ``/book/{office}`` (service, day, time: one
page per step, plain links and one form, so it works on any phone without scripts) and
``/b/{token}``, the booking with its code, its QR code, a calendar file and a cancel button.

Nothing personal is asked. The booking's link is the resident's proof: it carries the token."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_datetime
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from werkzeug.wrappers import Response

from .. import domain
from ..domain.booking import client_key
from ..domain.clock import local, local_day, tz_label
from ..domain.errors import QueueError
from ..extensions import db
from ..i18n import in_english, local_name
from ..models import Booking, Service, Ticket
from ..public_url import booking_url
from ..qr import svg_response
from .blueprint import bp


def service_label(service: Service) -> str:
    return local_name(service.name, service.name_en)


def day_words(day: date) -> str:
    """ "Selasa, 1 Desember 2026"."""
    moment = datetime.combine(day, datetime.min.time())
    return format_datetime(moment, "EEEE, d MMMM y", locale=str(get_locale() or "id"))


def clock_words(moment: datetime, tz_name: str) -> str:
    """ "08.00 WITA" (Indonesian) or "08:00 WITA" (English)."""
    pattern = "HH:mm" if in_english() else "HH.mm"
    here = local(moment, tz_name)
    text = format_datetime(here, pattern, tzinfo=here.tzinfo, locale=str(get_locale() or "id"))
    return f"{text} {tz_label(tz_name, moment)}"


@bp.get("/book/<office>")
def book_page(slug: str) -> str:
    """Step by step: the services that take bookings, then the days, then the times."""
    office = domain.office_by_slug(db.session, slug)
    now = domain.utcnow()
    offered = domain.booking.bookable_services(db.session, office)
    code = request.args.get("service", "").strip().upper()[:1]
    chosen = next(((s, p) for s, p in offered if s.code == code), None)
    days, slots, day = [], [], None
    if chosen is not None:
        service = chosen[0]
        raw_day = request.args.get("date", "")
        if raw_day:
            try:
                day = date.fromisoformat(raw_day)
            except ValueError:
                day = None
        if day is not None:
            slots = [
                {
                    "start": s.start.isoformat(),
                    "label": clock_words(s.start, office.timezone),
                    "free": s.free,
                }
                for s in domain.booking.slots(db.session, office, service, day, now)
            ]
        else:
            days = [
                {"date": day_.isoformat(), "label": day_words(day_), "free": free}
                for day_, free in domain.booking.free_days(db.session, office, service, now)
            ]
    return render_template(
        "booking/book.html",
        office=office,
        offered=[(s, service_label(s)) for s, _ in offered],
        chosen=chosen[0] if chosen else None,
        chosen_label=service_label(chosen[0]) if chosen else "",
        days=days,
        day=day,
        day_label=day_words(day) if day else "",
        slots=slots,
        error=request.args.get("error"),
    )


@bp.post("/book/<office>")
def book(slug: str) -> Response:
    """One tap on a time books it, then the booking's own page."""
    service = request.form.get("service", "").strip().upper()[:1]
    raw = request.form.get("start", "")[:40]
    try:
        places = int(request.form.get("places", "1") or "1")
    except ValueError:
        places = 0
    back = url_for(
        "booking.book_page", office=slug, service=service, date=request.form.get("date", "")
    )
    try:
        start = datetime.fromisoformat(raw)
    except ValueError:
        return redirect(back)
    try:
        booking = domain.booking.book(
            db.session,
            slug,
            service,
            start,
            now=domain.utcnow(),
            client=client_key(current_app.config["SECRET_KEY"], request.remote_addr),
            places=places,
        )
    except QueueError as refusal:
        db.session.rollback()
        if refusal.status == 404:
            raise
        code = "group_size" if places != 1 and refusal.status == 422 else refusal.code
        return redirect(f"{back}&error={code}")
    db.session.commit()
    return redirect(url_for("booking.page", token=booking.token, new=1))


def _booking_view(booking: Booking) -> dict:
    now = domain.utcnow()
    tz = booking.office.timezone
    opens, closes = domain.booking.check_in_window(db.session, booking)
    return {
        "code": booking.code,
        "status": domain.booking.status_at(db.session, booking, now),
        "service": service_label(booking.service),
        "bring": booking.service.bring,
        "day": day_words(booking.day),
        "time": f"{clock_words(booking.start, tz)} \u2013 {clock_words(booking.end, tz)}",
        "check_in": gettext(
            "Show this code at the kiosk between %(opens)s and %(closes)s on that day.",
            opens=clock_words(opens, tz),
            closes=clock_words(closes, tz),
        ),
        "today": booking.day == local_day(now, tz),
        "track": _track_link(booking),
    }


def _track_link(booking: Booking) -> str | None:
    ticket = db.session.get(Ticket, booking.ticket_id) if booking.ticket_id else None
    return url_for("track.status", token=ticket.token) if ticket is not None else None


@bp.get("/b/<token>")
def page(token: str) -> str:
    return _booking_page(token, confirm=False)


@bp.get("/b/<token>/cancel")
def cancel_page(token: str) -> str:
    """The cancel button asks first (no script needed)."""
    return _booking_page(token, confirm=True)


def _booking_page(token: str, confirm: bool) -> str:
    booking = domain.booking.booking_by_token(db.session, token)
    return render_template(
        "booking/booking.html",
        booking=booking,
        office=booking.office,
        view=_booking_view(booking),
        new=not confirm and request.args.get("new") == "1",
        confirm=confirm,
    )


@bp.post("/b/<token>/cancel")
def cancel(token: str) -> Response:
    try:
        domain.booking.cancel(db.session, token, now=domain.utcnow())
    except QueueError as refusal:
        db.session.rollback()
        if refusal.status == 404:
            raise
        return redirect(url_for("booking.page", token=token))
    db.session.commit()
    return redirect(url_for("booking.page", token=token))


@bp.get("/b/<token>/qr.svg")
def qr(token: str) -> Response:
    """The booking's QR code: the kiosk's scanner reads its link."""
    booking = domain.booking.booking_by_token(db.session, token)
    return svg_response(booking_url(booking.token))


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


@bp.get("/b/<token>/booking.ics")
def ics(token: str) -> Response:
    """An iCalendar event for the booking, with a reminder an hour before."""
    booking = domain.booking.booking_by_token(db.session, token)
    if booking.status == "cancelled":
        abort(404)
    stamp = "%Y%m%dT%H%M%SZ"
    summary = gettext(
        "%(service)s at %(office)s (booking %(code)s)",
        service=service_label(booking.service),
        office=booking.office.name,
        code=booking.code,
    )
    description = _booking_view(booking)["check_in"] + " " + booking_url(booking.token)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Loket//Booking//ID",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{booking.token}@loket",
        f"DTSTAMP:{booking.created_at.strftime(stamp)}",
        f"DTSTART:{booking.start.strftime(stamp)}",
        f"DTEND:{booking.end.strftime(stamp)}",
        f"SUMMARY:{_ics_text(summary)}",
        f"DESCRIPTION:{_ics_text(description)}",
        f"LOCATION:{_ics_text(booking.office.address or booking.office.name)}",
        f"URL:{booking_url(booking.token)}",
        "BEGIN:VALARM",
        "TRIGGER:-PT1H",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{_ics_text(summary)}",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    body = "\r\n".join(_fold(line) for line in lines) + "\r\n"
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="booking-{booking.code}.ics"'
    return response


def _fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets continue on the next line after a space."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, current = [], b""
    for ch in line:
        encoded = ch.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


@bp.get("/book/<office>/poster.pdf")
def poster(slug: str) -> Response:
    """The office's poster for the notice board (A4, one page, PDF)."""
    # ReportLab (about 14 MB a process) is loaded when the first poster is asked for.
    from .poster import poster_pdf

    return poster_pdf(slug)


__all__ = ["bp"]
