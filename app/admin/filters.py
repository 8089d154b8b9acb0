"""Template filters of the administration pages."""

from __future__ import annotations

import re
from datetime import date, datetime

from babel.dates import format_date
from flask_babel import format_decimal, get_locale, gettext

from ..queue.clock import local
from . import bp


@bp.app_template_filter("duration")
def duration(seconds: int | None) -> str:
    """12 s, 4 min, 1 h 05 min; an em dash for no value."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


@bp.app_template_filter("percent")
def percent(rate: float | None) -> str:
    return "—" if rate is None else format_decimal(rate * 100, format="#,##0.0") + " %"


@bp.app_template_filter("number")
def number(value: int | None) -> str:
    """249600 as "249.600" in Indonesian, "249,600" in English."""
    return "—" if value is None else format_decimal(value)


@bp.app_template_filter("local_time")
def local_time(value: datetime | str | None, timezone: str) -> str:
    """A UTC moment (datetime or ISO text) as the office's local "YYYY-MM-DD HH:MM"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return local(value, timezone).strftime("%Y-%m-%d %H:%M")


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


@bp.app_template_filter("printer_error")
def printer_error(text: str | None) -> str:
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


@bp.app_template_filter("long_date")
def long_date(value: date) -> str:
    """A date as a reader in the page's language says it: "Sabtu, 12 Desember 2026"."""
    return format_date(value, "EEEE, d MMMM y", locale=str(get_locale() or "id"))
