"""Reading request bodies with a clear sentence for every way they can be wrong."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request
from flask_babel import gettext

from ..errors import ApiError
from ..security import storable

# A client's key for a retried move (the Idempotency-Key header); the OpenAPI document says so.
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

_MISSING = object()


def json_body(required: bool = True) -> dict[str, Any]:
    """The request's JSON object. Raises ApiError 400 (missing or not JSON) or 422 (not an
    object)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ApiError(400, "bad_request", gettext("The request needs a JSON body."))
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_request", gettext("The body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_body", gettext("The JSON body must be an object."))
    return body


def field(
    body: dict[str, Any],
    name: str,
    kind: type,
    *,
    required: bool = False,
    default: Any = None,
    max_length: int | None = None,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """One field of ``body`` checked for type, length and allowed values.

    Raises ApiError 422 (``invalid_field``) with a sentence naming the field.
    """
    value = body.get(name, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise ApiError(
                422, "invalid_field", gettext("The field %(field)s is required.", field=name)
            )
        return default
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        names = {str: gettext("text"), bool: gettext("true or false"), int: gettext("a number")}
        raise ApiError(
            422,
            "invalid_field",
            gettext(
                "The field %(field)s must be %(kind)s.",
                field=name,
                kind=names.get(kind, kind.__name__),
            ),
        )
    if isinstance(value, str) and not storable(value):
        raise ApiError(
            422,
            "invalid_field",
            gettext("The field %(field)s contains characters that cannot be stored.", field=name),
        )
    if max_length is not None and isinstance(value, str) and len(value) > max_length:
        raise ApiError(
            422,
            "invalid_field",
            gettext(
                "The field %(field)s is too long (at most %(max)s characters).",
                field=name,
                max=max_length,
            ),
        )
    if choices is not None and value not in choices:
        raise ApiError(
            422,
            "invalid_field",
            gettext(
                "The field %(field)s must be one of: %(choices)s.",
                field=name,
                choices=", ".join(choices),
            ),
        )
    return value
