"""Validating JSON against the OpenAPI document's schemas (JSON Schema 2020-12)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from app.api.openapi import spec


@cache
def _validator(name: str) -> Draft202012Validator:
    document = spec()
    root = {"components": document["components"], "$ref": f"#/components/schemas/{name}"}
    return Draft202012Validator(root)


def check(name: str, instance: Any) -> None:
    """Raise jsonschema.ValidationError unless ``instance`` is a valid ``name``."""
    _validator(name).validate(instance)
