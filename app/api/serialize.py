"""The Ticket as the API returns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from .. import domain
from ..domain import shapes
from ..domain.clock import iso
from ..domain.snapshots import counter_ref, waiting_counts
from ..i18n import render_message
from ..models import Counter, Office, Ticket
from ..public_url import track_url


def _next_open(refusal: Any, tz_name: str) -> str | None:
    value = refusal.params.get("next_open") if refusal else None
    return iso(value, tz_name) if isinstance(value, datetime) else None


def services_json(
    session: Session, office: Office, now: datetime, refusals: dict[int, Any] | None = None
) -> list[shapes.Service]:
    """The office's services, whether tickets are issued now (and if not, why and until when),
    and how many wait."""
    if refusals is None:
        refusals = domain.open_services(session, office, now)
    waiting = waiting_counts(session, office.id, domain.local_day(now, office.timezone))
    rows = []
    for s in office.services:
        refusal = refusals[s.id]
        rows.append(
            {
                "code": s.code,
                "name": s.name,
                "name_en": s.name_en,
                "colour": s.colour,
                "produces_card": s.produces_card,
                "open": refusal is None,
                "closed_reason": render_message(refusal.template, refusal.params)
                if refusal
                else None,
                "closed_code": refusal.code if refusal else None,
                "next_open": _next_open(refusal, office.timezone),
                "active": s.active,
                "daily_quota": s.daily_quota,
                "waiting": waiting.get(s.id, 0),
            }
        )
    return rows


def counter_json(counter: Counter) -> shapes.Counter:
    return {
        "id": counter.id,
        "number": counter.number,
        "name": counter.name,
        "services": [link.service.code for link in counter.links],
        "open": counter.is_open,
        "call_order": counter.call_order,
    }


def ticket_json(ticket: Ticket, ahead: int | None, wait_s: int | None) -> shapes.Ticket:
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
        "counter": counter_ref(counter),
        "token": ticket.token,
        "issued_at": iso(ticket.issued_at, tz),
        "called_at": iso(ticket.called_at, tz),
        "ahead": ahead,
        "estimated_wait_s": wait_s,
        "track_url": track_url(ticket.token),
    }
