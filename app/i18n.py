"""Language: Indonesian by default, English by choice (``?lang=en``, remembered in a cookie).

Browsers on cheap TVs often say they prefer English, so Accept-Language is not used to leave
Indonesian; it is honoured only by API clients that ask for English explicitly.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from babel.dates import format_datetime
from flask import Flask, Response, current_app, g, request
from flask_babel import Babel, get_locale, gettext, lazy_gettext

from .domain.clock import tz_label

LANG_COOKIE = "lang"
# Screens that one person after another uses: their language is never remembered.
SHARED_SCREENS = ("/kiosk/",)

STATUS_LABELS = {
    "waiting": lazy_gettext("waiting"),
    "called": lazy_gettext("called"),
    "serving": lazy_gettext("being served"),
    "done": lazy_gettext("done"),
    "no_show": lazy_gettext("absent"),
    "cancelled": lazy_gettext("cancelled"),
}
STAGE_LABELS = {
    "ready_to_print": lazy_gettext("ready to print"),
    "printed": lazy_gettext("printed, ready for pickup"),
    "handed_over": lazy_gettext("handed over"),
    "blocked": lazy_gettext("blocked"),
}
ROLE_LABELS = {
    "admin": lazy_gettext("administrator"),
    "operator": lazy_gettext("counter operator"),
    "clerk": lazy_gettext("card clerk"),
    "kiosk": lazy_gettext("kiosk (device)"),
    "display": lazy_gettext("TV display (device)"),
}
BLOCK_REASON_LABELS = {
    "not_print_ready": lazy_gettext("record not yet ready to print"),
    "duplicate_record": lazy_gettext("duplicate record"),
    "no_blank_cards": lazy_gettext("no blank cards"),
    "other": lazy_gettext("other reason"),
}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]  # the first is the default
    asked = request.args.get("lang")
    if request.path.startswith(SHARED_SCREENS):
        # A kiosk serves the next resident too: English only for the page that asked for it,
        # never remembered (the page itself goes back to Indonesian when it is done).
        return asked if asked in languages else "id"
    if asked in languages:
        if not request.path.startswith("/api/"):
            g.set_lang_cookie = asked
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return cookie
    if request.path.startswith("/api/") and request.accept_languages:
        best = request.accept_languages.best_match(languages)
        if best == "en" and request.accept_languages.best == best:
            return "en"
    return "id"


def _remember_language(response: Response) -> Response:
    lang = g.pop("set_lang_cookie", None)
    if lang:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=400 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


def init_app(app: Flask, babel: Babel) -> None:
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    app.after_request(_remember_language)
    app.jinja_env.globals.update(
        current_language=lambda: str(get_locale() or "id"),
        role_labels=ROLE_LABELS,
        tz_label=tz_label,
    )


def format_moment(value: datetime, tz_name: str) -> str:
    """A moment as a reader in the current language says it, e.g.
    "Senin, 30 November 2026 pukul 08.00 WITA"."""
    locale = str(get_locale() or "id")
    pattern = "EEEE, d MMMM y 'pukul' HH.mm" if locale == "id" else "EEEE, d MMMM y 'at' HH:mm"
    return (
        f"{format_datetime(value, pattern, tzinfo=value.tzinfo, locale=locale)} "
        f"{tz_label(tz_name, value)}"
    )


def in_english() -> bool:
    """Whether this request reads English (else Indonesian, the default)."""
    return str(get_locale() or "id") == "en"


def local_name(name: str, name_en: str | None) -> str:
    """A service's name for this reader: its English name in English, when it has one."""
    return (name_en or name) if in_english() else name


def render_message(template: str, params: dict[str, Any], tz_name: str | None = None) -> str:
    """Translate a domain error's ``template`` and fill it with readable ``params``."""
    values: dict[str, Any] = {}
    english = in_english()
    for key, value in params.items():
        if key.endswith("_en"):
            continue  # the English form of another value (a service's English name)
        if english and params.get(f"{key}_en"):
            value = params[f"{key}_en"]
        if isinstance(value, datetime):
            value = format_moment(value, tz_name or str(value.tzinfo))
        elif key == "status" and value in STATUS_LABELS:
            value = STATUS_LABELS[value]
        elif key in ("stage", "target") and value in STAGE_LABELS:
            value = STAGE_LABELS[value]
        values[key] = str(value) if value is not None else ""
    return gettext(template, **values)


# What the spooler and the printer drivers record (English, as in the log), in words for the
# administrator: the known beginnings are translated, technical details after them are kept.
_PRINTER_ERRORS = (
    ("cancelled by an administrator", lambda: gettext("cancelled by an administrator")),
    ("cannot reach the printer", lambda: gettext("cannot reach the printer")),
    ("sending failed", lambda: gettext("sending to the printer failed")),
    (
        "the printer ran out of paper during the ticket",
        lambda: gettext("the printer ran out of paper during the ticket"),
    ),
    ("the printer is out of paper", lambda: gettext("the printer is out of paper")),
    (
        "the printer did not confirm the ticket",
        lambda: gettext("the printer did not confirm the ticket"),
    ),
    ("the printer did not answer", lambda: gettext("the printer did not answer")),
    ("the ticket could not be laid out", lambda: gettext("the ticket could not be laid out")),
    ("unexpected error", lambda: gettext("unexpected error")),
    ("not printed in time", lambda: gettext("not printed in time (its owner has gone on)")),
    ("expired before the agent came back", lambda: gettext("expired before the agent came back")),
    ("the agent could not print", lambda: gettext("the print agent could not print")),
    ("the agent disconnected", lambda: gettext("the print agent disconnected")),
)
_GAVE_UP = re.compile(r"^gave up after (\d+) attempts$")
_CUT_OFF = re.compile(r"^cut off by (\d+) restarts while printing$")


def printer_error_text(text: str | None) -> str:
    """A print job's or a printer's last error in the page's language."""
    if not text:
        return ""
    if match := _GAVE_UP.match(text):
        return gettext("gave up after %(n)s attempts", n=match.group(1))
    if match := _CUT_OFF.match(text):
        return gettext("cut off by %(n)s restarts while printing", n=match.group(1))
    expired = text.endswith("; expired")
    core = text.removesuffix("; expired")
    for prefix, words in _PRINTER_ERRORS:
        if core.startswith(prefix):
            core = words() + core[len(prefix) :]
            break
    return core + ("; " + gettext("given up (too old)") if expired else "")


def format_window(day_opens: datetime, day_closes: datetime, tz_name: str) -> str:
    """A day's opening as a reader in the current language says it, e.g.
    "Sabtu, 12 Oktober, 08.00–16.00 WITA"."""
    locale = str(get_locale() or "id")
    clock = "HH.mm" if locale == "id" else "HH:mm"
    day = format_datetime(day_opens, "EEEE, d MMMM", tzinfo=day_opens.tzinfo, locale=locale)
    opens = format_datetime(day_opens, clock, tzinfo=day_opens.tzinfo, locale=locale)
    closes = format_datetime(day_closes, clock, tzinfo=day_closes.tzinfo, locale=locale)
    return f"{day}, {opens}\u2013{closes} {tz_label(tz_name, day_opens)}"
