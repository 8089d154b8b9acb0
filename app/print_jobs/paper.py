"""The paper of a ticket: what it shows and the job that prints it.

Issuing only adds a job row in the ticket's own transaction, so a ticket never waits on paper
and a job exists exactly when its ticket does; ``PrintQueued`` is published after the commit.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from functools import cache

from flask import current_app, has_request_context
from flask_babel import force_locale, get_locale, gettext
from sqlalchemy.orm import Session

from printer.layout import TicketData

from .. import domain
from ..domain.clock import local, tz_label
from ..domain.events import PrintQueued, record
from ..models import PrintJob, Ticket
from ..public_url import track_url
from ..wifi import office_payload


@cache
def paper_words(lang: str) -> dict[str, str]:
    """The paper's fixed words in ``lang`` (the kiosk asks in its own), from the catalogue; the
    layout fills in ``{n}`` and ``{m}``. Looked up once per language (the catalogue is loaded
    at start): issuing a ticket does not translate its six words again. Not to be changed."""
    with force_locale(lang):
        return {
            "number": gettext("QUEUE NUMBER"),
            "priority": gettext("PRIORITY"),
            "ahead": gettext("Ahead of you: {n}"),
            "ahead_none": gettext("You are next"),
            "wait": gettext("Estimated wait: about {m} minutes"),
            "scan": gettext("Scan to follow your place in the queue"),
        }


@cache
def one_minute_wait(lang: str) -> str:
    """The paper's wait line in ``lang`` when the estimate is exactly one minute ("1 minute", not
    "1 minutes"); it stands for ``paper_words``' "wait" on that ticket only."""
    with force_locale(lang):
        return gettext("Estimated wait: about 1 minute")


@cache
def wifi_words(lang: str) -> dict[str, str]:
    """The captions of the two QR codes when the office has a guest Wi-Fi, in ``lang``; the
    layout fills in ``{name}``. Not to be changed."""
    with force_locale(lang):
        return {
            "wifi": gettext("1. Join the Wi-Fi: {name}"),
            "scan_after_wifi": gettext("2. Then scan to follow your place in the queue"),
        }


def ticket_data(ticket: Ticket, url: str, ahead: int | None, wait_s: int | None) -> TicketData:
    """What the paper of ``ticket`` shows (nothing personal), in the language of the request
    (the kiosk's ``?lang=``; Indonesian elsewhere). With the office's guest Wi-Fi, a second QR
    code joins it (the password only inside the code)."""
    office, service = ticket.office, ticket.service
    default = current_app.config["LANGUAGES"][0]
    lang = str(get_locale() or default) if has_request_context() else default
    moment = local(ticket.issued_at, office.timezone)
    footer = " ".join(t for t in (office.ticket_footer, service.ticket_footer) if t)
    wifi = office_payload(office)
    words = {**paper_words(lang), **wifi_words(lang)} if wifi else paper_words(lang)
    wait_min = math.ceil(wait_s / 60) if wait_s else None
    if wait_min == 1:  # a copy: the cached words stay as they are
        words = {**words, "wait": one_minute_wait(lang)}
    return TicketData(
        office=office.name,
        service=service.name,
        code=ticket.code,
        issued_at=f"{moment:%d-%m-%Y %H:%M} {tz_label(office.timezone, moment)}",
        url=url,
        ahead=ahead,
        wait_min=wait_min,
        footer=footer,
        priority=ticket.priority,
        lang=lang,
        words=words,
        wifi=wifi,
        wifi_name=office.wifi_ssid if wifi else "",
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
    ahead, wait = domain.estimate(session, ticket, now)
    data = ticket_data(ticket, track_url(ticket.token), ahead, wait)
    return enqueue(
        session, ticket, data, target=target, now=now, requested_by=requested_by, kind=kind
    )
