"""Card-ready messages: the resident asks on the status page (public, the token is the
credential; rate-limited per address like every anonymous request), or staff type the number
at the counter on the resident's request. The number is never sent back in full."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import domain
from ..auth import require_actor
from ..domain import notices, shapes
from ..domain.shapes import NoticeBody
from ..errors import ApiError
from ..extensions import db
from ..models import CardNotice, Ticket
from .blueprint import bp
from .parsing import parse_body


def sms_is_on() -> None:
    """Raises ApiError 409 ``sms_off`` when this office sends no messages (no ``SMS_URL``)."""
    if not current_app.config.get("SMS_URL"):
        raise ApiError(
            409,
            "sms_off",
            gettext("This office does not send text messages; watch this page or the TV instead."),
        )


def notice_json(notice: CardNotice, code: str) -> shapes.Notice:
    return {"code": code, "status": notice.status, "phone": notices.mask(notice.phone)}


def _created(notice: CardNotice) -> Response:
    payload = notice_json(notice, notice_code(notice))
    db.session.commit()
    response = jsonify(payload)
    response.status_code = 201
    return response


def notice_code(notice: CardNotice) -> str:
    return db.session.get(Ticket, notice.ticket_id).code


@bp.post("/track/<token>/notify")
def notify_by_token(token: str) -> Response:
    sms_is_on()
    body = parse_body(NoticeBody)
    notice = notices.ask_by_token(db.session, token, body.phone, now=domain.utcnow())
    return _created(notice)


@bp.post("/tickets/<id:ticket_id>/notify")
def notify_for_ticket(ticket_id: int) -> Response:
    actor = require_actor()
    domain.require(actor, "notify")
    sms_is_on()
    body = parse_body(NoticeBody)
    notice = notices.ask_for_ticket(
        db.session, ticket_id, body.phone, now=domain.utcnow(), actor=actor
    )
    return _created(notice)
