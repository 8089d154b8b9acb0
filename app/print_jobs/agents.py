"""Remote print agents (``printer/agent.py``) over Socket.IO: a kiosk whose printer hangs off
its own PC gets its jobs pushed, oldest first, and acknowledges each."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request
from flask_babel import gettext
from flask_socketio import emit, join_room
from sqlalchemy import select

from printer.channels import AGENT_OK, ERROR, PRINT_JOB, agent_room

from .. import domain
from ..db import reading
from ..domain.clock import iso
from ..extensions import db
from ..live_identity import identity
from ..models import IS_OPEN_JOB, PrintJob, User, agent_target
from .store import OPEN, paper_deadline, save_state

_agents: dict[str, tuple[str, int | None]] = {}  # sid -> (target, office id)


def agent_payload(job: PrintJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "payload": json.loads(job.payload),
        "created_at": iso(job.created_at, "UTC"),
    }


def on_agent_ready(_data: Any = None) -> None:
    """An agent announces itself; it gets its pending jobs, oldest first."""
    actor = identity(request.sid)
    with reading():
        user = db.session.get(User, actor.user_id) if actor and actor.user_id else None
        ok = user is not None and user.active and user.prints_via_agent
        db.session.rollback()
    if not ok:
        emit(
            ERROR,
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
    join_room(agent_room(target))
    now = domain.utcnow()
    save_state(db.session, target, True, None, now, user.office_id)
    jobs = db.session.scalars(
        select(PrintJob).where(PrintJob.target == target, IS_OPEN_JOB).order_by(PrintJob.id)
    ).all()
    for job in jobs:
        if now >= paper_deadline(current_app.config, job.kind, job.created_at):
            job.status, job.last_error = "failed", "expired before the agent came back"
    db.session.commit()
    emit(AGENT_OK, {"target": target})
    for job in jobs:
        if job.status in OPEN:
            emit(PRINT_JOB, agent_payload(job))


def on_print_result(data: Any = None) -> None:
    """The agent printed a job (or could not). Idempotent: a repeated result changes nothing."""
    agent = _agents.get(request.sid)
    if agent is None or not isinstance(data, dict) or not isinstance(data.get("id"), int):
        emit(
            ERROR,
            {
                "code": "invalid_result",
                "message": gettext(
                    'Send print results as {"id": <job id>, "ok": true|false} after agent_ready.'
                ),
            },
        )
        return
    target, _office = agent
    now = domain.utcnow()
    job = db.session.get(PrintJob, data["id"])
    if job is None or job.target != target:
        db.session.rollback()
        return
    ok = data.get("ok") is True
    error = str(data.get("error") or "")[:500] or None
    if ok and job.status != "printed":
        job.status, job.printed_at, job.last_error = "printed", now, None
    elif not ok and job.status in OPEN:
        job.attempts += 1
        job.last_error = error or "the agent could not print"
    save_state(db.session, target, ok, error, now)
    db.session.commit()


def on_hang_up(sid: str) -> None:
    """A connection closed: if it was an agent, its printer is offline until it comes back."""
    agent = _agents.pop(sid, None)
    if agent is not None:
        save_state(db.session, agent[0], False, "the agent disconnected", domain.utcnow())
        db.session.commit()
