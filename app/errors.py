"""Every error becomes a clear answer: JSON ``{"error": {"code", "message"}}`` under ``/api/``,
a readable page elsewhere. Never a traceback; a 500 rolls the transaction back."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .db import DatabaseBusy
from .domain.errors import QueueError
from .extensions import db, login
from .i18n import render_message

log = logging.getLogger(__name__)

# The sentence for each HTTP status that Werkzeug raises itself (wrong URL, wrong method, ...).
_HTTP = {
    400: ("bad_request", lambda: gettext("The request could not be understood.")),
    401: ("unauthorized", lambda: gettext("Sign in or send a valid API token.")),
    403: ("forbidden", lambda: gettext("You may not do this.")),
    404: ("not_found", lambda: gettext("There is nothing at this address.")),
    405: ("method_not_allowed", lambda: gettext("This address does not accept that method.")),
    413: ("too_large", lambda: gettext("The request is too large.")),
    415: ("unsupported_media_type", lambda: gettext("Send the body as JSON.")),
    429: ("rate_limited", lambda: gettext("Too many requests; wait a moment and try again.")),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    """The error in the form the client expects (JSON for the API, a page otherwise)."""
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        response = Response(
            render_template("error.html", status=status, code=code, message=message),
            mimetype="text/html",
        )
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class ApiError(Exception):
    """An error raised by a view with its status, code and (translated) sentence."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:
        log.exception("rollback failed")


def init_app(app: Flask) -> None:
    @app.errorhandler(QueueError)
    def _queue_error(err: QueueError) -> Response:
        _rollback()
        return error_response(err.status, err.code, render_message(err.template, err.params))

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError) -> Response:
        _rollback()
        return error_response(err.status, err.code, err.message, err.headers)

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError) -> Response:
        _rollback()
        return error_response(
            400,
            "csrf_failed",
            gettext(
                "The form expired or did not come from this site; reload the page and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        _rollback()
        status = err.code or 500
        code, sentence = _HTTP.get(status, ("http_error", lambda: err.description or ""))
        headers = dict(err.get_headers()) if status == 405 else {}
        headers.pop("Content-Type", None)
        if status == 413:
            headers["Connection"] = "close"  # the rest of the body is not read
        if status == 429 and getattr(err, "retry_after", None):
            headers["Retry-After"] = str(err.retry_after)
        return error_response(status, code, sentence(), headers)

    @app.errorhandler(DatabaseBusy)
    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)  # every pooled connection busy for POOL_TIMEOUT
    def _db_down(err: Exception) -> Response:
        _rollback()
        log.warning("database unavailable: %s", err)
        # The page is shown as to a visitor: loading the signed-in user needs the database too.
        g._login_user = login.anonymous_user()
        return error_response(
            503,
            "database_unavailable",
            gettext(
                "The database is not answering right now; nothing was changed. Try again "
                "in a moment."
            ),
            {"Retry-After": "5"},
        )

    @app.errorhandler(Exception)
    def _unhandled(err: Exception) -> Response:
        _rollback()
        if isinstance(err, DBAPIError) and err.connection_invalidated:
            return _db_down(err)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(
            500,
            "internal_error",
            gettext(
                "Something went wrong on the server; nothing was changed. The error was logged."
            ),
        )
