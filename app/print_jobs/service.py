"""The spoolers of the server's printers: one per office, on ``PRINTER_URL_<OFFICE>`` or
``PRINTER_URL``, started by the server process that has ``PRINT_SPOOLER`` on."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from flask_socketio import SocketIO
from sqlalchemy import select
from sqlalchemy.orm import Session

from printer.channels import PRINT_JOB, agent_room
from printer.spooler import Spooler
from printer.transports import Transport, open_transport

from .. import domain
from ..db import reading
from ..domain.events import PrintQueued
from ..extensions import db
from ..models import SERVER_PRINTER, Office, PrintJob
from .agents import agent_payload
from .store import OPEN, DatabaseJobs

log = logging.getLogger(__name__)


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
            clock=lambda: domain.utcnow(),  # looked up at each call (tests freeze it)
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
        if job is not None and job.status in OPEN:
            self.socketio.emit(PRINT_JOB, agent_payload(job), to=agent_room(target))

    def queued(self, session: Session, events: list[PrintQueued]) -> None:
        """Committed jobs: wake the office's spooler, or push the job to its kiosk's agent (the
        broadcaster calls this after the commit that made them)."""
        for item in events:
            if item.target == SERVER_PRINTER:
                self.wake(item.office_id)
            else:
                self.push_to_agent(session, item.job_id, item.target)
