"""Rate limits (Flask-Limiter): anonymous requests per client address, and sign-in attempts per
address and per user name. A request from a signed-in session or with a valid API token is not
limited, except at the sign-in form. With several processes (``MESSAGE_QUEUE_URL=redis://...``)
the counts live in Redis so they hold across processes; if Redis goes away, each process counts
in memory meanwhile."""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def _signed_in_elsewhere() -> bool:
    """Signed-in staff and token holders skip the limiter, except at the sign-in form: a
    stolen session or a device token must not give a guesser unlimited password attempts."""
    return g.get("actor") is not None and request.endpoint != "auth.login"


def _static() -> bool:
    return bool(request.endpoint) and request.endpoint.split(".")[-1] in ("static", "vendor")


def _login_username() -> str:
    return "login:" + (request.form.get("username") or "").strip().lower()[:64]


def _retry_after_only_when_refused(response: Response) -> Response:
    # Flask-Limiter sends Retry-After with every counted response; it belongs on a 429 only
    # (and on the 503 of an unavailable database, which sets its own).
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


def init_app(app: Flask) -> Limiter:
    """A limiter of this app (its own counts); call after the authentication hook, which sets
    ``g.actor``."""
    queue_url = app.config.get("MESSAGE_QUEUE_URL") or ""
    limiter = Limiter(
        key_func=get_remote_address,  # the client's address, after ProxyFix behind nginx
        # One budget per address for every route together (default limits count per route).
        application_limits=[app.config["ANONYMOUS_RATE_LIMIT"]],
        headers_enabled=True,
        strategy="moving-window",
        storage_uri=queue_url if queue_url.startswith("redis") else "memory://",
        key_prefix="loket",
        swallow_errors=True,
        in_memory_fallback_enabled=True,
    )
    limiter.request_filter(_static)
    limiter.request_filter(_signed_in_elsewhere)  # staff and devices: not even counted
    app.after_request(_retry_after_only_when_refused)  # after-request hooks run last-first
    limiter.init_app(app)
    login = app.view_functions["auth.login"]
    login = limiter.limit(
        app.config["LOGIN_RATE_LIMIT"], methods=["POST"], override_defaults=False
    )(login)
    login = limiter.limit(
        app.config["LOGIN_USER_RATE_LIMIT"],
        key_func=_login_username,
        methods=["POST"],
        override_defaults=False,
    )(login)
    app.view_functions["auth.login"] = login
    return limiter
