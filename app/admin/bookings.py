"""Booking ahead, for the administrator: groups' requests to approve or refuse, and the way to
the day's list and the plans."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import domain
from ..auth import staff_page
from ..domain.clock import local
from ..domain.errors import QueueError
from ..extensions import db
from ..i18n import render_message
from .blueprint import bp, office_in_scope, saved


@bp.get("/<office>/bookings")
@staff_page("admin")
def bookings(slug: str) -> str:
    office = office_in_scope(slug)
    groups = [
        {
            "id": b.id,
            "code": b.code,
            "service": f"{b.service.code} — {b.service.name}",
            "places": b.places,
            "when": local(b.start, office.timezone).strftime("%Y-%m-%d %H:%M"),
        }
        for b in domain.booking.pending_groups(db.session, office)
    ]
    offered = domain.booking.bookable_services(db.session, office)
    return render_template("admin/bookings.html", office=office, groups=groups, offered=offered)


@bp.post("/<office>/bookings/<id:booking_id>/decide")
@staff_page("admin")
def decide(slug: str, booking_id: int) -> Response:
    office = office_in_scope(slug)
    approve = request.form.get("decision") == "approve"
    now = domain.utcnow()
    try:
        booking = domain.booking.decide_group(
            db.session, office, booking_id, approve, now=now, actor=g.actor
        )
    except QueueError as refusal:
        db.session.rollback()
        flash(render_message(refusal.template, refusal.params, office.timezone), "error")
        return redirect(url_for("admin.bookings", office=office.slug))
    db.session.commit()
    saved(
        gettext("The group booking %(code)s is approved.", code=booking.code)
        if approve
        else gettext("The group booking %(code)s is refused.", code=booking.code)
    )
    return redirect(url_for("admin.bookings", office=office.slug))
