"""Loading the things a request names, with a sentence when they do not exist."""

from __future__ import annotations

import re

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..models import Counter, Office, Service, Ticket, as_loaded, sql_constant
from .access import Actor, require
from .errors import N_, InvalidInput, NotFound

_OFFICE_BY_SLUG = select(Office).where(Office.slug == bindparam("office_slug"))
_services = Service.__table__
# Every column, read by Core and made an instance by ``as_loaded`` (cheaper than an ORM load).
_SERVICE_BY_CODE = select(_services).where(
    _services.c.office_id == bindparam("office_id"), _services.c.code == bindparam("code")
)


def office_by_slug(session: Session, slug: str) -> Office:
    """The office with ``slug``. Raises NotFound."""
    office = session.scalar(_OFFICE_BY_SLUG, {"office_slug": slug})
    if office is None:
        raise NotFound(N_("There is no office called %(office)s."), office=slug)
    return office


def offices_of(session: Session, actor: Actor) -> list[Office]:
    """The offices ``actor`` covers (one, or every office for an actor of none), by name."""
    stmt = select(Office).order_by(Office.name)
    if actor.office_id is not None:
        stmt = stmt.where(Office.id == actor.office_id)
    return list(session.scalars(stmt))


def office_for(session: Session, actor: Actor, slug: str, permission: str) -> Office:
    """The office ``slug``, if ``actor`` may use ``permission`` there. The role is checked
    before the lookup (a caller without it learns nothing of which offices exist), the office
    after. Raises Forbidden or NotFound."""
    require(actor, permission)
    office = office_by_slug(session, slug)
    require(actor, permission, office.id)
    return office


def ticket_for(session: Session, actor: Actor, ticket_id: int, permission: str) -> Ticket:
    """The ticket ``ticket_id``, if ``actor`` may use ``permission`` in its office (checked as
    in ``office_for``). Raises Forbidden or NotFound."""
    require(actor, permission)
    ticket = ticket_by_id(session, ticket_id)
    require(actor, permission, ticket.office_id)
    return ticket


def service_by_code(session: Session, office: Office, code: str) -> Service:
    """The service ``code`` of ``office``. Raises InvalidInput (``unknown_service``)."""
    row = (
        session.connection()
        .execute(_SERVICE_BY_CODE, {"office_id": office.id, "code": code})
        .mappings()
        .first()
    )
    if row is None:
        raise InvalidInput(
            N_("Office %(office)s has no service %(service)s."),
            error_code="unknown_service",
            office=office.slug,
            service=code,
        )
    return as_loaded(session, Service, dict(row))


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


_CODE = re.compile(r"^\s*([A-Za-z])\s*-?\s*(\d{1,5})\s*$")
_TOKEN_IN_URL = re.compile(r"/t/([A-Za-z0-9_-]{8,64})")
_OPEN_CARD = ("ready_to_print", "printed", "blocked")


def find_tickets(session: Session, office: Office, query: str, today: object) -> list[Ticket]:
    """Tickets of ``office`` that ``query`` names: a code as typed ("A-007", "a7"), or a status
    link as a QR scanner types it (".../t/<token>"), or a bare token. A code matches today's
    ticket and cards still in production from earlier days (codes repeat every day), newest
    first."""
    query = (query or "").strip()[:200]
    url = _TOKEN_IN_URL.search(query)
    if url or (8 <= len(query) <= 64 and not _CODE.match(query)):
        token = url.group(1) if url else query
        ticket = session.scalar(select(Ticket).where(Ticket.token == token))
        return [ticket] if ticket is not None and ticket.office_id == office.id else []
    match = _CODE.match(query)
    if not match:
        return []
    code = f"{match.group(1).upper()}-{int(match.group(2)):03d}"
    rows = session.scalars(
        select(Ticket).where(
            Ticket.office_id == office.id, Ticket.code == code, Ticket.day == today
        )
    ).all()
    rows += session.scalars(
        select(Ticket).where(
            Ticket.office_id == office.id,
            Ticket.stage.in_([sql_constant(s) for s in _OPEN_CARD]),
            Ticket.code == code,
            Ticket.day != today,
        )
    ).all()
    return sorted(rows, key=lambda t: t.day, reverse=True)
