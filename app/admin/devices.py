"""Kiosk and TV devices: one-time sign-in links, and revoking a device."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import domain
from ..auth import staff_page
from ..auth.devices import DEVICE_ROLES, new_login_link, sign_out_everywhere
from ..domain.audit import record_change
from ..extensions import db
from ..models import Office, User
from .blueprint import bp, office_in_scope, saved


def _device(office: Office, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.office_id != office.id or user.role not in DEVICE_ROLES:
        abort(404)
    return user


def _listed(office: Office) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.office_id == office.id, User.role.in_(DEVICE_ROLES))
            .order_by(User.role, User.username)
        )
    )


@bp.get("/<office>/devices")
@staff_page("admin")
def devices(slug: str) -> str:
    office = office_in_scope(slug)
    listed = _listed(office)
    return render_template("admin/devices.html", office=office, devices=listed, link=None)


@bp.post("/<office>/devices/<id:user_id>/link")
@staff_page("admin")
def device_link(slug: str, user_id: int) -> str:
    """A one-time link: opened on the device, it signs it in for good (remember me)."""
    office = office_in_scope(slug)
    user = _device(office, user_id)
    now = domain.utcnow()
    token = new_login_link(db.session, user, now, g.actor.user_id)
    record_change(db.session, g.actor, now, "device.link", user.username, None, office.id)
    db.session.commit()
    link = url_for("auth.login_link", token=token, _external=True)
    listed = _listed(office)
    return render_template(
        "admin/devices.html",
        office=office,
        devices=listed,
        link=link,
        link_user=user,
    )


@bp.post("/<office>/devices/<id:user_id>/revoke")
@staff_page("admin")
def device_revoke(slug: str, user_id: int) -> Response:
    """Sign the device out everywhere: sessions, remember cookies, tokens and unused links."""
    office = office_in_scope(slug)
    user = _device(office, user_id)
    now = domain.utcnow()
    sign_out_everywhere(db.session, user, now)
    record_change(db.session, g.actor, now, "device.revoke", user.username, None, office.id)
    db.session.commit()
    saved(
        gettext(
            "%(name)s is signed out everywhere; its tokens and links no longer work.",
            name=user.username,
        )
    )
    return redirect(url_for("admin.devices", office=office.slug))
