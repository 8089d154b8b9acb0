"""Paper tickets: a print job per ticket in the database, the spooler that prints the server's
jobs on ``PRINTER_URL``, and the Socket.IO side of remote print agents.

Issuing only adds a job row in the ticket's own transaction, so a ticket never waits on paper
and a job exists exactly when its ticket does. After the commit the spooler is woken (or the
job is pushed to the kiosk's agent); a dead or hung printer only delays paper.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, request
from flask_babel import gettext
from flask_socketio import SocketIO, emit, join_room
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from printer.layout import TicketData
from printer.spooler import Job, Spooler
from printer.transports import open_transport

from . import queue
from .db import reading
from .extensions import db
from .models import SERVER_PRINTER, PrinterState, PrintJob, Ticket, User
from .queue.clock import local, tz_label
from .queue.events import PrintQueued, record

log = logging.getLogger(__name__)

EXTENSION_KEY = "loket_printing"
LEASE = timedelta(seconds=60)  # a job "printing" for longer than this was abandoned
EXPIRE_AFTER = timedelta(minutes=30)
AGENT_ROOM = "printer:{}"
_OPEN = ("pending", "printing")


def ticket_data(ticket: Ticket, url: str, ahead: int | None, wait_s: int | None) -> TicketData:
    """What the paper of ``ticket`` shows (nothing personal)."""
    office, service = ticket.office, ticket.service
    moment = local(ticket.issued_at, office.timezone)
    footer = " ".join(t for t in (office.ticket_footer, service.ticket_footer) if t)
    return TicketData(
        office=office.name,
        service=service.name,
        code=ticket.code,
        issued_at=f"{moment:%d-%m-%Y %H:%M} {tz_label(office.timezone, moment)}",
        url=url,
        ahead=ahead,
        wait_min=math.ceil(wait_s / 60) if wait_s else None,
        footer=footer,
        priority=ticket.priority,
    )


def enqueue(
    session: Session,
    ticket: Ticket,
    data: TicketData,
    *,
    target: str,
    now: datetime,
    requested_by: int | None,
    kind: str = "ticket",
) -> PrintJob:
    """Queue ``data`` for printing on ``target``; published after commit."""
    job = PrintJob(
        office_id=ticket.office_id,
        ticket_id=ticket.id,
        target=target,
        kind=kind,
        status="pending",
        payload=json.dumps(data.to_dict()),
        attempts=0,
        created_at=now,
        requested_by_id=requested_by,
    )
    session.add(job)
    session.flush()
    record(session, PrintQueued(ticket.office_id, job.id, target))
    return job


_LATEST = (
    select(PrintJob)
    .where(PrintJob.ticket_id == bindparam("ticket_id"))
    .order_by(PrintJob.id.desc())
    .limit(1)
)


def latest_job(session: Session, ticket_id: int) -> PrintJob | None:
    return session.scalar(_LATEST, {"ticket_id": ticket_id})


def job_json(job: PrintJob | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {
        "job": job.id,
        "status": job.status,
        "attempts": job.attempts,
        "error": job.last_error,
        "target": job.target,
    }


def printer_states(session: Session, office_id: int) -> list[dict[str, Any]]:
    """The server printer and the office's agents, with their queues."""
    counts = dict(
        session.execute(
            select(PrintJob.target, func.count())
            .where(PrintJob.office_id == office_id, PrintJob.status.in_(_OPEN))
            .group_by(PrintJob.target)
        ).all()
    )
    states = {
        s.target: s
        for s in session.scalars(
            select(PrinterState).where(
                (PrinterState.office_id == office_id) | (PrinterState.target == SERVER_PRINTER)
            )
        )
    }
    targets = [SERVER_PRINTER, *sorted(t for t in set(states) | set(counts) if t != SERVER_PRINTER)]
    rows = []
    for target in targets:
        state = states.get(target)
        rows.append(
            {
                "target": target,
                "online": bool(state and state.online),
                "last_error": state.last_error if state else None,
                "last_ok_at": queue.clock.iso(state.last_ok_at, "UTC") if state else None,
                "last_attempt_at": queue.clock.iso(state.last_attempt_at, "UTC") if state else None,
                "queue": counts.get(target, 0),
            }
        )
    return rows


