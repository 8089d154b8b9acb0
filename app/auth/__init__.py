"""Who is asking: a bearer token (devices, scripts) or a signed-in browser session (with CSRF).

``identify`` runs before every request: it resolves the user, keeps an ``Actor`` for the domain
in ``g.actor``, and checks the CSRF token of browser writes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, g, request
from flask_babel import gettext
from flask_login import LoginManager, current_user, login_required

from ..domain import Actor
from ..errors import ApiError
from ..extensions import csrf, db
from ..models import SERVER_PRINTER, User, agent_target
from ..security import SAFE_METHODS
from .identity import by_session, by_token

# Endpoints that never need to know the user (no database work for them).
_ANONYMOUS_ENDPOINTS = {"static", "main.vendor"}


def identify() -> None:
    g.user, g.auth, g.actor, g.print_target = None, None, None, SERVER_PRINTER
    if request.endpoint in _ANONYMOUS_ENDPOINTS:
        return
    header = request.headers.get("Authorization")
    # GET requests read in a deferred transaction (app.security); a write request's lookup here
    # is the start of its write transaction.
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401,
                "unauthorized",
                gettext('Send the API token as "Authorization: Bearer <token>".'),
            )
        caller = by_token(db.session(), token.strip(), request.remote_addr)
        if caller is None:
            raise ApiError(
                401,
                "invalid_token",
                gettext("This API token is unknown or revoked, or its user is disabled."),
            )
        g.auth = "token"
    elif current_user.is_authenticated:
        g.user, g.auth = current_user._get_current_object(), "session"
        caller = by_session(g.user, request.remote_addr)
    else:
        caller = None
    if caller is not None:
        g.actor = caller.actor
        # Where this device's tickets print: the server's printer, or its own agent's.
        if caller.prints_via_agent:
            g.print_target = agent_target(caller.actor.user_id)
    # A bearer token is not sent by browsers on their own, so it needs no CSRF token; an
    # anonymous API write gets its 401 from the view instead of a CSRF error.
    anonymous_api = request.path.startswith("/api/") and g.auth is None
    if request.method not in SAFE_METHODS and g.auth != "token" and not anonymous_api:
        csrf.protect()


def require_actor(*roles: str) -> Actor:
    """The Actor making this request. Raises ApiError 401 when nobody is signed in, and 403 when
    ``roles`` are given and the user has none of them."""
    if g.get("actor") is None:
        raise ApiError(401, "unauthorized", gettext("Sign in or send a valid API token."))
    if roles and g.actor.role not in roles:
        raise ApiError(403, "forbidden", gettext("Your role may not do this."))
    return g.actor


def staff_page(*roles: str) -> Callable:
    """A page for signed-in users with one of ``roles`` (others: sign in, or a 403 page)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.get("actor") is None or g.actor.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _load_user(session_id: str) -> User | None:
    """The user of a session id "<id>:<session version>"; a raised version signs out."""
    user_id, _, version = str(session_id).partition(":")
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.active or version != str(user.session_version):
        return None
    return user


def init_app(app: Flask, login: LoginManager) -> None:
    login.init_app(app)
    login.user_loader(_load_user)
    login.login_view = "auth.login"
    login.login_message = None
    login.session_protection = "basic"
    app.before_request(identify)

    from . import views  # noqa: F401 - registers the routes on bp
    from .blueprint import bp

    app.register_blueprint(bp)
