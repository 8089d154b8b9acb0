"""Users of an office: create, edit, disable, reset the password, API tokens."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import domain
from ..auth import staff_page
from ..auth.tokens import issue_token
from ..auth.users import create_user, new_password, set_password
from ..domain.audit import changes, record_change
from ..domain.errors import QueueError
from ..extensions import db
from ..i18n import render_message
from ..models import ApiToken, Office, User
from .blueprint import bp, office_in_scope, saved
from .forms import SelectChoice, UserForm


def _user_in_scope(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    # An office's administrator manages its own users, never the administrators of all offices.
    if g.actor.office_id is not None and user.office_id != g.actor.office_id:
        abort(403)
    return user


def _form(office: Office, user: User | None = None, fresh: bool = False) -> UserForm:
    """The user form: the POST's values on a POST, unless ``fresh`` (a page shown after another
    button, whose POST is not this form's: a missing "active" box would read as not active)."""
    form = UserForm(obj=user, formdata=None) if fresh else UserForm(obj=user)
    form.office.choices = [SelectChoice(office.slug, office.name)]
    form.office.data = office.slug
    return form


@bp.route("/<office>/users", methods=["GET", "POST"])
@staff_page("admin")
def users(slug: str) -> Response | tuple[str, int]:
    office = office_in_scope(slug)
    form = _form(office)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            password = new_password()
            now = domain.utcnow()
            try:
                user = create_user(
                    db.session,
                    form.username.data,
                    form.role.data,
                    office=office,
                    password=password,
                    now=now,
                    display_name=(form.display_name.data or "").strip(),
                )
            except QueueError as err:
                form.username.errors.append(render_message(err.template, err.params))
            else:
                user.active = form.active.data
                user.prints_via_agent = form.prints_via_agent.data
                record_change(
                    db.session,
                    g.actor,
                    now,
                    "user.create",
                    user.username,
                    {"role": [None, user.role]},
                    office.id,
                )
                db.session.commit()
                # Shown on this page only, never stored in a flash cookie.
                secret = {
                    "message": gettext(
                        "User %(name)s is created. Give them this password; it is shown only once.",
                        name=user.username,
                    ),
                    "value": password,
                }
                return _users_page(office, _form(office, fresh=True), secret=secret), 201
        status = 400
    return _users_page(office, form), status


def _users_page(office: Office, form: UserForm, secret: dict | None = None) -> str:
    listed = db.session.scalars(
        select(User).where(User.office_id == office.id).order_by(User.role, User.username)
    ).all()
    return render_template(
        "admin/users.html",
        office=office,
        form=form,
        users=listed,
        secret=secret,
    )


@bp.route("/<office>/users/<id:user_id>", methods=["GET", "POST"])
@staff_page("admin")
def user_edit(slug: str, user_id: int) -> Response | tuple[str, int]:
    office = office_in_scope(slug)
    user = _user_in_scope(user_id)
    form = _form(office, user)
    form.username.render_kw = {"readonly": True}
    form.username.data = user.username
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            now = domain.utcnow()
            if user.id == g.actor.user_id and (not form.active.data or form.role.data != "admin"):
                form.role.errors.append(
                    gettext("You cannot disable yourself or take away your own administration.")
                )
            else:
                diff = changes(
                    user,
                    {
                        "display_name": (form.display_name.data or "").strip(),
                        "role": form.role.data,
                        "active": form.active.data,
                        "prints_via_agent": form.prints_via_agent.data,
                    },
                )
                if "active" in diff or "role" in diff:
                    user.session_version += 1  # signed out everywhere
                record_change(
                    db.session, g.actor, now, "user.update", user.username, diff, office.id
                )
                db.session.commit()
                saved(gettext("User %(name)s is saved.", name=user.username))
                return redirect(url_for("admin.users", office=office.slug))
        status = 400
    return _user_page(office, user, form), status


def _user_page(
    office: Office, user: User, form: UserForm | None = None, secret: dict | None = None
) -> str:
    if form is None:
        form = _form(office, user, fresh=True)
        form.username.render_kw = {"readonly": True}
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template(
        "admin/user_edit.html",
        office=office,
        form=form,
        user=user,
        tokens=tokens,
        secret=secret,
    )


@bp.post("/<office>/users/<id:user_id>/password")
@staff_page("admin")
def user_password(slug: str, user_id: int) -> str:
    office = office_in_scope(slug)
    user = _user_in_scope(user_id)
    password = new_password()
    set_password(user, password)
    record_change(
        db.session, g.actor, domain.utcnow(), "user.password_reset", user.username, None, office.id
    )
    db.session.commit()
    message = gettext("New password of %(name)s; it is shown only once.", name=user.username)
    return _user_page(office, user, secret={"message": message, "value": password})


@bp.post("/<office>/users/<id:user_id>/tokens")
@staff_page("admin")
def user_token(slug: str, user_id: int) -> str:
    office = office_in_scope(slug)
    user = _user_in_scope(user_id)
    label = (request.form.get("label") or "").strip()[:120] or "admin"
    token = issue_token(db.session, user, domain.utcnow(), label=label)
    record_change(
        db.session,
        g.actor,
        domain.utcnow(),
        "token.create",
        user.username,
        {"label": [None, label]},
        office.id,
    )
    db.session.commit()
    message = gettext("API token for %(name)s; it is shown only once.", name=user.username)
    return _user_page(office, user, secret={"message": message, "value": token})


@bp.post("/<office>/users/<id:user_id>/tokens/<id:token_id>/revoke")
@staff_page("admin")
def user_token_revoke(slug: str, user_id: int, token_id: int) -> Response:
    office = office_in_scope(slug)
    user = _user_in_scope(user_id)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        abort(404)
    if token.revoked_at is None:
        token.revoked_at = domain.utcnow()
        record_change(
            db.session,
            g.actor,
            token.revoked_at,
            "token.revoke",
            user.username,
            {"label": [token.label, None]},
            office.id,
        )
        db.session.commit()
    saved(gettext("The token is revoked."))
    return redirect(url_for("admin.user_edit", office=office.slug, user_id=user.id))
