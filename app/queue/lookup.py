"""Loading the things a request names, with a sentence when they do not exist."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Counter, Office, Service, Ticket
from .errors import N_, InvalidInput, NotFound


def office_by_slug(session: Session, slug: str) -> Office:
    """The office with ``slug``. Raises NotFound."""
    office = session.scalar(select(Office).where(Office.slug == slug))
    if office is None:
        raise NotFound(N_("There is no office called %(office)s."), office=slug)
    return office


def service_by_code(session: Session, office: Office, code: str) -> Service:
    """The service ``code`` of ``office``. Raises InvalidInput (``unknown_service``)."""
    service = session.scalar(
        select(Service).where(Service.office_id == office.id, Service.code == code)
    )
    if service is None:
        raise InvalidInput(
            N_("Office %(office)s has no service %(service)s."),
            error_code="unknown_service",
            office=office.slug,
            service=code,
        )
    return service


def counter_by_id(session: Session, counter_id: int, lock: bool = False) -> Counter:
    """The counter with ``counter_id``; ``lock`` holds its row until commit. Raises NotFound."""
    stmt = select(Counter).where(Counter.id == counter_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    counter = session.scalar(stmt)
    if counter is None:
        raise NotFound(N_("There is no counter with id %(id)s."), id=counter_id)
    return counter


def ticket_by_id(session: Session, ticket_id: int, lock: bool = False) -> Ticket:
    """The ticket with ``ticket_id``; ``lock`` holds its row until commit. Raises NotFound."""
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    ticket = session.scalar(stmt)
    if ticket is None:
        raise NotFound(N_("There is no ticket with id %(id)s."), id=ticket_id)
    return ticket


def ticket_by_token(session: Session, token: str) -> Ticket:
    """The ticket whose public token is ``token``. Raises NotFound."""
    ticket = None
    if 8 <= len(token) <= 64:
        ticket = session.scalar(select(Ticket).where(Ticket.token == token))
    if ticket is None:
        raise NotFound(
            N_("No ticket matches this link; check that it was copied completely."),
            error_code="unknown_token",
        )
    return ticket
