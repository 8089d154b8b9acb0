"""The printers of an office as staff see them: the server's ticket printer and the kiosks'
print agents, each with its state and its queue."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain import shapes
from ..domain.clock import iso
from ..i18n import printer_error_text
from ..models import IS_OPEN_JOB, SERVER_PRINTER, PrinterState, PrintJob
from .store import server_state_key


def printer_name(target: str) -> str:
    """A print target as staff read it: the office's ticket printer, or a kiosk's print agent."""
    if target == SERVER_PRINTER:
        return gettext("ticket printer")
    if target.startswith("agent:"):
        return gettext("print agent of kiosk %(n)s", n=target.split(":", 1)[1])
    return target


def printer_states(session: Session, office_id: int) -> list[shapes.Printer]:
    """The server printer and the office's agents, with their queues."""
    counts = dict(
        session.execute(
            select(PrintJob.target, func.count())
            .where(PrintJob.office_id == office_id, IS_OPEN_JOB)
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
                "last_ok_at": iso(state.last_ok_at, "UTC") if state else None,
                "last_attempt_at": iso(state.last_attempt_at, "UTC") if state else None,
                "queue": counts.get(target, 0),
            }
        )
    return rows
