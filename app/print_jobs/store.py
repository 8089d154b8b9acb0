"""Print jobs in the database: the spooler's job store, each job's deadline, the printers'
last known states, and a job as the API shows it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import Engine, bindparam, case, select, update
from sqlalchemy.orm import Session

from printer.spooler import Job

from ..db import reading
from ..domain import shapes
from ..extensions import db
from ..models import IS_OPEN_JOB, OPEN_JOB_STATUSES, SERVER_PRINTER, PrinterState, PrintJob

LEASE = timedelta(seconds=60)  # a job "printing" for longer than this was abandoned
OPEN = OPEN_JOB_STATUSES
CUT_OFF_LIMIT = 3  # a job cut off by this many restarts fails instead of printing again

_LATEST = (
    select(PrintJob)
    .where(PrintJob.ticket_id == bindparam("ticket_id"))
    .order_by(PrintJob.id.desc())
    .limit(1)
)


def latest_job(session: Session, ticket_id: int) -> PrintJob | None:
    return session.scalar(_LATEST, {"ticket_id": ticket_id})


def job_json(job: PrintJob | None) -> shapes.PrintStatus | None:
    if job is None:
        return None
    return {
        "job": job.id,
        "status": job.status,
        "attempts": job.attempts,
        "error": job.last_error,
        "target": job.target,
    }


def server_state_key(office_id: int) -> str:
    """The ``printer_states`` row of the server printer of one office (each office's server
    jobs have their own spooler, so each has its own state)."""
    return f"{SERVER_PRINTER}:{office_id}"


def paper_deadline(config: Any, kind: str, created_at: datetime) -> datetime:
    """When a job's paper is of no use any more: an arrival ticket after
    ``ARRIVAL_PAPER_MINUTES`` (its owner has gone on without it; staff can reprint), a reprint
    after ``PRINT_EXPIRE``."""
    return created_at + paper_lifetime(config, kind)


def paper_lifetime(config: Any, kind: str) -> timedelta:
    """How long a job of ``kind`` may wait for its paper (see ``paper_deadline``)."""
    if kind == "ticket":
        return timedelta(minutes=config["ARRIVAL_PAPER_MINUTES"])
    return config["PRINT_EXPIRE"]


def save_state(
    session: Session,
    target: str,
    online: bool,
    error: str | None,
    now: datetime,
    office_id: int | None = None,
) -> None:
    state = session.get(PrinterState, target)
    if state is None:
        state = PrinterState(target=target, office_id=office_id)
        session.add(state)
    state.online = online
    state.last_attempt_at = now
    state.updated_at = now
    if online:
        state.last_ok_at = now
        state.last_error = None
    elif error:
        state.last_error = error[:500]


# What the spooler needs of a job (the head is read as plain columns).
_JOB_COLUMNS = (
    PrintJob.id,
    PrintJob.payload,
    PrintJob.attempts,
    PrintJob.created_at,
    PrintJob.next_attempt_at,
    PrintJob.kind,
)


def _as_job(row: Any, config: Any) -> Job:
    return Job(
        id=row.id,
        payload=json.loads(row.payload),
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        name=f"{row.created_at:%Y%m%d-%H%M%S}-{row.id}",
        expires_at=paper_deadline(config, row.kind, row.created_at),
    )


# The spooler's statements, built once: building them a job cost more than running them.
_HEAD = (
    select(*_JOB_COLUMNS)
    .where(PrintJob.target == bindparam("target"), IS_OPEN_JOB)
    .order_by(PrintJob.id)
    .limit(1)
)
_HEAD_OF_OFFICE = _HEAD.where(PrintJob.office_id == bindparam("office_id"))
_CLAIM = (
    update(PrintJob)
    .where(
        PrintJob.id == bindparam("job"),
        (PrintJob.status == "pending")
        | ((PrintJob.status == "printing") & (PrintJob.claimed_at < bindparam("stale"))),
    )
    .values(status="printing", claimed_at=bindparam("now"), attempts=PrintJob.attempts + 1)
)


# The head taken in one statement when it can print now (the spooler's usual case while a queue
# drains): open, not waiting for a retry, not past its paper deadline (``paper_deadline`` as two
# cut-offs: arrival tickets and the rest), not tried too often, and not held by a live claim.
# Anything else is left to the head/claim path, which says why it waits or fails.
# (Its parameters are not named after columns: an UPDATE keeps those names for its SET values.)
def _take_statement(of_office: bool) -> Any:
    head = (
        select(PrintJob.id)
        .where(PrintJob.target == bindparam("head_target"), IS_OPEN_JOB)
        .order_by(PrintJob.id)
        .limit(1)
    )
    if of_office:
        head = head.where(PrintJob.office_id == bindparam("head_office"))
    return (
        update(PrintJob)
        .where(
            PrintJob.id == head.scalar_subquery(),
            (PrintJob.next_attempt_at.is_(None))
            | (PrintJob.next_attempt_at <= bindparam("now", type_=PrintJob.next_attempt_at.type)),
            ((PrintJob.kind == "ticket") & (PrintJob.created_at > bindparam("ticket_cut")))
            | ((PrintJob.kind != "ticket") & (PrintJob.created_at > bindparam("other_cut"))),
            PrintJob.attempts < bindparam("max_attempts"),
            (PrintJob.status == "pending")
            | ((PrintJob.status == "printing") & (PrintJob.claimed_at < bindparam("stale"))),
        )
        .values(status="printing", claimed_at=bindparam("now"), attempts=PrintJob.attempts + 1)
        .returning(*_JOB_COLUMNS)
    )


_TAKE = _take_statement(of_office=False)
_TAKE_OF_OFFICE = _take_statement(of_office=True)
_UNCLAIM = (
    update(PrintJob)
    .where(
        PrintJob.target == bindparam("u_target"),
        PrintJob.status == "printing",
        PrintJob.claimed_at == bindparam("u_claimed", type_=PrintJob.claimed_at.type),
    )
    .values(
        status="pending",
        claimed_at=None,
        attempts=case((PrintJob.attempts > 0, PrintJob.attempts - 1), else_=0),
    )
)
_UNCLAIM_OF_OFFICE = _UNCLAIM.where(PrintJob.office_id == bindparam("u_office"))
_DONE = (
    update(PrintJob)
    .where(PrintJob.id == bindparam("job"))
    .values(status="printed", printed_at=bindparam("now"), last_error=None)
)


class DatabaseJobs:
    """The spooler's JobStore: jobs in ``print_jobs``, each call in its own short transaction.
    With ``office_id``, only that office's jobs: each office's queue goes on by itself.

    A job's three steps (the head, its claim, done) are plain statements on the engine's
    connection: no app context or ORM session is made for them, as the spooler runs them for
    every ticket."""

    def __init__(self, app: Flask, office_id: int | None = None) -> None:
        self.app = app
        self.office_id = office_id
        self._engine: Engine | None = None

    def _session(self) -> Session:
        return Session(db.engine)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        return self._engine

    def _mine(self, target: str) -> Any:
        where = PrintJob.target == target
        if self.office_id is not None:
            where = where & (PrintJob.office_id == self.office_id)
        return where

    def head(self, target: str) -> Job | None:
        params = {"target": target, "office_id": self.office_id}
        with reading(), self.engine.connect() as conn:
            row = conn.execute(_HEAD if self.office_id is None else _HEAD_OF_OFFICE, params).first()
        return _as_job(row, self.app.config) if row is not None else None

    def take(self, target: str, now: datetime, max_attempts: int) -> Job | None:
        """Claim the head in one statement when it can print now; None otherwise (nothing
        queued, or a head that must wait or fail: the spooler's head/claim path sees to it).
        The Job's ``attempts`` are those before this claim, as ``head`` gives them."""
        with self.engine.begin() as conn:
            return self._take(conn, target, now, max_attempts)

    def done_and_take(self, job: Job, now: datetime, target: str, max_attempts: int) -> Job | None:
        """``done(job)`` and ``take`` of the next, in one transaction (the spooler's step while
        a queue drains)."""
        with self.engine.begin() as conn:
            conn.execute(_DONE, {"job": job.id, "now": now})
            return self._take(conn, target, now, max_attempts)

    def _take(self, conn: Any, target: str, now: datetime, max_attempts: int) -> Job | None:
        config = self.app.config
        params = {
            "head_target": target,
            "head_office": self.office_id,
            "now": now,
            "stale": now - LEASE,
            "ticket_cut": now - paper_lifetime(config, "ticket"),
            "other_cut": now - paper_lifetime(config, "reprint"),
            "max_attempts": max_attempts,
        }
        row = conn.execute(_TAKE if self.office_id is None else _TAKE_OF_OFFICE, params).first()
        if row is None:
            return None
        taken = _as_job(row, config)
        taken.attempts -= 1
        return taken

    def release(self, target: str) -> int:
        """Put the jobs of ``target`` left "printing" back in the queue; how many there were.
        The CUT_OFF_LIMIT-th restart that finds a job "printing" fails it instead (it may be what
        stops us)."""
        with self.app.app_context(), self._session() as session:
            cut_off = (self._mine(target)) & (PrintJob.status == "printing")
            # Counted apart from attempts: a job tried often while its printer was off is
            # not one that brings the server down.
            session.execute(
                update(PrintJob)
                .where(cut_off, PrintJob.cut_offs >= CUT_OFF_LIMIT - 1)
                .values(
                    status="failed",
                    claimed_at=None,
                    cut_offs=PrintJob.cut_offs + 1,
                    last_error=f"cut off by {CUT_OFF_LIMIT} restarts while printing",
                ),
                execution_options={"synchronize_session": False},
            )
            released = session.execute(
                update(PrintJob)
                .where(cut_off)
                .values(status="pending", claimed_at=None, cut_offs=PrintJob.cut_offs + 1),
                execution_options={"synchronize_session": False},
            ).rowcount
            session.commit()
            return released

    def claim(self, job: Job, now: datetime) -> bool:
        with self.engine.begin() as conn:
            claimed = conn.execute(_CLAIM, {"job": job.id, "now": now, "stale": now - LEASE})
        return claimed.rowcount == 1

    def unclaim(self, target: str, claimed_at: datetime) -> int:
        """Put back in the queue this office's jobs of ``target`` that a claim made at
        ``claimed_at`` left "printing": the spooler did not hear whether that claim was saved
        (the connection broke as it committed), so it never sent them. Without this, such a job
        would hold the queue for its lease. The claim was no attempt. How many were put back.
        Only this process's spooler of the office prints its server jobs, one at a time, so
        the moment of its claim names it."""
        params = {"u_target": target, "u_office": self.office_id, "u_claimed": claimed_at}
        with self.engine.begin() as conn:
            statement = _UNCLAIM if self.office_id is None else _UNCLAIM_OF_OFFICE
            return conn.execute(statement, params).rowcount

    def done(self, job: Job, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(_DONE, {"job": job.id, "now": now})

    def failed(self, job: Job, error: str, retry_at: datetime | None, now: datetime) -> None:
        # Only a job still open: one an administrator cancelled meanwhile stays cancelled.
        with self.engine.begin() as conn:
            conn.execute(
                update(PrintJob)
                .where(PrintJob.id == job.id, IS_OPEN_JOB)
                .values(
                    status="pending" if retry_at else "failed",
                    next_attempt_at=retry_at,
                    last_error=error[:500],
                )
            )

    def state(self, target: str, online: bool, error: str | None, now: datetime) -> None:
        key = target if self.office_id is None else server_state_key(self.office_id)
        with self.app.app_context(), self._session() as session:
            save_state(session, key, online, error, now, self.office_id)
            session.commit()
