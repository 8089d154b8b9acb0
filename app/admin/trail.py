"""The audit trail: every staff action with who, when and from which address — administrative
changes (audit_events) and ticket moves (ticket_events) in one list, newest first, filterable."""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from typing import Any

from flask import g, render_template, request
from flask_babel import gettext, lazy_gettext
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from .. import domain
from ..auth import staff_page
from ..domain.clock import zone
from ..domain.errors import N_, InvalidInput
from ..domain.reports import FIRST_DAY, LAST_DAY, check_range, parse_day
from ..errors import render_message
from ..extensions import db
from ..i18n import STAGE_LABELS, STATUS_LABELS
from ..models import AuditEvent, Counter, Office, Ticket, TicketEvent, User
from .blueprint import bp, office_in_scope

PAGE = 200
KINDS = ("all", "admin", "tickets")
_DIGITS = re.compile(r"[0-9]+")
# A page number longer than this is past the end of any list (PAGE * 10**9 entries).
_PAGE_DIGITS = 9


def _filters(office: Office, users: list[User]) -> dict[str, Any]:
    """The filters in the query string. Raises InvalidInput with a sentence for a bad one; a page
    number too large for the list is kept (``entries`` shows the last page instead)."""
    args = request.args
    today = domain.local_day(domain.utcnow(), office.timezone)
    day_from = parse_day(args.get("from"), "from", today)
    day_to = parse_day(args.get("to"), "to", day_from if args.get("from") else today)
    check_range(day_from, day_to)
    kind = args.get("kind") or "all"
    if kind not in KINDS:
        raise InvalidInput(N_("Choose what to show from the list."), error_code="invalid_field")
    return {
        "from": day_from,
        "to": day_to,
        "kind": kind,
        "user": _user(args.get("user", ""), users),
        "q": (args.get("q") or "").strip()[:60],
        "page": _page(args.get("page", "")),
    }


def _user(raw: str, users: list[User]) -> int | None:
    """The id of one of the listed ``users``, or None for anyone."""
    if raw == "":
        return None
    if _DIGITS.fullmatch(raw) and len(raw) <= 10 and int(raw) in {u.id for u in users}:
        return int(raw)
    raise InvalidInput(
        N_("Choose the person from the list of this office's staff."), error_code="invalid_field"
    )


def _page(raw: str) -> int:
    """A page number from 0 (the newest entries), written in the digits 0 to 9."""
    if raw == "":
        return 0
    if not _DIGITS.fullmatch(raw):
        raise InvalidInput(
            N_("The page must be a whole number written with the digits 0 to 9."),
            error_code="invalid_field",
        )
    return int(raw) if len(raw) <= _PAGE_DIGITS else 10**_PAGE_DIGITS


