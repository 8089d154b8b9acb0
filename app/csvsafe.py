"""CSV that a spreadsheet opens as data, never as formulas: every CSV the app sends is written here.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be taken
by Excel or LibreOffice as the start of a formula (``=HYPERLINK(...)`` in a service's name becomes
a live link), so such a cell gets a leading single quote, the OWASP way; other control characters
are dropped. Numbers (``int`` and ``float``, negative ones too) are written as numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from .security import CONTROL_CHARS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The characters a form refuses (``security.CONTROL``: C0 controls except tab, line feed and
# carriage return, DEL, the C1 controls, the invisible text-direction overrides and isolates),
# and NUL.
_CONTROL = re.compile(f"[\x00{CONTROL_CHARS}]")


def cell(value: Any) -> Any:
    """``value`` as a safe CSV cell: numbers unchanged, None empty, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = _CONTROL.sub("", str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def render(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """The CSV text of ``header`` and ``rows``, every cell passed through :func:`cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(value) for value in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()
