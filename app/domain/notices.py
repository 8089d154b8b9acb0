"""Card-ready messages: a resident asks for one SMS when their card is printed.

A phone number is given on the status page (``ask_by_token``) or typed by staff at the
recording counter on the resident's request (``ask_for_ticket``). The notice waits ("waiting")
until the card becomes ``printed``; then its text is written, in the office's language, and it
is queued for the sender ("pending", ``NoticeQueued`` after commit). A notice that has left
"waiting" never queues again, so a card printed, blocked and printed again gives one message.
At handover and at the end of the day (the rollover) the number is erased and a message not yet
sent is dropped. The number is never shown in full (``mask``), reported or logged.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.orm import Session

from ..models import CardNotice, Office, Ticket
from .access import Actor, require
from .clock import local_day, zone
from .errors import N_, InvalidInput, InvalidTransition
from .events import NoticeQueued, record
from .lookup import ticket_by_id, ticket_by_token

# Not yet sent: still owed to the resident (the number is kept for these only).
OPEN = ("waiting", "pending", "sending")
# The office speaks Indonesian (the default language of every screen): messages go out in it.
OFFICE_LANGUAGE = "id"
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
MESSAGE = N_("Your KTP-el (%(code)s) is ready to collect at the pickup counter, %(office)s")
SMS_LENGTH = 160  # one message, not several billed parts
PHONE_INPUT_MAX = 40
MASK = "\u2022"

_SEPARATORS = re.compile(r"[\s\-.()/]")
_MOBILE = re.compile(r"^08[1-9][0-9]{7,11}$")  # 10-14 digits, national form


def normalise_phone(raw: str) -> str:
    """An Indonesian mobile number in international form (``+628...``), from how people write
    it: ``0812-3456-789``, ``+62 812 3456 789``, ``62812...``. Raises InvalidInput
    (``invalid_phone``) for anything else."""
    text = _SEPARATORS.sub("", raw or "")
    if text.startswith("+62"):
        national = "0" + text[3:]
    elif text.startswith("62"):
        national = "0" + text[2:]
    else:
        national = text
    if len(raw or "") > PHONE_INPUT_MAX or not _MOBILE.match(national):
        raise InvalidInput(
            N_(
                "This is not an Indonesian mobile number. Write it as it is dialled, "
                "e.g. 0812 3456 7890 or +62 812 3456 7890 (10 to 14 digits, starting 08)."
            ),
            error_code="invalid_phone",
        )
    return "+62" + national[1:]


def mask(phone: str | None) -> str | None:
    """The number as a page may show it: ``08••••••789`` (never in full)."""
    if not phone:
        return None
    national = "0" + phone[3:] if phone.startswith("+62") else phone
    return national[:2] + MASK * max(0, len(national) - 5) + national[-3:]


@cache
def _catalogue(lang: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [lang], domain="messages")


def message_text(code: str, office_name: str, lang: str = OFFICE_LANGUAGE) -> str:
    """The message of a card ready for pickup, in ``lang``, at most one SMS long (a long
    office name is shortened)."""
    template = _catalogue(lang).gettext(MESSAGE)
    text = template % {"code": code, "office": office_name}
    if len(text) > SMS_LENGTH:
        room = max(0, len(office_name) - (len(text) - SMS_LENGTH) - 1)
        text = template % {"code": code, "office": office_name[:room].rstrip() + "\u2026"}
    return text


_NOTICE_OF = select(CardNotice).where(CardNotice.ticket_id == bindparam("ticket_id"))


def notice_of(session: Session, ticket_id: int) -> CardNotice | None:
    return session.scalar(_NOTICE_OF, {"ticket_id": ticket_id})


def ask_by_token(session: Session, token: str, phone: str, *, now: datetime) -> CardNotice:
    """The resident's own request, from the status page (the token is the credential)."""
    ticket = ticket_by_token(session, token)
    return _ask(session, ticket.id, phone, now=now, source="status")


def ask_for_ticket(
    session: Session, ticket_id: int, phone: str, *, now: datetime, actor: Actor
) -> CardNotice:
    """Staff of the ticket's office type the number on the resident's request.

    Raises Forbidden, NotFound, InvalidInput and InvalidTransition."""
    require(actor, "notify")
    office_id = session.scalar(select(Ticket.office_id).where(Ticket.id == ticket_id))
    if office_id is None:
        ticket_by_id(session, ticket_id)  # raises NotFound with its sentence
    require(actor, "notify", office_id)
    return _ask(session, ticket_id, phone, now=now, source="counter")


def _ask(session: Session, ticket_id: int, raw_phone: str, *, now: datetime, source: str):
    """Register (or replace, before the message went) the number of a card ticket.

    Raises InvalidInput (``invalid_phone``) and InvalidTransition: ``not_a_card``,
    ``handed_over``, ``ticket_closed``, ``already_sent``, ``card_ready``."""
    # The ticket's row is held until commit: a card being marked printed meanwhile sees this
    # notice, or this request sees the card printed.
    ticket = ticket_by_id(session, ticket_id, lock=True)
    if ticket.stage == "handed_over":
        raise InvalidTransition(
            N_("The card of ticket %(code)s has already been handed over."),
            error_code="handed_over",
            code=ticket.code,
        )
    if not ticket.service.produces_card:
        raise InvalidTransition(
            N_(
                "Ticket %(code)s is for a service that makes no card, so there is no "
                "card-ready message to send."
            ),
            error_code="not_a_card",
            code=ticket.code,
        )
    if ticket.status == "cancelled":
        raise InvalidTransition(
            N_("Ticket %(code)s is cancelled; no message can be sent for it."),
            error_code="ticket_closed",
            code=ticket.code,
        )
    notice = notice_of(session, ticket.id)
    if notice is not None and notice.status in ("pending", "sending", "sent", "failed"):
        raise InvalidTransition(
            N_(
                "The message for ticket %(code)s has already been sent (or is being sent); "
                "it is sent only once."
            ),
            error_code="already_sent",
            code=ticket.code,
        )
    if ticket.stage == "printed":
        raise InvalidTransition(
            N_("The card of ticket %(code)s is already ready: collect it at the pickup counter."),
            error_code="card_ready",
            code=ticket.code,
        )
    phone = normalise_phone(raw_phone)
    if notice is None:
        notice = CardNotice(
            office_id=ticket.office_id, ticket_id=ticket.id, attempts=0, created_at=now
        )
        session.add(notice)
    # Asked again before the card was printed: the new number replaces the old one. A notice
    # dropped at the end of a day (the card is still in production) waits again.
    notice.status = "waiting"
    notice.phone = phone
    notice.source = source
    notice.created_at = now
    notice.erased_at = None
    notice.last_error = None
    session.flush()
    return notice


