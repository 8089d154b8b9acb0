"""Office settings, opening hours and special days; a new office (administrators of all offices)."""

from __future__ import annotations

from datetime import time

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import domain
from ..audit import changes, record_change
from ..auth import staff_page
from ..extensions import db
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
            now = domain.utcnow()
            values = _office_values(form)
            if values["card_stock"] != office.card_stock:
                record_change(
                    db.session,
                    g.actor,
                    now,
                    "stock.set",
                    office.slug,
                    {"card_stock": [office.card_stock, values["card_stock"]]},
                    office.id,
                )
            diff = changes(office, values)
            diff.pop("card_stock", None)
            record_change(db.session, g.actor, now, "office.update", office.slug, diff, office.id)
            domain.events.bump_seq(db.session, office.id)  # screens pick up the new text
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
    by_day = {h.weekday: h for h in office.hours}
    form = HoursForm() if request.method == "POST" else _filled_hours(office)
    special = SpecialDayForm(prefix="special")
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            now = domain.utcnow()
            diff = {}
            for index, day in enumerate(HoursForm.DAYS):
                opens = getattr(form, f"{day}_opens").data
                closes = getattr(form, f"{day}_closes").data
                row = by_day.get(index)
                before = [row.opens.isoformat(), row.closes.isoformat()] if row else None
                if opens is None:
                    if row is not None:
                        office.hours.remove(row)
                elif row is None:
                    office.hours.append(OpeningHours(weekday=index, opens=opens, closes=closes))
                else:
                    row.opens, row.closes = opens, closes
                after = [opens.isoformat(), closes.isoformat()] if opens else None
                if before != after:
                    diff[day] = [before, after]
            record_change(db.session, g.actor, now, "hours.update", office.slug, diff, office.id)
            domain.events.bump_seq(db.session, office.id)
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
        existing = db.session.scalar(
            select(SpecialDay).where(
                SpecialDay.office_id == office.id, SpecialDay.day == special.day.data
            )
        )
        if existing is not None:
            special.day.errors.append(
                gettext("This date already has a special day; remove it first.")
            )
        else:
            is_open = special.is_open.data == "open"
            day = SpecialDay(
                office_id=office.id,
                day=special.day.data,
                is_open=is_open,
                opens=special.opens.data if is_open else None,
                closes=special.closes.data if is_open else None,
                note=(special.note.data or "").strip(),
            )
            db.session.add(day)
            now = domain.utcnow()
            record_change(
                db.session,
                g.actor,
                now,
                "special_day.add",
                office.slug,
                {day.day.isoformat(): [None, "open" if is_open else "closed"]},
                office.id,
            )
            domain.events.bump_seq(db.session, office.id)
            db.session.commit()
            saved(gettext("The special day is saved."))
            return redirect(url_for("admin.hours", office=office.slug))
    return _hours_page(office, _filled_hours(office), special, 400)


@bp.post("/<office>/special-days/<id:day_id>/delete")
@staff_page("admin")
def delete_special_day(slug: str, day_id: int) -> Response:
    office = office_in_scope(slug)
    day = db.session.get(SpecialDay, day_id)
    if day is None or day.office_id != office.id:
        abort(404)
    record_change(
        db.session,
        g.actor,
        domain.utcnow(),
        "special_day.remove",
        office.slug,
        {day.day.isoformat(): ["open" if day.is_open else "closed", None]},
        office.id,
    )
    db.session.delete(day)
    domain.events.bump_seq(db.session, office.id)
    db.session.commit()
    saved(gettext("The special day is removed."))
    return redirect(url_for("admin.hours", office=office.slug))
