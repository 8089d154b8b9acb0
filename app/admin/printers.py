"""Printers: each printer's state and queue, recent jobs with a retry or a cancel in any state,
and a reprint of any ticket by its code."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from .. import domain
from ..audit import record_change
from ..auth import staff_page
from ..extensions import db
from ..models import SERVER_PRINTER, Office, PrintJob, Ticket
from ..print_jobs import printer_states, queue_paper
from .blueprint import bp, office_in_scope, saved

RECENT = 30
CANCELLED = "cancelled by an administrator"


def _page(office: Office, status: int = 200, error: str | None = None, query: str = ""):
    states = printer_states(db.session, office.id)
    jobs = db.session.execute(
        select(PrintJob, Ticket.code, Ticket.day)
        .join(Ticket, Ticket.id == PrintJob.ticket_id)
        .where(PrintJob.office_id == office.id)
        .order_by(PrintJob.id.desc())
        .limit(RECENT)
    ).all()
    page = render_template(
        "admin/printers.html",
        office=office,
        states=states,
        jobs=jobs,
        error=error,
        query=query,
        tz=office.timezone,
        targets=[s["target"] for s in states],
    )
    return page, status


@bp.get("/<office>/printers")
@staff_page("admin")
def printers(slug: str) -> tuple[str, int]:
    return _page(office_in_scope(slug))


@bp.post("/<office>/printers/reprint")
@staff_page("admin")
def printer_reprint(slug: str) -> Response | tuple[str, int]:
    """Print a ticket again: today's ticket with that code, or a card still in production."""
    office = office_in_scope(slug)
    query = (request.form.get("code") or "").strip()[:40]
    target = request.form.get("target") or SERVER_PRINTER
    if target not in {s["target"] for s in printer_states(db.session, office.id)}:
        return _page(office, 400, gettext("Choose one of this office's printers."), query)
    now = domain.utcnow()
    today = domain.local_day(now, office.timezone)
    found_tickets = domain.find_tickets(db.session, office, query, today) if query else []
    if not found_tickets:
        return _page(
            office,
            400,
            gettext(
                "No ticket %(code)s today. Type the code as printed, e.g. A-007.", code=query or "—"
            ),
            query,
        )
    ticket = found_tickets[0]
    job = queue_paper(
        db.session,
        ticket,
        target=target,
        now=now,
        requested_by=g.actor.user_id,
        kind="reprint",
    )
    record_change(
        db.session,
        g.actor,
        now,
        "ticket.reprint",
        ticket.code,
        {"job": [None, job.id], "printer": [None, target]},
        office.id,
    )
    db.session.commit()
    saved(gettext("%(code)s is queued for printing again.", code=ticket.code))
    return redirect(url_for("admin.printers", office=office.slug))


@bp.post("/<office>/printers/jobs/<id:job_id>/retry")
@staff_page("admin")
def printer_retry(slug: str, job_id: int) -> Response:
    """Print a job now, whatever its state: one that gave up or waits for its next attempt is
    tried at once with a fresh count; one stuck "printing" goes back to the queue; one already
    printed is printed again as a copy."""
    office = office_in_scope(slug)
    now = domain.utcnow()
    job = db.session.scalar(
        select(PrintJob).where(PrintJob.id == job_id, PrintJob.office_id == office.id)
    )
    if job is None:
        db.session.rollback()
        saved(gettext("That print job is not in this office's list any more."))
        return redirect(url_for("admin.printers", office=office.slug))
    if job.status == "printed":
        copy = PrintJob(
            office_id=job.office_id,
            ticket_id=job.ticket_id,
            target=job.target,
            kind="reprint",
            status="pending",
            payload=job.payload,
            attempts=0,
            created_at=now,
            requested_by_id=g.actor.user_id,
        )
        db.session.add(copy)
        db.session.flush()
        queued = copy.id
    else:
        db.session.execute(
            update(PrintJob)
            .where(PrintJob.id == job.id)
            .values(
                status="pending",
                next_attempt_at=None,
                claimed_at=None,
                attempts=0,
                # A job that gave up after half an hour would give up again at once; asked for
                # by staff, it has a reprint's time to print (not an arrival ticket's minutes).
                created_at=now,
                kind="reprint",
            ),
            execution_options={"synchronize_session": False},
        )
        queued = job.id
    domain.events.record(db.session, domain.events.PrintQueued(office.id, queued, job.target))
    record_change(
        db.session, g.actor, now, "print.retry", f"job {job_id}", {"job": [None, queued]}, office.id
    )
    db.session.commit()
    saved(gettext("The job is queued again."))
    return redirect(url_for("admin.printers", office=office.slug))


@bp.post("/<office>/printers/jobs/<id:job_id>/cancel")
@staff_page("admin")
def printer_cancel(slug: str, job_id: int) -> Response:
    """Take a job that has not printed off its printer's queue (e.g. its owner has gone)."""
    office = office_in_scope(slug)
    now = domain.utcnow()
    cancelled = db.session.execute(
        update(PrintJob)
        .where(
            PrintJob.id == job_id,
            PrintJob.office_id == office.id,
            PrintJob.status.in_(("pending", "printing")),
        )
        .values(status="failed", claimed_at=None, last_error=CANCELLED),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not cancelled:
        db.session.rollback()
        saved(gettext("That job has already printed or ended."))
        return redirect(url_for("admin.printers", office=office.slug))
    record_change(db.session, g.actor, now, "print.cancel", f"job {job_id}", None, office.id)
    db.session.commit()
    saved(gettext("The job is cancelled; it will not print."))
    return redirect(url_for("admin.printers", office=office.slug))
