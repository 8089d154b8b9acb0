"""Office settings, opening hours and special days; a new office (administrators of all offices)."""

from __future__ import annotations

from datetime import time

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import domain
from ..auth import staff_page
from ..domain import setup
from ..domain.audit import record_change
from ..extensions import db
from ..i18n import render_message
from ..models import Office, OpeningHours, SpecialDay
from .blueprint import bp, office_in_scope, offices_in_scope, saved
from .forms import HoursForm, OfficeForm, SpecialDayForm


def _office_values(form: OfficeForm) -> dict:
    return {
        "name": form.name.data.strip(),
        "timezone": form.timezone.data,
        "always_open": form.always_open.data,
        "cutoff_time": form.cutoff_time.data,
        "priority_boost_min": form.priority_boost_min.data,
        "announcement": (form.announcement.data or "").strip(),
        "ticket_footer": (form.ticket_footer.data or "").strip(),
        "card_stock": form.card_stock.data,
        "address": (form.address.data or "").strip(),
        "map_url": (form.map_url.data or "").strip(),
        "wifi_ssid": form.wifi_ssid.data or "",
        "wifi_password": form.wifi_password.data or "",
        "wifi_hidden": bool(form.wifi_hidden.data and form.wifi_ssid.data),
    }


@bp.route("/<office>/settings", methods=["GET", "POST"])
@staff_page("admin")
def settings(slug: str) -> Response | str:
    office = office_in_scope(slug)
    form = OfficeForm(obj=office)
    form.slug.render_kw = {"readonly": True}
    form.slug.data = office.slug
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            setup.change_office(
                db.session, office, _office_values(form), now=domain.utcnow(), actor=g.actor
            )
            db.session.commit()
            saved(gettext("The office settings are saved."))
            return redirect(url_for("admin.settings", office=office.slug))
        status = 400
    return render_template("admin/settings.html", office=office, form=form), status


@bp.route("/offices/new", methods=["GET", "POST"])
@staff_page("admin")
def new_office() -> Response | str:
    if g.actor.office_id is not None:
        abort(403)
    form = OfficeForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            slug = form.slug.data
            if db.session.scalar(select(Office.id).where(Office.slug == slug)) is not None:
                form.slug.errors.append(gettext("Another office already uses this short name."))
            else:
                now = domain.utcnow()
                office = Office(slug=slug, seq=0, created_at=now, **_office_values(form))
                office.hours = [
                    OpeningHours(weekday=d, opens=time(8), closes=time(16)) for d in range(5)
                ]
                db.session.add(office)
                db.session.flush()
                record_change(
                    db.session,
                    g.actor,
                    now,
                    "office.create",
                    slug,
                    {"name": [None, office.name]},
                    office.id,
                )
                db.session.commit()
                saved(gettext("The office is created; add its services and counters next."))
                return redirect(url_for("admin.services", office=slug))
        status = 400
    first = offices_in_scope()
    return render_template(
        "admin/new_office.html", form=form, offices=first, office=first[0] if first else None
    ), status


@bp.route("/<office>/hours", methods=["GET", "POST"])
@staff_page("admin")
def hours(slug: str) -> Response | str:
    office = office_in_scope(slug)
    form = HoursForm() if request.method == "POST" else _filled_hours(office)
    special = SpecialDayForm(prefix="special")
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            week = [
                (day, getattr(form, f"{day}_opens").data, getattr(form, f"{day}_closes").data)
                for day in HoursForm.DAYS
            ]
            setup.set_hours(db.session, office, week, now=domain.utcnow(), actor=g.actor)
            db.session.commit()
            saved(gettext("The opening hours are saved."))
            return redirect(url_for("admin.hours", office=office.slug))
        status = 400
    return _hours_page(office, form, special, status)


def _filled_hours(office: Office) -> HoursForm:
    form = HoursForm(formdata=None)
    for row in office.hours:
        day = HoursForm.DAYS[row.weekday]
        getattr(form, f"{day}_opens").data = row.opens
        getattr(form, f"{day}_closes").data = row.closes
    return form


PAST_SPECIAL_DAYS = 60  # past special days listed under the upcoming ones


def _hours_page(office: Office, form: HoursForm, special: SpecialDayForm, status: int) -> tuple:
    today = domain.local_day(domain.utcnow(), office.timezone)
    upcoming = db.session.scalars(
        select(SpecialDay)
        .where(SpecialDay.office_id == office.id, SpecialDay.day >= today)
        .order_by(SpecialDay.day)
    ).all()
    # The past is kept (reports use it) but folded away, newest first.
    past = db.session.scalars(
        select(SpecialDay)
        .where(SpecialDay.office_id == office.id, SpecialDay.day < today)
        .order_by(SpecialDay.day.desc())
        .limit(PAST_SPECIAL_DAYS)
    ).all()
    return render_template(
        "admin/hours.html",
        office=office,
        form=form,
        special=special,
        days=upcoming,
        past_days=past,
    ), status


@bp.post("/<office>/special-days")
@staff_page("admin")
def add_special_day(slug: str) -> Response | tuple:
    office = office_in_scope(slug)
    special = SpecialDayForm(prefix="special")
    if special.validate_on_submit():
        is_open = special.is_open.data == "open"
        try:
            setup.add_special_day(
                db.session,
                office,
                setup.Special(
                    day=special.day.data,
                    is_open=is_open,
                    opens=special.opens.data,
                    closes=special.closes.data,
                    note=special.note.data or "",
                ),
                now=domain.utcnow(),
                actor=g.actor,
            )
        except domain.InvalidInput as err:
            db.session.rollback()
            special.day.errors.append(render_message(err.template, err.params))
        else:
            db.session.commit()
            saved(gettext("The special day is saved."))
            return redirect(url_for("admin.hours", office=office.slug))
    return _hours_page(office, _filled_hours(office), special, 400)


@bp.post("/<office>/special-days/<id:day_id>/delete")
@staff_page("admin")
def delete_special_day(slug: str, day_id: int) -> Response:
    office = office_in_scope(slug)
    try:
        setup.remove_special_day(db.session, office, day_id, now=domain.utcnow(), actor=g.actor)
    except domain.NotFound:
        abort(404)
    db.session.commit()
    saved(gettext("The special day is removed."))
    return redirect(url_for("admin.hours", office=office.slug))
