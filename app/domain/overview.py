"""The public "which office, when" overview: every office, whether it issues numbers now or when
it opens next, and each service's people waiting and estimated wait for someone arriving now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Office
from .booking import bookable_services
from .clock import local_day
from .estimate import service_rate
from .schedule import Window, load_calendar, open_services
from .snapshots import waiting_counts


@dataclass(frozen=True)
class ServiceNow:
    code: str
    name: str
    name_en: str | None
    open: bool
    waiting: int
    estimated_wait_s: int | None
    bring: str
    bookable: bool


@dataclass(frozen=True)
class OfficeNow:
    office: Office
    open_now: bool
    # While open: today's window (closes_at is its end); while closed: the next one, if any.
    window: Window | None
    opens_at: datetime | None
    services: list[ServiceNow]


def office_now(session: Session, office: Office, now: datetime) -> OfficeNow:
    refusals = open_services(session, office, now)
    waiting = waiting_counts(session, office.id, local_day(now, office.timezone))
    bookable = {service.id for service, _plan in bookable_services(session, office)}
    services = []
    for service in office.services:
        if not service.active:
            continue
        is_open = refusals[service.id] is None
        count = waiting.get(service.id, 0)
        services.append(
            ServiceNow(
                code=service.code,
                name=service.name,
                name_en=service.name_en,
                open=is_open,
                waiting=count,
                estimated_wait_s=service_rate(session, service, now).wait_s(count)
                if is_open
                else None,
                bring=service.bring or "",
                bookable=service.id in bookable,
            )
        )
    open_now = any(s.open for s in services)
    calendar = load_calendar(session, office, now)
    today = local_day(now, office.timezone)
    window, opens_at = None, None
    if office.always_open:
        window = None
    elif open_now:
        window = calendar.window(today)
    else:
        # The earliest moment a service of the office issues again (each refusal knows it:
        # a quota used up today waits for the next day, not for this afternoon).
        moments = [
            r.params["next_open"]
            for s in office.services
            if s.active and (r := refusals[s.id]) is not None and r.params.get("next_open")
        ]
        if moments:
            opens_at = min(moments)
            window = calendar.window(opens_at.date())
    return OfficeNow(office, open_now, window, opens_at, services)


def overview(session: Session, now: datetime) -> list[OfficeNow]:
    """Every office by name."""
    offices = session.scalars(select(Office).order_by(Office.name)).all()
    return [office_now(session, office, now) for office in offices]
