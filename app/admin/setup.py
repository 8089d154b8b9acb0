"""Services and counters of an office."""

from __future__ import annotations

from datetime import time

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import domain
from ..auth import staff_page
from ..domain import setup
from ..extensions import db
from ..i18n import render_message
from ..models import BookingPlan, Counter, Office, Service
from .blueprint import bp, office_in_scope, saved
from .forms import WEEKDAY_FIELDS, BookingPlanForm, CounterForm, ServiceForm


@bp.get("/<office>/services")
@staff_page("admin")
def services(slug: str) -> str:
    office = office_in_scope(slug)
    bookable = {
        service.id for service, _plan in domain.booking.bookable_services(db.session, office)
    }
    return render_template("admin/services.html", office=office, bookable=bookable)


def _service_values(form: ServiceForm) -> dict:
    return {
        "code": form.code.data.strip().upper(),
        "name": form.name.data.strip(),
        "name_en": (form.name_en.data or "").strip() or None,
        "colour": form.colour.data.lower(),
        "produces_card": form.produces_card.data,
        "daily_quota": form.daily_quota.data,
        "active": form.active.data,
        "position": form.position.data,
        "default_service_s": form.default_minutes.data * 60,
        "ticket_footer": (form.ticket_footer.data or "").strip(),
        "bring": (form.bring.data or "").strip(),
    }


# Distinct colours that read well behind white letters, in the order new services get them.
SERVICE_COLOURS = (
    "#1565c0",
    "#6a1b9a",
    "#2e7d32",
    "#c62828",
    "#00838f",
    "#ad1457",
    "#4e342e",
    "#455a64",
    "#bf360c",
    "#283593",
    "#33691e",
    "#6d4c41",
    "#00695c",
    "#8e24aa",
    "#37474f",
    "#880e4f",
)


@bp.route("/<office>/services/new", methods=["GET", "POST"], defaults={"code": None})
@bp.route("/<office>/services/<code>", methods=["GET", "POST"])
@staff_page("admin")
def service_edit(slug: str, code: str | None) -> Response | str:
    office = office_in_scope(slug)
    service = None
    if code is not None:
        service = db.session.scalar(
            select(Service).where(Service.office_id == office.id, Service.code == code.upper())
        )
        if service is None:
            abort(404)
    form = ServiceForm(obj=service)
    if request.method == "GET" and service is not None:
        form.default_minutes.data = max(1, service.default_service_s // 60)
    if request.method == "GET" and service is None:
        # A new service gets a colour no other service of the office has (TV, kiosk, tickets).
        taken = {s.colour.lower() for s in office.services}
        form.colour.data = next((c for c in SERVICE_COLOURS if c not in taken), form.colour.data)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            values = _service_values(form)
            try:
                setup.save_service(
                    db.session, office, service, values, now=domain.utcnow(), actor=g.actor
                )
            except domain.InvalidInput as err:
                db.session.rollback()
                form.code.errors.append(render_message(err.template, err.params))
            else:
                db.session.commit()
                saved(gettext("Service %(code)s is saved.", code=values["code"]))
                return redirect(url_for("admin.services", office=office.slug))
        status = 400
    return render_template(
        "admin/service_edit.html",
        office=office,
        form=form,
        service=service,
    ), status


@bp.route("/<office>/services/<code>/booking", methods=["GET", "POST"])
@staff_page("admin")
def booking_plan(slug: str, code: str) -> Response | str:
    """When the service takes bookings ahead: days, hours, slots, places, the walk-in share."""
    office = office_in_scope(slug)
    service = db.session.scalar(
        select(Service).where(Service.office_id == office.id, Service.code == code.upper())
    )
    if service is None:
        abort(404)
    plan = db.session.get(BookingPlan, service.id)
    form = BookingPlanForm(obj=plan)
    if request.method == "GET":
        days = plan.weekdays if plan is not None else "01234"
        for index, name in enumerate(WEEKDAY_FIELDS):
            getattr(form, name).data = str(index) in days
        if plan is None:
            form.starts.data, form.ends.data = time(8), time(14)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            values = {
                "enabled": form.enabled.data,
                "weekdays": "".join(
                    str(i) for i, name in enumerate(WEEKDAY_FIELDS) if getattr(form, name).data
                ),
                "starts": form.starts.data,
                "ends": form.ends.data,
                "slot_min": form.slot_min.data,
                "places": form.places.data,
                "walk_in_pct": form.walk_in_pct.data,
                "early_min": form.early_min.data,
                "late_min": form.late_min.data,
                "days_ahead": form.days_ahead.data,
            }
            setup.save_booking_plan(
                db.session, office, service, values, now=domain.utcnow(), actor=g.actor
            )
            db.session.commit()
            saved(gettext("The booking plan of service %(code)s is saved.", code=service.code))
            return redirect(url_for("admin.services", office=office.slug))
        status = 400
    return render_template(
        "admin/booking_plan.html",
        office=office,
        service=service,
        form=form,
        weekdays=WEEKDAY_FIELDS,
        cap=domain.booking.daily_cap(service, plan) if plan is not None else None,
    ), status


@bp.get("/<office>/counters")
@staff_page("admin")
def counters(slug: str) -> str:
    office = office_in_scope(slug)
    return render_template("admin/counters.html", office=office)


@bp.route("/<office>/counters/new", methods=["GET", "POST"], defaults={"counter_id": None})
@bp.route("/<office>/counters/<id:counter_id>", methods=["GET", "POST"])
@staff_page("admin")
def counter_edit(slug: str, counter_id: int | None) -> Response | str:
    office = office_in_scope(slug)
    counter = None
    if counter_id is not None:
        counter = db.session.get(Counter, counter_id)
        if counter is None or counter.office_id != office.id:
            abort(404)
    form = CounterForm(obj=counter)
    if request.method == "GET" and counter is not None:
        form.services.data = " ".join(link.service.code for link in counter.links)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            status = _save_counter(office, counter, form)
            if status is None:
                return redirect(url_for("admin.counters", office=office.slug))
        status = 400
    return render_template(
        "admin/counter_edit.html",
        office=office,
        form=form,
        counter=counter,
    ), status


def _save_counter(office: Office, counter: Counter | None, form: CounterForm) -> int | None:
    values = {
        "number": form.number.data,
        "name": form.name.data.strip(),
        "call_order": form.call_order.data,
        "is_open": form.is_open.data,
    }
    letters = [c for c in (form.services.data or "").upper() if c.isalpha()]
    try:
        setup.save_counter(
            db.session, office, counter, values, letters, now=domain.utcnow(), actor=g.actor
        )
    except domain.InvalidInput as err:
        db.session.rollback()
        field = form.number if err.code == "number_taken" else form.services
        field.errors.append(render_message(err.template, err.params))
        return 400
    db.session.commit()
    saved(gettext("Counter %(number)s is saved.", number=values["number"]))
    return None