def _window(office: Office, f: dict[str, Any]) -> tuple[datetime, datetime]:
    tz = zone(office.timezone)
    start = datetime.combine(f["from"], time(0), tzinfo=tz)
    end = datetime.combine(f["to"] + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def _admin_events(office: Office, f: dict[str, Any], include_global: bool):
    """The administrative changes that match ``f``, newest first."""
    start, end = _window(office, f)
    office_cond = AuditEvent.office_id == office.id
    if include_global:
        office_cond = office_cond | AuditEvent.office_id.is_(None)
    stmt = (
        select(AuditEvent, User.username)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(office_cond, AuditEvent.at >= start, AuditEvent.at < end)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if f["user"] is not None:
        stmt = stmt.where(AuditEvent.user_id == f["user"])
    if f["q"]:
        like = f"%{f['q']}%"
        stmt = stmt.where(AuditEvent.target.ilike(like) | AuditEvent.action.ilike(like))
    return stmt


def _ticket_events(office: Office, f: dict[str, Any]):
    """The ticket moves that match ``f``, newest first."""
    start, end = _window(office, f)
    counter = aliased(Counter)
    stmt = (
        select(TicketEvent, Ticket.code, User.username, counter.number)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .outerjoin(User, User.id == TicketEvent.user_id)
        .outerjoin(counter, counter.id == TicketEvent.counter_id)
        .where(TicketEvent.office_id == office.id, TicketEvent.at >= start, TicketEvent.at < end)
        .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
    )
    if f["user"] is not None:
        stmt = stmt.where(TicketEvent.user_id == f["user"])
    if f["q"]:
        like = f"%{f['q'].upper()}%"
        stmt = stmt.where(Ticket.code.like(like) | TicketEvent.action.ilike(f"%{f['q']}%"))
    return stmt


def entries(
    office: Office, f: dict[str, Any], include_global: bool
) -> tuple[list[dict], bool, int]:
    """The entries of page ``f["page"]`` (the last page when that one is past the end), whether
    older entries follow, and the number of the page given."""
    sources = {}
    if f["kind"] in ("all", "admin"):
        sources["admin"] = _admin_events(office, f, include_global)
    if f["kind"] in ("all", "tickets"):
        sources["tickets"] = _ticket_events(office, f)
    page = f["page"]
    if page:
        total = sum(
            db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
            for stmt in sources.values()
        )
        page = min(page, max(0, (total - 1) // PAGE))
    limit = PAGE * (page + 1) + 1
    rows: list[dict[str, Any]] = []
    if "admin" in sources:
        for event, username in db.session.execute(sources["admin"].limit(limit)):
            rows.append(
                {
                    "at": event.at,
                    "user": username,
                    "address": event.remote_addr,
                    "action": event.action,
                    "action_label": action_label(event.action),
                    "target": event.target,
                    "details": _details(event.details),
                    "id": f"a{event.id}",
                }
            )
    if "tickets" in sources:
        moves = db.session.execute(sources["tickets"].limit(limit))
        for event, code, username, counter_number in moves:
            details = _move_details(event)
            if counter_number is not None:
                details.append(gettext("counter %(n)s", n=counter_number))
            if event.note:
                details.append(gettext("note: %(note)s", note=event.note))
            rows.append(
                {
                    "at": event.at,
                    "user": username,
                    "address": event.remote_addr,
                    "action": f"ticket.{event.action}",
                    "action_label": action_label(f"ticket.{event.action}"),
                    "target": code,
                    "details": details,
                    "id": f"t{event.id}",
                }
            )
    rows.sort(key=lambda r: r["at"], reverse=True)
    first = PAGE * page
    return rows[first : first + PAGE], len(rows) > first + PAGE, page


# Every action the trail can show, in words (the code stays visible next to it for searching).
ACTION_LABELS = {
    "ticket.issue": lazy_gettext("ticket issued"),
    "ticket.call": lazy_gettext("called to a counter"),
    "ticket.recall": lazy_gettext("called again"),
    "ticket.start": lazy_gettext("service started"),
    "ticket.finish": lazy_gettext("service finished"),
    "ticket.no_show": lazy_gettext("marked absent"),
    "ticket.requeue": lazy_gettext("put back in the queue"),
    "ticket.transfer": lazy_gettext("transferred to another service"),
    "ticket.cancel": lazy_gettext("cancelled"),
    "ticket.undo": lazy_gettext("slip undone at the counter"),
    "ticket.stage": lazy_gettext("card moved"),
    "ticket.reprint": lazy_gettext("queue ticket printed again"),
    "ticket.group": lazy_gettext("group tickets issued"),
    "office.create": lazy_gettext("office created"),
    "office.update": lazy_gettext("office settings changed"),
    "hours.update": lazy_gettext("opening hours changed"),
    "special_day.add": lazy_gettext("special day added"),
    "special_day.remove": lazy_gettext("special day removed"),
    "service.create": lazy_gettext("service created"),
    "service.update": lazy_gettext("service changed"),
    "booking.plan": lazy_gettext("booking plan changed"),
    "booking.group": lazy_gettext("group booking decided"),
    "counter.create": lazy_gettext("counter created"),
    "counter.update": lazy_gettext("counter changed"),
    "stock.set": lazy_gettext("blank-card stock set"),
    "user.create": lazy_gettext("user created"),
    "user.update": lazy_gettext("user changed"),
    "user.disable": lazy_gettext("user disabled"),
    "user.enable": lazy_gettext("user enabled"),
    "user.password_reset": lazy_gettext("password reset"),
    "device.link": lazy_gettext("sign-in link made for a device"),
    "device.revoke": lazy_gettext("device signed out everywhere"),
    "token.create": lazy_gettext("API token made"),
    "token.revoke": lazy_gettext("API token revoked"),
    "print.retry": lazy_gettext("print job tried again"),
    "print.cancel": lazy_gettext("print job cancelled"),
    "notes.purge": lazy_gettext("old staff notes erased"),
    "survey.wording": lazy_gettext("survey question reworded"),
    "survey.suggestion": lazy_gettext("survey suggestion kept or hidden"),
    "phones.purge": lazy_gettext("phone numbers of card-ready messages erased"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def _move_details(event: Any) -> list[str]:
    """A ticket move in words: the status change, and the card's when it moved."""
    out = []
    if event.from_status != event.to_status and event.to_status:
        old = STATUS_LABELS.get(event.from_status, event.from_status or "—")
        new = STATUS_LABELS.get(event.to_status, event.to_status)
        out.append(gettext("status: %(old)s → %(new)s", old=old, new=new))
    if event.from_stage != event.to_stage and (event.from_stage or event.to_stage):
        old = STAGE_LABELS.get(event.from_stage, event.from_stage or "—")
        new = STAGE_LABELS.get(event.to_stage, event.to_stage or "—")
        out.append(gettext("card: %(old)s → %(new)s", old=old, new=new))
    return out


def _details(raw: str) -> list[str]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return [raw]
    out = []
    for field, value in data.items():
        if isinstance(value, list) and len(value) == 2:
            old, new = ("—" if v is None else v for v in value)
            out.append(f"{field}: {old} → {new}")
        else:
            out.append(f"{field}: {value}")
    return out


@bp.get("/<office>/trail")
@staff_page("admin")
def trail(slug: str) -> tuple[str, int]:
    office = office_in_scope(slug)
    users = db.session.scalars(
        select(User)
        .where((User.office_id == office.id) | User.office_id.is_(None))
        .order_by(User.username)
    ).all()
    error = notice = None
    try:
        f = _filters(office, users)
    except InvalidInput as exc:
        error = render_message(exc.template, exc.params)
        today = domain.local_day(domain.utcnow(), office.timezone)
        f = {"from": today, "to": today, "kind": "all", "user": None, "q": "", "page": 0}
    rows, more, page = entries(office, f, include_global=g.actor.office_id is None)
    if page != f["page"]:
        notice = gettext("That page is past the end of the list; this is its last page.")
        f["page"] = page
    return render_template(
        "admin/trail.html",
        office=office,
        rows=rows,
        more=more,
        f=f,
        users=users,
        error=error,
        notice=notice,
        tz=office.timezone,
        first_day=FIRST_DAY,
        last_day=LAST_DAY,
    ), 400 if error else 200