def _as_job(row: PrintJob) -> Job:
    return Job(
        id=row.id,
        payload=json.loads(row.payload),
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        name=f"{row.created_at:%Y%m%d-%H%M%S}-{row.id}",
    )


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


class DatabaseJobs:
    """The spooler's JobStore: jobs in ``print_jobs``, each call in its own short transaction."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def _session(self) -> Session:
        return Session(db.engine)

    def head(self, target: str) -> Job | None:
        with self.app.app_context(), reading(), self._session() as session:
            row = session.scalar(
                select(PrintJob)
                .where(PrintJob.target == target, PrintJob.status.in_(_OPEN))
                .order_by(PrintJob.id)
                .limit(1)
            )
            return _as_job(row) if row is not None else None

    def release(self, target: str) -> int:
        """Put the jobs of ``target`` left "printing" back in the queue; how many there were."""
        with self.app.app_context(), self._session() as session:
            released = session.execute(
                update(PrintJob)
                .where(PrintJob.target == target, PrintJob.status == "printing")
                .values(status="pending", claimed_at=None),
                execution_options={"synchronize_session": False},
            ).rowcount
            session.commit()
            return released

    def claim(self, job: Job, now: datetime) -> bool:
        with self.app.app_context(), self._session() as session:
            stale = now - LEASE
            claimed = session.execute(
                update(PrintJob)
                .where(
                    PrintJob.id == job.id,
                    (PrintJob.status == "pending")
                    | ((PrintJob.status == "printing") & (PrintJob.claimed_at < stale)),
                )
                .values(status="printing", claimed_at=now, attempts=PrintJob.attempts + 1),
                execution_options={"synchronize_session": False},
            ).rowcount
            session.commit()
            return claimed == 1

    def done(self, job: Job, now: datetime) -> None:
        with self.app.app_context(), self._session() as session:
            session.execute(
                update(PrintJob)
                .where(PrintJob.id == job.id)
                .values(status="printed", printed_at=now, last_error=None),
                execution_options={"synchronize_session": False},
            )
            session.commit()

    def failed(self, job: Job, error: str, retry_at: datetime | None, now: datetime) -> None:
        with self.app.app_context(), self._session() as session:
            session.execute(
                update(PrintJob)
                .where(PrintJob.id == job.id)
                .values(
                    status="pending" if retry_at else "failed",
                    next_attempt_at=retry_at,
                    last_error=error[:500],
                ),
                execution_options={"synchronize_session": False},
            )
            session.commit()

    def state(self, target: str, online: bool, error: str | None, now: datetime) -> None:
        with self.app.app_context(), self._session() as session:
            save_state(session, target, online, error, now)
            session.commit()


class PrintService:
    """Owns the spooler of the server's printer (one per process that has PRINT_SPOOLER on)."""

    def __init__(self, app: Flask, socketio: SocketIO) -> None:
        self.app = app
        self.socketio = socketio
        folder = app.config.get("TICKET_PREVIEW_DIR") or f"{app.instance_path}/tickets"
        from pathlib import Path

        self.transport = open_transport(
            app.config["PRINTER_URL"], app.config["PRINTER_PAPER"], default_folder=Path(folder)
        )
        self.spooler: Spooler | None = None

    def build_spooler(self) -> Spooler:
        """The spooler of the server's printer, configured from the app's settings."""
        return Spooler(
            DatabaseJobs(self.app),
            self.transport,
            SERVER_PRINTER,
            run_blocking=self.app.config.get("BLOCKING_EXECUTOR"),
            expire_after=self.app.config.get("PRINT_EXPIRE", EXPIRE_AFTER),
            clock=lambda: queue.utcnow(),  # looked up at each call (tests freeze it)
        )

    def start(self) -> None:
        """Start printing (the server does this; jobs left from before a restart print too)."""
        if self.spooler is not None or not self.app.config.get("PRINT_SPOOLER", True):
            return
        self.spooler = self.build_spooler()
        # Only this process prints the server's jobs: one left "printing" was cut off by a crash
        # or a power cut, and prints again now rather than when its lease runs out.
        released = DatabaseJobs(self.app).release(SERVER_PRINTER)
        if released:
            log.warning("%d print job(s) cut off by a restart will print again", released)
        self.socketio.start_background_task(self.spooler.run_forever)

    def wake(self) -> None:
        if self.spooler is not None:
            self.spooler.wake()

    def stop(self) -> None:
        if self.spooler is not None:
            self.spooler.stop()

    def push_to_agent(self, session: Session, job_id: int, target: str) -> None:
        job = session.get(PrintJob, job_id)
        if job is not None and job.status in _OPEN:
            self.socketio.emit("print_job", agent_payload(job), to=AGENT_ROOM.format(target))


