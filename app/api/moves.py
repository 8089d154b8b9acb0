"""Routes that change tickets and counters. Each parses, calls one domain function, commits."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request, url_for
from werkzeug.wrappers import Response

from .. import domain
from ..auth import require_actor
from ..domain.shapes import CheckInBody, IssueBody, NoteBody, StageBody, TransferBody
from ..errors import ApiError
from ..extensions import db
from ..models import Ticket
from ..print_jobs import job_json, latest_job
from ..print_jobs.tickets import check_in_with_paper, issue_with_paper
from ..print_jobs.tickets import reprint as reprint_ticket
from .blueprint import bp
from .parsing import IDEMPOTENCY_KEY, idempotency_key_sentence, json_body, parse_body
from .serialize import counter_json, ticket_json

_LOOK_UP = object()


def _reply(
    ticket: Ticket, status: int = 200, headers: dict | None = None, job: Any = _LOOK_UP
) -> Response:
    """Serialise inside the transaction, then commit; events go out after the commit. ``job``:
    the ticket's paper when the caller knows it (None: none), else its latest is looked up."""
    now = domain.utcnow()
    session = db.session()  # the request's session itself, not its proxy
    payload = ticket_json(ticket, *domain.estimate(session, ticket, now))
    if job is _LOOK_UP:
        job = latest_job(session, ticket.id)
    payload["print"] = job_json(job)
    session.commit()
    response = jsonify(payload)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


@bp.post("/offices/<office>/tickets")
def issue_ticket(slug: str) -> Response:
    actor = require_actor()
    body = parse_body(IssueBody)
    key = request.headers.get("Idempotency-Key") or body.idempotency_key
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise ApiError(422, "invalid_field", idempotency_key_sentence())
    ticket, job, repeated = issue_with_paper(
        db.session(),  # the request's session itself, not its proxy
        slug,
        body.service,
        priority=body.priority,
        paper=body.print,
        now=domain.utcnow(),
        actor=actor,
        target=g.print_target,
        idempotency_key=key,
    )
    return _reply(
        ticket,
        201,
        {"Location": url_for("api.get_ticket", ticket_id=ticket.id)},
        # A new ticket has no paper but the job just queued; a repeat's is looked up.
        job=_LOOK_UP if repeated else job,
    )


@bp.post("/offices/<office>/check-in")
def check_in(slug: str) -> Response:
    """A booking arrives: its ticket is issued (queued at the slot's time) and printed."""
    actor = require_actor()
    body = parse_body(CheckInBody)
    ticket, job = check_in_with_paper(
        db.session, slug, body.booking, now=domain.utcnow(), actor=actor, target=g.print_target
    )
    return _reply(
        ticket, 201, {"Location": url_for("api.get_ticket", ticket_id=ticket.id)}, job=job
    )


@bp.post("/tickets/<id:ticket_id>/reprint")
def reprint(ticket_id: int) -> Response:
    ticket, job = reprint_ticket(
        db.session, ticket_id, now=domain.utcnow(), actor=require_actor(), target=g.print_target
    )
    return _reply(ticket, 201, job=job)


@bp.get("/tickets/<id:ticket_id>")
def get_ticket(ticket_id: int) -> Response:
    ticket = domain.ticket_for(db.session, require_actor(), ticket_id, "ticket_view")
    payload = ticket_json(ticket, *domain.estimate(db.session, ticket, domain.utcnow()))
    payload["print"] = job_json(latest_job(db.session, ticket.id))
    return jsonify(payload)


@bp.post("/counters/<id:counter_id>/call-next")
def call_next(counter_id: int) -> Response:
    actor = require_actor()
    ticket = domain.call_next(db.session, counter_id, now=domain.utcnow(), actor=actor)
    if ticket is None:
        db.session.commit()  # a day rollover may have happened
        return Response(status=204)
    return _reply(ticket)


def _simple_move(move: Any, ticket_id: int) -> Response:
    actor = require_actor()
    json_body(required=False)  # a body is optional, but when sent it must be JSON
    return _reply(move(db.session, ticket_id, now=domain.utcnow(), actor=actor))


@bp.post("/tickets/<id:ticket_id>/recall")
def recall(ticket_id: int) -> Response:
    return _simple_move(domain.recall, ticket_id)


@bp.post("/tickets/<id:ticket_id>/start")
def start(ticket_id: int) -> Response:
    return _simple_move(domain.start, ticket_id)


@bp.post("/tickets/<id:ticket_id>/finish")
def finish(ticket_id: int) -> Response:
    return _simple_move(domain.finish, ticket_id)


@bp.post("/tickets/<id:ticket_id>/no-show")
def no_show(ticket_id: int) -> Response:
    return _simple_move(domain.no_show, ticket_id)


@bp.post("/tickets/<id:ticket_id>/requeue")
def requeue(ticket_id: int) -> Response:
    return _simple_move(domain.requeue, ticket_id)


@bp.post("/tickets/<id:ticket_id>/undo")
def undo(ticket_id: int) -> Response:
    """Take back an "absent" or a "finish" made by mistake a moment ago."""
    return _simple_move(domain.undo, ticket_id)


@bp.post("/tickets/<id:ticket_id>/cancel")
def cancel(ticket_id: int) -> Response:
    actor = require_actor()
    note = parse_body(NoteBody, required=False).note
    return _reply(domain.cancel(db.session, ticket_id, now=domain.utcnow(), actor=actor, note=note))


@bp.post("/tickets/<id:ticket_id>/transfer")
def transfer(ticket_id: int) -> Response:
    actor = require_actor()
    service = parse_body(TransferBody).service
    return _reply(
        domain.transfer(
            db.session, ticket_id, service.strip().upper(), now=domain.utcnow(), actor=actor
        )
    )


@bp.post("/tickets/<id:ticket_id>/stage")
def stage(ticket_id: int) -> Response:
    actor = require_actor()
    body = parse_body(StageBody)
    return _reply(
        domain.set_stage(
            db.session,
            ticket_id,
            body.stage,
            now=domain.utcnow(),
            actor=actor,
            note=body.note,
            reason=body.reason,
        )
    )


def _counter_state(counter_id: int, is_open: bool) -> Response:
    actor = require_actor()
    counter = domain.set_counter_open(
        db.session, counter_id, is_open, now=domain.utcnow(), actor=actor
    )
    payload = counter_json(counter)
    db.session.commit()
    return jsonify(payload)


@bp.post("/counters/<id:counter_id>/pause")
def pause(counter_id: int) -> Response:
    return _counter_state(counter_id, False)


@bp.post("/counters/<id:counter_id>/resume")
def resume(counter_id: int) -> Response:
    return _counter_state(counter_id, True)
