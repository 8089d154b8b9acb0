"""Recording administrative changes: who, when, from which address, what changed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..models import AuditEvent
from .access import Actor


def changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set ``values`` on ``obj`` and return {field: [old, new]} for those that changed."""
    changed = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changed[name] = [_plain(old), _plain(new)]
            setattr(obj, name, new)
    return changed


def create_or_change(
    session: Session, obj: Any, make: Any, values: dict[str, Any]
) -> tuple[Any, dict[str, list[Any]], bool]:
    """Change ``obj`` to ``values``, or when it is None add ``make(**values)``.

    Returns (the object, {field: [old, new]}, whether it was created)."""
    if obj is None:
        obj = make(**values)
        session.add(obj)
        return obj, {k: [None, _plain(v)] for k, v in values.items()}, True
    return obj, changes(obj, values), False


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def record_change(
    session: Session,
    actor: Actor,
    now: datetime,
    action: str,
    target: str,
    details: dict[str, Any] | None = None,
    office_id: int | None = None,
) -> None:
    """Append one audit event (nothing is written for an empty change)."""
    if details is not None and not details:
        return
    session.add(
        AuditEvent(
            at=now,
            user_id=actor.user_id,
            office_id=office_id,
            action=action,
            target=target[:120],
            details=json.dumps(details or {}, default=str),
            remote_addr=actor.remote_addr,
        )
    )
