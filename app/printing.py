"""Paper tickets: a print job per ticket in the database, the spoolers that print the server's
jobs (one per office, on ``PRINTER_URL_<OFFICE>`` or ``PRINTER_URL``), and the Socket.IO side of
remote print agents.

Issuing only adds a job row in the ticket's own transaction, so a ticket never waits on paper
and a job exists exactly when its ticket does. After the commit the spooler is woken (or the
job is pushed to the kiosk's agent); a dead or hung printer only delays paper.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from flask_babel import gettext
from flask_socketio import SocketIO, emit, join_room
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from printer.layout import TicketData
from printer.spooler import Job, Spooler
from printer.transports import Transport, open_transport

from . import queue
from .db import reading
from .extensions import db
from .i18n import printer_error_text
from .live_identity import identity
from .models import SERVER_PRINTER, Office, PrinterState, PrintJob, Ticket, User, agent_target
from .public_url import track_url
from .queue.clock import local, tz_label
from .queue.events import PrintQueued, record

log = logging.getLogger(__name__)

EXTENSION_KEY = "loket_printing"
LEASE = timedelta(seconds=60)  # a job "printing" for longer than this was abandoned
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


def queue_paper(
    session: Session,
    ticket: Ticket,
    *,
    target: str,
    now: datetime,
    requested_by: int | None,
    kind: str = "ticket",
) -> PrintJob:
    """Queue ``ticket``'s paper on ``target``: its place and wait as of ``now`` and the link to
    its status page (a new ticket, a reprint, each ticket of a group)."""
    ahead, wait = queue.estimate(session, ticket, now)
    data = ticket_data(ticket, track_url(ticket.token), ahead, wait)
    return enqueue(
        session, ticket, data, target=target, now=now, requested_by=requested_by, kind=kind
    )


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


def server_state_key(office_id: int) -> str:
    """The ``printer_states`` row of the server printer of one office (each office's server
    jobs have their own spooler, so each has its own state)."""
    return f"{SERVER_PRINTER}:{office_id}"


def printer_name(target: str) -> str:
    """A print target as staff read it: the office's ticket printer, or a kiosk's print agent."""
    if target == SERVER_PRINTER:
        return gettext("ticket printer")
    if target.startswith("agent:"):
        return gettext("print agent of kiosk %(n)s", n=target.split(":", 1)[1])
    return target


def printer_states(session: Session, office_id: int) -> list[dict[str, Any]]:
    """The server printer and the office's agents, with their queues."""
    counts = dict(
        session.execute(
            select(PrintJob.target, func.count())
            .where(PrintJob.office_id == office_id, PrintJob.status.in_(_OPEN))
            .group_by(PrintJob.target)
        ).all()
    )
    own_key = server_state_key(office_id)
    states = {
        s.target: s
        for s in session.scalars(
            select(PrinterState).where(
                (PrinterState.office_id == office_id) | (PrinterState.target == SERVER_PRINTER)
            )
        )
        if s.target == own_key or not s.target.startswith(f"{SERVER_PRINTER}:")
    }
    if own_key in states:
        states[SERVER_PRINTER] = states.pop(own_key)
    targets = [SERVER_PRINTER, *sorted(t for t in set(states) | set(counts) if t != SERVER_PRINTER)]
    rows = []
    for target in targets:
        state = states.get(target)
        rows.append(
            {
                "target": target,
                "name": printer_name(target),
                "online": bool(state and state.online),
                "last_error": state.last_error if state else None,
                "error_text": printer_error_text(state.last_error) if state else "",
                "last_ok_at": queue.clock.iso(state.last_ok_at, "UTC") if state else None,
                "last_attempt_at": queue.clock.iso(state.last_attempt_at, "UTC") if state else None,
                "queue": counts.get(target, 0),
            }
        )
    return rows


def paper_deadline(config: Any, kind: str, created_at: datetime) -> datetime:
    """When a job's paper is of no use any more: an arrival ticket after
    ``ARRIVAL_PAPER_MINUTES`` (its owner has gone on without it; staff can reprint), a reprint
    after ``PRINT_EXPIRE``."""
    if kind == "ticket":
        return created_at + timedelta(minutes=config.get("ARRIVAL_PAPER_MINUTES", 3))
    return created_at + config["PRINT_EXPIRE"]


