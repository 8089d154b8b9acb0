"""An administrator moving a print job by hand: print it now (whatever its state), or take it
off its printer's queue. Both are audited and wake the printer after the commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..domain.access import Actor
from ..domain.audit import record_change
from ..domain.events import PrintQueued, record
from ..models import IS_OPEN_JOB, PrintJob

CANCELLED = "cancelled by an administrator"


def retry_job(
    session: Session, office_id: int, job_id: int, *, now: datetime, actor: Actor
) -> int | None:
    """Print job ``job_id`` of the office now, and return the id of the job that will print
    (None: no such job in this office). One that gave up or waits for its next attempt is tried
    at once with a fresh count; one stuck "printing" goes back to the queue; one already printed
    is printed again as a copy."""
    job = session.scalar(
        select(PrintJob).where(PrintJob.id == job_id, PrintJob.office_id == office_id)
    )
    if job is None:
        return None
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
            requested_by_id=actor.user_id,
        )
        session.add(copy)
        session.flush()
        queued = copy.id
    else:
        session.execute(
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
    record(session, PrintQueued(office_id, queued, job.target))
    record_change(
        session, actor, now, "print.retry", f"job {job_id}", {"job": [None, queued]}, office_id
    )
    return queued


def cancel_job(
    session: Session, office_id: int, job_id: int, *, now: datetime, actor: Actor
) -> bool:
    """Take a job that has not printed off its printer's queue (e.g. its owner has gone);
    False when it has printed or ended already (or is not this office's)."""
    cancelled = session.execute(
        update(PrintJob)
        .where(PrintJob.id == job_id, PrintJob.office_id == office_id, IS_OPEN_JOB)
        .values(status="failed", claimed_at=None, last_error=CANCELLED),
        execution_options={"synchronize_session": False},
    ).rowcount
    if cancelled:
        record_change(session, actor, now, "print.cancel", f"job {job_id}", None, office_id)
    return bool(cancelled)
