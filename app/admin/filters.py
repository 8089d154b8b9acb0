"""Template filters of the administration pages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from babel.dates import format_date
from flask_babel import format_decimal, get_locale

from ..domain.clock import local
from ..i18n import printer_error_text
from .blueprint import bp


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


@bp.app_template_filter("fixed")
def fixed(value: Fraction | Decimal | float | None, places: int = 2) -> str:
    """A figure with exactly ``places`` decimals, rounded half up, in the page's language:
    "84,72" in Indonesian, "84.72" in English; an em dash for no value."""
    if value is None:
        return "—"
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(rounded, format=pattern)


@bp.app_template_filter("month_label")
def month_label(value: str, short: bool = False) -> str:
    """A month "YYYY-MM" as the reader says it: "November 2026" (short: "Nov 2026")."""
    first = date.fromisoformat(f"{value}-01")
    return format_date(first, "MMM y" if short else "MMMM y", locale=str(get_locale() or "id"))


@bp.app_template_filter("local_time")
def local_time(value: datetime | str | None, timezone: str) -> str:
    """A UTC moment (datetime or ISO text) as the office's local "YYYY-MM-DD HH:MM"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return local(value, timezone).strftime("%Y-%m-%d %H:%M")


# A print job's or a printer's last error in the page's language (app.i18n.printer_error_text).
bp.app_template_filter("printer_error")(printer_error_text)


@bp.app_template_filter("long_date")
def long_date(value: date) -> str:
    """A date as a reader in the page's language says it: "Sabtu, 12 Desember 2026"."""
    return format_date(value, "EEEE, d MMMM y", locale=str(get_locale() or "id"))
