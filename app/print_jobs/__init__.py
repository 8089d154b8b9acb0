"""Paper tickets: a print job per ticket in the database (``paper``), the job store and
deadlines (``store``), the spoolers that print the server's jobs (``service``), the kiosks'
remote print agents (``agents``) and the printers as staff see them (``status``).

A dead or hung printer only delays paper: jobs are rows written with their ticket, printed
after the commit by a spooler per office (or pushed to the kiosk's agent).
"""

from __future__ import annotations

from flask import Flask
from flask_socketio import SocketIO

from printer.channels import AGENT_READY, PRINT_RESULT

from .. import realtime
from ..domain.events import PrintQueued
from .agents import on_agent_ready, on_hang_up, on_print_result
from .paper import enqueue, queue_paper, ticket_data
from .service import PrintService, office_printer_url
from .status import printer_name, printer_states
from .store import (
    CUT_OFF_LIMIT,
    DatabaseJobs,
    job_json,
    latest_job,
    paper_deadline,
    save_state,
    server_state_key,
)

EXTENSION_KEY = "loket_print_service"

__all__ = [
    "CUT_OFF_LIMIT",
    "EXTENSION_KEY",
    "DatabaseJobs",
    "PrintService",
    "enqueue",
    "init_app",
    "job_json",
    "latest_job",
    "office_printer_url",
    "paper_deadline",
    "print_service",
    "printer_name",
    "printer_states",
    "queue_paper",
    "save_state",
    "server_state_key",
    "ticket_data",
]


def print_service(app: Flask) -> PrintService:
    return app.extensions[EXTENSION_KEY]


def init_app(app: Flask, socketio: SocketIO) -> None:
    """Register the print service, its Socket.IO events and its hooks on the broadcaster
    (after ``realtime.init_app``)."""
    service = app.extensions[EXTENSION_KEY] = PrintService(app, socketio)
    realtime.broadcaster(app).subscribe(PrintQueued, service.queued)
    realtime.on_hang_up(app, on_hang_up)
    socketio.on_event(AGENT_READY, on_agent_ready)
    socketio.on_event(PRINT_RESULT, on_print_result)
