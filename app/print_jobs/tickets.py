"""The use cases that make a ticket and its paper, one function each, so every view that issues
or reprints is: parse, one call, commit, reply. The domain move comes first; its paper is queued
in the same transaction (printed after the commit, never delaying the ticket)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from .. import domain
from ..domain.access import Actor
from ..domain.audit import record_change
from ..models import Office, PrintJob, Ticket
from .paper import queue_paper


def issue_with_paper(
    session: Session,
    slug: str,
    service: str,
    *,
    priority: bool,
    paper: bool,
    now: datetime,
    actor: Actor,
    target: str,
    idempotency_key: str | None = None,
) -> tuple[Ticket, PrintJob | None, bool]:
    """Issue a ticket (a repeated idempotency key gives the first one back) and, when ``paper``,
    queue its paper on ``target``. Returns (ticket, its new paper's job or None, True when the
    request was a repeat). Raises what ``domain.issue_once`` raises."""
    ticket, repeated = domain.issue_once(
        session,
        slug,
        service.strip().upper(),
        priority=priority,
        now=now,
        actor=actor,
        idempotency_key=idempotency_key,
    )
    job = None
    if paper and not repeated:
        job = queue_paper(session, ticket, target=target, now=now, requested_by=actor.user_id)
    return ticket, job, repeated


def check_in_with_paper(
    session: Session, slug: str, key: str, *, now: datetime, actor: Actor, target: str
) -> tuple[Ticket, PrintJob]:
    """Check a booking in (by its typed code or scanned link) and queue its ticket's paper.
    Raises what ``domain.booking.check_in`` raises."""
    ticket, _booking = domain.booking.check_in(session, slug, key, now=now, actor=actor)
    job = queue_paper(session, ticket, target=target, now=now, requested_by=actor.user_id)
    return ticket, job


def issue_group_with_paper(
    session: Session,
    slug: str,
    service: str,
    count: int,
    *,
    now: datetime,
    actor: Actor,
    target: str,
) -> list[Ticket]:
    """A block of consecutive tickets for a group, each with its paper, audited as one."""
    tickets = domain.issue_group(session, slug, service, count, now=now, actor=actor)
    for ticket in tickets:
        queue_paper(session, ticket, target=target, now=now, requested_by=actor.user_id)
    record_change(
        session,
        actor,
        now,
        "ticket.group",
        f"{tickets[0].code}..{tickets[-1].code}",
        {"count": [None, len(tickets)]},
        tickets[0].office_id,
    )
    return tickets


def reprint(
    session: Session, ticket_id: int, *, now: datetime, actor: Actor, target: str
) -> tuple[Ticket, PrintJob]:
    """Print a ticket again (a kiosk, or staff of its office). Raises Forbidden, NotFound."""
    ticket = domain.ticket_for(session, actor, ticket_id, "reprint")
    job = queue_paper(
        session, ticket, target=target, now=now, requested_by=actor.user_id, kind="reprint"
    )
    return ticket, job


def reprint_by_code(
    session: Session, office: Office, code: str, *, now: datetime, actor: Actor, target: str
) -> tuple[Ticket, PrintJob] | None:
    """An administrator prints a ticket again by its code on one of the office's printers:
    today's ticket with that code, or a card still in production; None when there is none."""
    today = domain.local_day(now, office.timezone)
    found = domain.find_tickets(session, office, code, today) if code else []
    if not found:
        return None
    ticket = found[0]
    job = queue_paper(
        session, ticket, target=target, now=now, requested_by=actor.user_id, kind="reprint"
    )
    record_change(
        session,
        actor,
        now,
        "ticket.reprint",
        ticket.code,
        {"job": [None, job.id], "printer": [None, target]},
        office.id,
    )
    return ticket, job
