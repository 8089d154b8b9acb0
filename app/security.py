"""Response headers that make a strict Content-Security-Policy possible, and per-request set-up."""

from __future__ import annotations

import re

from flask import Flask, Response, abort, current_app, request
from flask_babel import gettext, lazy_gettext
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.middleware.proxy_fix import ProxyFix

from .db import read_only
from .errors import ApiError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; font-src 'self'; connect-src 'self' ws: wss:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Control characters other than tab, line feed and carriage return: typed into a name they reach
# the thermal printer as commands (GS V cuts the paper, ESC p kicks a cash drawer), the TV and
# the voice. Also the invisible text-direction overrides and isolates (U+202A-U+202E,
# U+2066-U+2069), which show what follows them reversed on the TV and in a spreadsheet. Nobody
# types them on purpose.
CONTROL_CHARS = "\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
CONTROL = re.compile(f"[{CONTROL_CHARS}]")
# Line breaks that word processors and slide programs put into copied text (PowerPoint's and
# Word's soft line break is a vertical tab, a page break a form feed; the Unicode line and
# paragraph separators): in a form they become the ordinary line break the person saw, instead
# of a refusal of everything they typed.
COPIED_LINE_BREAKS = re.compile("[\x0b\x0c\u2028\u2029]")
# Form fields whose value must be exactly what was typed (a password, the guest network's name
# and key): a control character in them is never dropped. Each with what a person reads for it
# in a refusal (the label beside the field, not its name in the form).
EXACT_FORM_LABELS = {
    "password": lazy_gettext("Password"),
    "current": lazy_gettext("Current password"),
    "new": lazy_gettext("New password"),
    "again": lazy_gettext("New password again"),
    "wifi_ssid": lazy_gettext("Guest Wi-Fi name"),
    "wifi_password": lazy_gettext("Guest Wi-Fi password"),
}
EXACT_FORM_FIELDS = frozenset(EXACT_FORM_LABELS)
# The forms (by endpoint) that refuse a control character in their exact fields themselves,
# beside the field, so the rest of what was typed stays on the form. Posted anywhere else, such
# a field is refused before the view, like any other text.
CHECKED_BY_THEIR_FORM = {
    "auth.login": frozenset({"password"}),
    "auth.change_password": frozenset({"current", "new", "again"}),
    "admin.settings": frozenset({"wifi_ssid", "wifi_password"}),
    "admin.new_office": frozenset({"wifi_ssid", "wifi_password"}),
}
MAX_JSON_ITEMS = 10_000  # strings and containers looked at in one JSON body


def storable(text: str) -> bool:
    """False for text no database keeps: a NUL character or half of a surrogate pair."""
    return _UNSTORABLE.search(text) is None


def _refuse_large_body() -> None:
    """A body over MAX_CONTENT_LENGTH is refused from its Content-Length, before a byte of it is
    read or spooled to disk (a body without a length is cut off at the limit by Werkzeug)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        raise ApiError(
            413,
            "too_large",
            gettext("The request is larger than %(size)s KB; send less.", size=limit // 1024),
            # The unread body is not drained: the connection closes after the answer.
            {"Connection": "close"},
        )


def _mark_read_only() -> None:
    # Reads never take SQLite's write lock (see app.db).
    read_only.set(request.method in SAFE_METHODS)


def _refuse_unstorable_input() -> None:
    """A NUL or a lone surrogate would make the database fail half-way (a 500): an address with
    one names nothing (404); a query or form value with one is refused with a sentence (422)."""
    if not storable(request.path):
        abort(404)
    values = list(request.args.values())
    if request.method not in SAFE_METHODS and request.mimetype in FORM_TYPES:
        values += request.form.values()
    if not all(storable(v) for v in values):
        raise ApiError(
            422,
            "invalid_field",
            gettext("The request contains characters that are not allowed (such as NUL)."),
        )


def _json_strings(value: object) -> list[tuple[str, str]]:
    """(field, text) for the strings in a JSON body (keys too), at most MAX_JSON_ITEMS."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, object]] = [("", value)]
    seen = 0
    while stack and seen < MAX_JSON_ITEMS:
        field, item = stack.pop()
        seen += 1
        if isinstance(item, str):
            found.append((field, item))
        elif isinstance(item, dict):
            for key, inner in item.items():
                found.append((str(key), str(key)))
                stack.append((str(key), inner))
        elif isinstance(item, list):
            stack.extend((field, inner) for inner in item)
    return found


def _form_text_as_meant(name: str, value: str) -> str:
    if name in EXACT_FORM_FIELDS:
        return value
    return CONTROL.sub("", COPIED_LINE_BREAKS.sub("\n", value))


def _form_text_as_typed() -> None:
    """In a form a person typed or pasted the text: the line breaks of COPIED_LINE_BREAKS
    become "\n" and other control characters (invisible; pasted from a document or sent by a
    scanner) are dropped, so the form is saved as it looked instead of refused and lost, and no
    printer command reaches the paper. The fields of EXACT_FORM_FIELDS and API callers still
    get the refusal below."""
    if request.method in SAFE_METHODS or request.mimetype not in FORM_TYPES:
        return
    fields = list(request.form.items(multi=True))
    meant = [(name, _form_text_as_meant(name, value)) for name, value in fields]
    if meant != fields:
        request.form = ImmutableMultiDict(meant)


def _field_label(field: str) -> str:
    """The field as its refusal names it: a form's exact field by its label, else its name."""
    if request.mimetype in FORM_TYPES and field in EXACT_FORM_LABELS:
        return str(EXACT_FORM_LABELS[field])
    return CONTROL.sub("?", field or "body")[:40]


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a control character other than a tab or a line break."""
    return CONTROL.search(text) is not None


def control_characters_refusal(field: str) -> str:
    """The sentence that refuses ``field`` for its control characters, naming it."""
    return gettext(
        "“%(field)s” contains control characters (invisible printer or terminal "
        "commands); remove them and send it again.",
        field=_field_label(field),
    )


def _refuse_control_characters() -> None:
    """Text that staff or anyone sends may not carry control characters (tab and line breaks
    excepted): refused with a sentence that names the field, before a view sees it (except the
    exact fields of CHECKED_BY_THEIR_FORM, which their form refuses beside the field)."""
    if request.method in SAFE_METHODS:
        fields = list(request.args.items(multi=True))
    elif request.mimetype in FORM_TYPES:
        own = CHECKED_BY_THEIR_FORM.get(request.endpoint or "", frozenset())
        fields = list(request.args.items(multi=True)) + [
            (name, text) for name, text in request.form.items(multi=True) if name not in own
        ]
    elif request.is_json:
        fields = list(request.args.items(multi=True)) + _json_strings(request.get_json(silent=True))
    else:
        fields = list(request.args.items(multi=True))
    for field, text in fields:
        if CONTROL.search(text) or (field and CONTROL.search(field)):
            raise ApiError(422, "invalid_field", control_characters_refusal(field))


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/") and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.before_request(_refuse_large_body)  # first: nothing may read the body before this
    app.before_request(_mark_read_only)
    app.before_request(_refuse_unstorable_input)
    app.before_request(_form_text_as_typed)
    app.before_request(_refuse_control_characters)
    app.after_request(_headers)