def card_printed(session: Session, ticket: Ticket, now: datetime) -> CardNotice | None:
    """The card of ``ticket`` became printed: its waiting notice gets its text and is queued
    (``NoticeQueued`` after commit). A notice that left "waiting" before is left alone."""
    notice = notice_of(session, ticket.id)
    if notice is None or notice.status != "waiting" or not notice.phone:
        return None
    notice.status = "pending"
    notice.text = message_text(ticket.code, ticket.office.name)
    notice.next_attempt_at = None
    session.flush()
    record(session, NoticeQueued(ticket.office_id, notice.id))
    return notice


_ERASE = {"phone": None, "claimed_at": None, "next_attempt_at": None}


def card_handed_over(session: Session, ticket: Ticket, now: datetime) -> int:
    """The card is with its owner: the number is erased and a message not sent is dropped."""
    dropped = session.execute(
        update(CardNotice)
        .where(CardNotice.ticket_id == ticket.id, CardNotice.status.in_(OPEN))
        .values(status="dropped", erased_at=now, last_error="handed over first", **_ERASE),
        execution_options={"synchronize_session": False},
    ).rowcount
    session.execute(
        update(CardNotice)
        .where(CardNotice.ticket_id == ticket.id, CardNotice.phone.is_not(None))
        .values(erased_at=now, **_ERASE),
        execution_options={"synchronize_session": False},
    )
    return dropped


def day_start(office: Office, now: datetime) -> datetime:
    """The start of the office-local day of ``now``, in UTC."""
    today = local_day(now, office.timezone)
    return datetime.combine(today, time(0), tzinfo=zone(office.timezone)).astimezone(UTC)


def day_ended(session: Session, office: Office, now: datetime, include_today: bool) -> int:
    """The rollover: notices given before today (every one with ``include_today``) that are not
    sent yet are dropped and their numbers erased. Returns how many."""
    given = (
        CardNotice.created_at <= now
        if include_today
        else (CardNotice.created_at < day_start(office, now))
    )
    return session.execute(
        update(CardNotice)
        .where(CardNotice.office_id == office.id, CardNotice.status.in_(OPEN), given)
        .values(status="dropped", erased_at=now, last_error="the day ended first", **_ERASE),
        execution_options={"synchronize_session": False},
    ).rowcount


def erase_stale_phones(session: Session, now: datetime) -> int:
    """``loket purge``: erase every number still stored that is no longer needed: its message
    ended (sent, failed, dropped), its card was handed over, or it was given before today in
    its office. Returns how many numbers were erased. The caller commits."""
    erased = 0
    offices = session.scalars(
        select(Office).where(
            Office.id.in_(
                select(CardNotice.office_id).where(CardNotice.phone.is_not(None)).distinct()
            )
        )
    ).all()
    handed_over = select(Ticket.id).where(Ticket.stage == "handed_over")
    still_open = CardNotice.status.in_(OPEN)
    for office in offices:
        stale = (
            CardNotice.status.not_in(OPEN)
            | CardNotice.ticket_id.in_(handed_over)
            | (CardNotice.created_at < day_start(office, now))
        )
        erased += session.execute(
            update(CardNotice)
            .where(CardNotice.office_id == office.id, CardNotice.phone.is_not(None), stale)
            .values(
                status=case((still_open, "dropped"), else_=CardNotice.status),
                last_error=case((still_open, "erased by loket purge"), else_=CardNotice.last_error),
                erased_at=now,
                **_ERASE,
            ),
            execution_options={"synchronize_session": False},
        ).rowcount
    return erased


def counts(session: Session, office: Office, now: datetime) -> dict[str, Any]:
    """Today's messages of ``office`` for administrators: how many per status, and the reasons
    of those that failed or were dropped (never a number)."""
    start = day_start(office, now)
    rows = session.execute(
        select(CardNotice.status, func.count())
        .where(CardNotice.office_id == office.id, CardNotice.created_at >= start)
        .group_by(CardNotice.status)
    ).all()
    by_status = {status: 0 for status in ("waiting", "pending", "sending", "sent", "failed")}
    by_status["dropped"] = 0
    for status, number in rows:
        by_status[status] = number
    reasons = session.execute(
        select(CardNotice.last_error, func.count())
        .where(
            CardNotice.office_id == office.id,
            CardNotice.created_at >= start,
            CardNotice.status == "failed",
        )
        .group_by(CardNotice.last_error)
        .order_by(func.count().desc())
    ).all()
    return {"statuses": by_status, "failures": [(r or "", n) for r, n in reasons]}
