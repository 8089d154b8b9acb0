"""Reading request bodies with a clear sentence for every way they can be wrong."""

from __future__ import annotations

import json
import re
from typing import Any, Literal, TypeVar, get_args, get_origin

from flask import request
from flask_babel import gettext
from pydantic import ValidationError

from ..domain.shapes import IDEMPOTENCY_PATTERN, Body
from ..errors import ApiError
from ..security import storable

# A client's key for a retried move (the Idempotency-Key header); the OpenAPI document says so.
IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_PATTERN)


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


B = TypeVar("B", bound=Body)


def parse_body(model: type[B], required: bool = True) -> B:
    """The request's JSON body as ``model`` (one of ``app.domain.shapes``' bodies).

    Raises ApiError 400 (missing or not JSON), 422 ``invalid_body`` (not an object) or 422
    ``invalid_field`` with a sentence naming the first field that is wrong."""
    body = json_body(required)
    for name in model.model_fields:
        value = body.get(name)
        if isinstance(value, str) and not storable(value):
            raise ApiError(
                422,
                "invalid_field",
                gettext(
                    "The field %(field)s contains characters that cannot be stored.", field=name
                ),
            )
    try:
        return model.model_validate(body)
    except ValidationError as err:
        raise ApiError(422, "invalid_field", _sentence(model, err.errors()[0], body)) from None


def _choices(annotation: Any) -> tuple[str, ...]:
    """The allowed values of a Literal field (also inside ``X | None``)."""
    if get_origin(annotation) is Literal:
        return tuple(get_args(annotation))
    return tuple(value for arg in get_args(annotation) for value in _choices(arg))


def _sentence(model: type[Body], error: Any, body: dict[str, Any]) -> str:
    name = str(error["loc"][0]) if error["loc"] else "?"
    kind = error["type"]
    if kind == "missing" or (name in body and body[name] is None):
        return gettext("The field %(field)s is required.", field=name)
    if kind == "string_too_long":
        return gettext(
            "The field %(field)s is too long (at most %(max)s characters).",
            field=name,
            max=error["ctx"]["max_length"],
        )
    if kind == "literal_error":
        choices = _choices(model.model_fields[name].annotation)
        return gettext(
            "The field %(field)s must be one of: %(choices)s.",
            field=name,
            choices=", ".join(choices),
        )
    if kind == "string_pattern_mismatch" and name == "idempotency_key":
        return idempotency_key_sentence()
    names = {
        "string_type": gettext("text"),
        "bool_type": gettext("true or false"),
        "int_type": gettext("a number"),
    }
    return gettext(
        "The field %(field)s must be %(kind)s.", field=name, kind=names.get(kind, gettext("text"))
    )


def idempotency_key_sentence() -> str:
    return gettext("An idempotency key is 8 to 64 letters, digits, hyphens or underscores.")