def agent_payload(job: PrintJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "payload": json.loads(job.payload),
        "created_at": queue.clock.iso(job.created_at, "UTC"),
    }


# ---- remote print agents (Socket.IO) ----------------------------------------------------------

_agents: dict[str, tuple[str, int | None]] = {}  # sid -> (target, office id)


def on_agent_ready(_data: Any = None) -> None:
    """An agent announces itself; it gets its pending jobs, oldest first."""
    from .realtime import identity

    actor = identity(request.sid)
    with reading():
        user = db.session.get(User, actor.user_id) if actor and actor.user_id else None
        ok = user is not None and user.active and user.prints_via_agent
        db.session.rollback()
    if not ok:
        emit(
            "error",
            {
                "code": "not_an_agent",
                "message": gettext(
                    "Connect the print agent with the API token of a kiosk that prints through an "
                    "agent."
                ),
            },
        )
        return
    from .models import agent_target

    target = agent_target(user.id)
    _agents[request.sid] = (target, user.office_id)
    join_room(AGENT_ROOM.format(target))
    now = queue.utcnow()
    save_state(db.session, target, True, None, now, user.office_id)
    jobs = db.session.scalars(
        select(PrintJob)
        .where(PrintJob.target == target, PrintJob.status.in_(_OPEN))
        .order_by(PrintJob.id)
    ).all()
    for job in jobs:
        if now - job.created_at >= EXPIRE_AFTER:
            job.status, job.last_error = "failed", "expired before the agent came back"
    db.session.commit()
    emit("agent_ok", {"target": target})
    for job in jobs:
        if job.status in _OPEN:
            emit("print_job", agent_payload(job))


def on_print_result(data: Any = None) -> None:
    """The agent printed a job (or could not). Idempotent: a repeated result changes nothing."""
    agent = _agents.get(request.sid)
    if agent is None or not isinstance(data, dict) or not isinstance(data.get("id"), int):
        emit(
            "error",
            {
                "code": "invalid_result",
                "message": gettext(
                    'Send print results as {"id": <job id>, "ok": true|false} after agent_ready.'
                ),
            },
        )
        return
    target, _office = agent
    now = queue.utcnow()
    job = db.session.get(PrintJob, data["id"])
    if job is None or job.target != target:
        db.session.rollback()
        return
    ok = data.get("ok") is True
    error = str(data.get("error") or "")[:500] or None
    if ok and job.status != "printed":
        job.status, job.printed_at, job.last_error = "printed", now, None
    elif not ok and job.status in _OPEN:
        job.attempts += 1
        job.last_error = error or "the agent could not print"
    save_state(db.session, target, ok, error, now)
    db.session.commit()


def on_disconnect_agent() -> None:
    agent = _agents.pop(request.sid, None)
    if agent is not None:
        save_state(db.session, agent[0], False, "the agent disconnected", queue.utcnow())
        db.session.commit()


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.extensions[EXTENSION_KEY] = PrintService(app, socketio)
    socketio.on_event("agent_ready", on_agent_ready)
    socketio.on_event("print_result", on_print_result)
