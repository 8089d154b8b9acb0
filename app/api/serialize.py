"""The Ticket as the API returns it."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from ..models import Counter, Ticket
from ..queue.clock import iso


def track_url(token: str) -> str:
    """The resident's status page: PUBLIC_URL when set, else the address the request came to."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")
    return f"{base}/t/{token}"


def counter_json(counter: Counter) -> dict[str, Any]:
    return {
        "id": counter.id,
        "number": counter.number,
        "name": counter.name,
        "services": [link.service.code for link in counter.links],
        "open": counter.is_open,
        "call_order": counter.call_order,
    }


def ticket_json(ticket: Ticket, ahead: int | None, wait_s: int | None) -> dict[str, Any]:
    tz = ticket.office.timezone
    counter = ticket.counter
    return {
        "id": ticket.id,
        "code": ticket.code,
        "number": ticket.number,
        "office": ticket.office.slug,
        "day": ticket.day.isoformat(),
        "service": ticket.service.code,
        "service_name": ticket.service.name,
        "issued_service": ticket.issued_service.code,
        "status": ticket.status,
        "stage": ticket.stage,
        "block_reason": ticket.block_reason,
        "priority": ticket.priority,
        "counter": (
            {"id": counter.id, "number": counter.number, "name": counter.name} if counter else None
        ),
        "token": ticket.token,
        "issued_at": iso(ticket.issued_at, tz),
        "called_at": iso(ticket.called_at, tz),
        "ahead": ahead,
        "estimated_wait_s": wait_s,
        "track_url": track_url(ticket.token),
    }
