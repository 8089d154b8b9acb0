"""What the URLs carry, as views receive it.

- ``<id:...>``: a positive database id; anything else (or too large for the column) is a plain
  404 before any view runs.
- ``<office>``: the office's slug, the name the contract gives it in every URL
  (``/kiosk/{office}``, ``/api/v1/offices/{office}/board``). Views receive it as ``slug`` and call
  the Office they look up with it ``office``; ``url_for(..., office=...)`` builds URLs as before.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import BaseConverter, ValidationError

MAX_ID = 2**31 - 1


class IdConverter(BaseConverter):
    """A positive database id; anything else (or too large for the column) is a plain 404."""

    regex = r"[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


def office_slug(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """The URL's ``office`` reaches the view as ``slug``."""
    if values is not None and "office" in values:
        values["slug"] = values.pop("office")


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.url_value_preprocessor(office_slug)