def _as_job(row: PrintJob, config: Any) -> Job:
    return Job(
        id=row.id,
        payload=json.loads(row.payload),
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        name=f"{row.created_at:%Y%m%d-%H%M%S}-{row.id}",
        expires_at=paper_deadline(config, row.kind, row.created_at),
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


CUT_OFF_LIMIT = 3  # a job cut off by this many restarts fails instead of printing again


class DatabaseJobs:
    """The spooler's JobStore: jobs in ``print_jobs``, each call in its own short transaction.
    With ``office_id``, only that office's jobs: each office's queue goes on by itself."""

    def __init__(self, app: Flask, office_id: int | None = None) -> None:
        self.app = app
        self.office_id = office_id

    def _session(self) -> Session:
        return Session(db.engine)

    def _mine(self, target: str) -> Any:
        where = PrintJob.target == target
        if self.office_id is not None:
            where = where & (PrintJob.office_id == self.office_id)
        return where

    def head(self, target: str) -> Job | None:
        with self.app.app_context(), reading(), self._session() as session:
            row = session.scalar(
                select(PrintJob)
                .where(self._mine(target), PrintJob.status.in_(_OPEN))
                .order_by(PrintJob.id)
                .limit(1)
            )
            return _as_job(row, self.app.config) if row is not None else None

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
        # Only a job still open: one an administrator cancelled meanwhile stays cancelled.
        with self.app.app_context(), self._session() as session:
            session.execute(
                update(PrintJob)
                .where(PrintJob.id == job.id, PrintJob.status.in_(_OPEN))
                .values(
                    status="pending" if retry_at else "failed",
                    next_attempt_at=retry_at,
                    last_error=error[:500],
                ),
                execution_options={"synchronize_session": False},
            )
            session.commit()

    def state(self, target: str, online: bool, error: str | None, now: datetime) -> None:
        key = target if self.office_id is None else server_state_key(self.office_id)
        with self.app.app_context(), self._session() as session:
            save_state(session, key, online, error, now, self.office_id)
            session.commit()


def office_printer_url(config: Any, slug: str) -> str:
    """Where the server prints the tickets of office ``slug``: ``PRINTER_URL_<SLUG>`` (the slug
    in capitals, "-" as "_"), else ``PRINTER_URL``."""
    key = "PRINTER_URL_" + slug.upper().replace("-", "_")
    return (config.get("OFFICE_PRINTER_URLS") or {}).get(key) or config["PRINTER_URL"]


class PrintService:
    """Owns the spoolers of the server's printers (in the process that has PRINT_SPOOLER on):
    one per office, so an office whose printer is off or whose job is bad never holds up
    another's paper. Offices on the same printer share its transport and take turns on it."""

    def __init__(self, app: Flask, socketio: SocketIO) -> None:
        self.app = app
        self.socketio = socketio
        self.folder = Path(app.config["TICKET_PREVIEW_DIR"] or f"{app.instance_path}/tickets")
        self.transport = self.transport_for_url(app.config["PRINTER_URL"])
        self._transports: dict[str, tuple[Transport, threading.Lock]] = {}
        self.spoolers: dict[int, Spooler] = {}
        self._guard = threading.Lock()
        self.running = False

    def transport_for_url(self, url: str) -> Transport:
        return open_transport(url, self.app.config["PRINTER_PAPER"], default_folder=self.folder)

    def _transport(self, url: str) -> tuple[Transport, threading.Lock]:
        with self._guard:
            if url not in self._transports:
                transport = (
                    self.transport
                    if url == self.app.config["PRINTER_URL"]
                    else self.transport_for_url(url)
                )
                self._transports[url] = (transport, threading.Lock())
            return self._transports[url]

    def build_spooler(self, office_id: int) -> Spooler:
        """The spooler of the server's printer for one office, configured from the settings."""
        with self.app.app_context(), reading(), Session(db.engine) as session:
            slug = session.scalar(select(Office.slug).where(Office.id == office_id))
        if slug is None:
            raise LookupError(f"no office {office_id}")
        transport, lock = self._transport(office_printer_url(self.app.config, slug))
        return Spooler(
            DatabaseJobs(self.app, office_id),
            transport,
            SERVER_PRINTER,
            run_blocking=self.app.config.get("BLOCKING_EXECUTOR"),
            expire_after=self.app.config["PRINT_EXPIRE"],
            clock=lambda: queue.utcnow(),  # looked up at each call (tests freeze it)
            send_lock=lock,
        )

    def start(self) -> None:
        """Start printing (the server does this; jobs left from before a restart print too)."""
        if self.running or not self.app.config.get("PRINT_SPOOLER", True):
            return
        self.running = True
        # Only this process prints the server's jobs: one left "printing" was cut off by a crash
        # or a power cut, and prints again now rather than when its lease runs out.
        released = DatabaseJobs(self.app).release(SERVER_PRINTER)
        if released:
            log.warning("%d print job(s) cut off by a restart will print again", released)
        with self.app.app_context(), reading(), Session(db.engine) as session:
            offices = session.scalars(select(Office.id).order_by(Office.id)).all()
        for office_id in offices:
            self._spooler(office_id)

    def _spooler(self, office_id: int) -> Spooler | None:
        """The running spooler of ``office_id``, started on first use (an office added later)."""
        if not self.running:
            return None
        with self._guard:
            spooler = self.spoolers.get(office_id)
        if spooler is None:
            try:
                built = self.build_spooler(office_id)
            except LookupError:
                return None
            with self._guard:
                spooler = self.spoolers.setdefault(office_id, built)
            if spooler is built:
                self.socketio.start_background_task(spooler.run_forever)
        return spooler

    def wake(self, office_id: int) -> None:
        spooler = self._spooler(office_id)
        if spooler is not None:
            spooler.wake()

    def stop(self) -> None:
        self.running = False
        with self._guard:
            spoolers = list(self.spoolers.values())
        for spooler in spoolers:
            spooler.stop()

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
        if now >= paper_deadline(current_app.config, job.kind, job.created_at):
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
