"""The satisfaction survey: a resident's answers (public: the ticket's token is the key) and
the office's index (IKM) over a period (administrators)."""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.wrappers import Response

from .. import domain
from ..auth import require_actor
from ..domain import survey
from ..domain.reports import parse_day
from ..domain.shapes import SurveyBody
from ..extensions import db
from ..survey import element_names, filters_from_args
from .blueprint import bp
from .parsing import parse_body


@bp.post("/track/<token>/survey")
def answer_survey(token: str) -> tuple[Response, int]:
    ticket = domain.ticket_by_token(db.session, token)
    body = parse_body(SurveyBody)
    profile = body.profile.model_dump() if body.profile is not None else None
    response = survey.submit(
        db.session,
        ticket,
        body.answers,
        domain.utcnow(),
        suggestion=body.suggestion,
        profile=profile,
        source="status",
    )
    survey.commit_response(db.session)
    return jsonify(
        {"code": ticket.code, "status": "answered", "answered_at": response.answered_at.isoformat()}
    ), 201


@bp.get("/offices/<office>/ikm")
def office_ikm(slug: str) -> Response:
    office = domain.office_for(db.session, require_actor(), slug, "report")
    today = domain.local_day(domain.utcnow(), office.timezone)
    day_from = parse_day(request.args.get("from"), "from", today.replace(day=1))
    day_to = parse_day(request.args.get("to"), "to", today)
    filters = filters_from_args(db.session, office, request.args)
    names = element_names(survey.wordings(db.session, office.id))
    return jsonify(survey.report_json(db.session, office, day_from, day_to, names, **filters))
