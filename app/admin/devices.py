"""Kiosk and TV devices: one-time sign-in links, and revoking a device."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import abort, g, redirect, render_template, url_for
from flask_babel import gettext
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from .. import domain
from ..audit import record_change
from ..auth import staff_page
from ..auth.tokens import digest
from ..extensions import db
from ..models import ApiToken, LoginLink, Office, User
from .blueprint import bp, office_in_scope, saved

LINK_VALID = timedelta(hours=24)


def _device(office: Office, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.office_id != office.id or user.role not in ("kiosk", "display"):
        abort(404)
    return user


def _listed(office: Office) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.office_id == office.id, User.role.in_(("kiosk", "display")))
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
    token = secrets.token_urlsafe(24)
    now = domain.utcnow()
    db.session.add(
        LoginLink(
            user_id=user.id,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + LINK_VALID,
            created_by_id=g.actor.user_id,
        )
    )
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
    user.session_version += 1
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        update(LoginLink)
        .where(LoginLink.user_id == user.id, LoginLink.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    record_change(db.session, g.actor, now, "device.revoke", user.username, None, office.id)
    db.session.commit()
    saved(
        gettext(
            "%(name)s is signed out everywhere; its tokens and links no longer work.",
            name=user.username,
        )
    )
    return redirect(url_for("admin.devices", office=office.slug))
