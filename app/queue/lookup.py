"""Loading the things a request names, with a sentence when they do not exist."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..models import Counter, Office, Service, Ticket
from .errors import N_, InvalidInput, NotFound

_OFFICE_BY_SLUG = select(Office).where(Office.slug == bindparam("slug"))
_SERVICE_BY_CODE = select(Service).where(
    Service.office_id == bindparam("office_id"), Service.code == bindparam("code")
)


def office_by_slug(session: Session, slug: str) -> Office:
    """The office with ``slug``. Raises NotFound."""
    office = session.scalar(_OFFICE_BY_SLUG, {"slug": slug})
    if office is None:
        raise NotFound(N_("There is no office called %(office)s."), office=slug)
    return office


def service_by_code(session: Session, office: Office, code: str) -> Service:
    """The service ``code`` of ``office``. Raises InvalidInput (``unknown_service``)."""
    service = session.scalar(_SERVICE_BY_CODE, {"office_id": office.id, "code": code})
    if service is None:
        raise InvalidInput(
            N_("Office %(office)s has no service %(service)s."),
            error_code="unknown_service",
            office=office.slug,
            service=code,
        )
    return service


_COUNTER = select(Counter).where(Counter.id == bindparam("id"))
_COUNTER_LOCKED = _COUNTER.with_for_update().execution_options(populate_existing=True)
_TICKET = select(Ticket).where(Ticket.id == bindparam("id"))
_TICKET_LOCKED = _TICKET.with_for_update().execution_options(populate_existing=True)
_TICKET_BY_TOKEN = select(Ticket).where(Ticket.token == bindparam("token"))


def counter_by_id(session: Session, counter_id: int, lock: bool = False) -> Counter:
    """The counter with ``counter_id``; ``lock`` holds its row until commit. Raises NotFound."""
    counter = session.scalar(_COUNTER_LOCKED if lock else _COUNTER, {"id": counter_id})
    if counter is None:
        raise NotFound(N_("There is no counter with id %(id)s."), id=counter_id)
    return counter


def ticket_by_id(session: Session, ticket_id: int, lock: bool = False) -> Ticket:
    """The ticket with ``ticket_id``; ``lock`` holds its row until commit. Raises NotFound."""
    ticket = session.scalar(_TICKET_LOCKED if lock else _TICKET, {"id": ticket_id})
    if ticket is None:
        raise NotFound(N_("There is no ticket with id %(id)s."), id=ticket_id)
    return ticket


def ticket_by_token(session: Session, token: str) -> Ticket:
    """The ticket whose public token is ``token``. Raises NotFound."""
    ticket = None
    if 8 <= len(token) <= 64:
        ticket = session.scalar(_TICKET_BY_TOKEN, {"token": token})
    if ticket is None:
        raise NotFound(
            N_("No ticket matches this link; check that it was copied completely."),
            error_code="unknown_token",
        )
    return ticket
