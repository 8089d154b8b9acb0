"""Sign in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import domain
from ..db import reading
from ..domain.errors import QueueError
from ..extensions import csrf, db
from ..i18n import render_message
from ..models import User
from ..security import control_characters_refusal, has_control_characters
from .blueprint import bp
from .devices import open_link, use_link
from .users import is_locked, note_failure, note_success, password_matches, set_password

# Where each role starts after signing in (the first endpoint that exists).
_HOME = {
    "admin": ("admin.index",),
    "operator": ("counter.index",),
    "clerk": ("station.print_list",),
    "kiosk": ("kiosk.page",),
    "display": ("display.page",),
}


def home_for(user: User) -> str:
    """The page a user starts on after signing in."""
    for endpoint in _HOME.get(user.role, ()):
        if endpoint in current_app.view_functions:
            if endpoint in ("kiosk.page", "display.page"):
                if user.office is None:
                    continue
                return url_for(endpoint, office=user.office.slug)
            return url_for(endpoint)
    return url_for("main.index")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None  # a line break would end up in the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    error = None
    username = ""
    if request.method == "POST":
        # Always, also for a caller that sent an API token (which skips CSRF elsewhere).
        csrf.protect()
        locked = gettext(
            "Too many wrong passwords: this account is locked for a few "
            "minutes. Ask an administrator if you forgot your password."
        )
        username = (request.form.get("username") or "").strip().lower()[:64]
        password = request.form.get("password") or ""
        remember = request.form.get("remember") == "on"
        now = domain.utcnow()
        # Look up and check the password outside any write transaction: hashing is slow and
        # must not hold SQLite's write lock.
        with reading():
            user = db.session.scalar(select(User).where(User.username == username))
            db.session.commit()
        if not username or not password:
            error = gettext("Enter your user name and password.")
        elif has_control_characters(password):  # never a password: not a wrong one either
            error = control_characters_refusal("password")
        elif user is None:
            error = gettext("Wrong user name or password.")
        elif is_locked(user, now):
            error = locked
        elif not password_matches(user, password):
            note_failure(db.session, user, now)
            db.session.commit()
            error = gettext("Wrong user name or password.")
        elif not user.active:
            # Said only to someone who knows the password, so it reveals nothing to guessers.
            error = gettext("This account is disabled. Ask an administrator to enable it.")
        elif not note_success(db.session, user, now):
            db.session.rollback()
            error = locked
        else:
            db.session.commit()
            login_user(user, remember=remember or user.role in ("kiosk", "display"))
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        return render_template("auth/login.html", error=error, username=username), 401
    return render_template("auth/login.html", error=error, username=username)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str:
    error = message = None
    if request.method == "POST":
        current = request.form.get("current") or ""
        new = request.form.get("new") or ""
        again = request.form.get("again") or ""
        with reading():
            user = db.session.get(User, current_user.id)
            db.session.commit()
        typed = {"current": current, "new": new, "again": again}
        refused = next((name for name, text in typed.items() if has_control_characters(text)), "")
        if refused:
            error = control_characters_refusal(refused)
        elif not password_matches(user, current):
            error = gettext("The current password is not right.")
        elif new != again:
            error = gettext("The two new passwords are not the same.")
        else:
            try:
                set_password(user, new)
            except QueueError as err:
                error = render_message(err.template, err.params)
            else:
                db.session.commit()
                message = gettext("Your password has been changed.")
        status = 400 if error else 200
        return render_template("auth/password.html", error=error, message=message), status
    return render_template("auth/password.html", error=error, message=message)


@bp.route("/login/link/<token>", methods=["GET", "POST"])
def login_link(token: str) -> Response | tuple:
    """A one-time sign-in link made by an administrator for a kiosk or TV device. Opening it
    shows a button; only pressing it (a POST) uses the link, so a chat app that previews the
    link does not spend it."""
    now = domain.utcnow()
    opened = open_link(db.session, token, now)
    if opened is None:
        message = gettext(
            "This sign-in link is used, expired or unknown. Ask an administrator for a new one."
        )
        return render_template("error.html", status=410, code="link_invalid", message=message), 410
    link, user = opened
    if not user.active:
        message = gettext("This account is disabled. Ask an administrator.")
        return render_template("error.html", status=403, code="disabled", message=message), 403
    if request.method == "GET":
        return render_template("auth/link.html", user=user)
    if not use_link(db.session, link, now):
        db.session.rollback()
        message = gettext(
            "This sign-in link is used, expired or unknown. Ask an administrator for a new one."
        )
        return render_template("error.html", status=410, code="link_invalid", message=message), 410
    # A link an administrator made signs the device in even while wrong passwords have locked
    # the account (the lock is against guessing, and a link is not a guess).
    note_success(db.session, user, now)
    db.session.commit()
    login_user(user, remember=True)
    return redirect(home_for(user))
