"""Printers: each printer's state and queue, recent jobs with a retry or a cancel in any state,
and a reprint of any ticket by its code."""

from __future__ import annotations

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import domain
from ..auth import staff_page
from ..domain import notices
from ..extensions import db
from ..models import SERVER_PRINTER, Office, PrintJob, Ticket
from ..print_jobs import printer_states
from ..print_jobs.by_hand import cancel_job, retry_job
from ..print_jobs.tickets import reprint_by_code
from ..sms import enabled as sms_enabled
from ..sms import reason_text
from .blueprint import bp, office_in_scope, saved

RECENT = 30


def _page(office: Office, status: int = 200, error: str | None = None, query: str = ""):
    states = printer_states(db.session, office.id)
    jobs = db.session.execute(
        select(PrintJob, Ticket.code, Ticket.day)
        .join(Ticket, Ticket.id == PrintJob.ticket_id)
        .where(PrintJob.office_id == office.id)
        .order_by(PrintJob.id.desc())
        .limit(RECENT)
    ).all()
    sms = notices.counts(db.session, office, domain.utcnow()) if sms_enabled(current_app) else None
    page = render_template(
        "admin/printers.html",
        sms=sms,
        sms_reason=reason_text,
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
    if not query:
        return _page(
            office, 400, gettext("Type the code of the ticket to print again, e.g. A-007."), query
        )
    reprinted = reprint_by_code(
        db.session, office, query, now=domain.utcnow(), actor=g.actor, target=target
    )
    if reprinted is None:
        return _page(
            office,
            400,
            gettext("No ticket %(code)s today. Type the code as printed, e.g. A-007.", code=query),
            query,
        )
    ticket, _job = reprinted
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
    queued = retry_job(db.session, office.id, job_id, now=domain.utcnow(), actor=g.actor)
    if queued is None:
        db.session.rollback()
        saved(gettext("That print job is not in this office's list any more."))
        return redirect(url_for("admin.printers", office=office.slug))
    db.session.commit()
    saved(gettext("The job is queued again."))
    return redirect(url_for("admin.printers", office=office.slug))


@bp.post("/<office>/printers/jobs/<id:job_id>/cancel")
@staff_page("admin")
def printer_cancel(slug: str, job_id: int) -> Response:
    """Take a job that has not printed off its printer's queue (e.g. its owner has gone)."""
    office = office_in_scope(slug)
    if not cancel_job(db.session, office.id, job_id, now=domain.utcnow(), actor=g.actor):
        db.session.rollback()
        saved(gettext("That job has already printed or ended."))
        return redirect(url_for("admin.printers", office=office.slug))
    db.session.commit()
    saved(gettext("The job is cancelled; it will not print."))
    return redirect(url_for("admin.printers", office=office.slug))
