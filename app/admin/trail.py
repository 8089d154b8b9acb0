"""The audit trail: every staff action with who, when and from which address — administrative
changes (audit_events) and ticket moves (ticket_events) in one list, newest first, filterable."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from flask import g, render_template, request
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import aliased

from .. import queue
from ..auth import staff_page
from ..errors import render_message
from ..extensions import db
from ..models import AuditEvent, Counter, Ticket, TicketEvent, User
from ..queue.clock import zone
from ..queue.errors import InvalidInput
from ..queue.reports import check_range, parse_day
from . import bp, office_in_scope, offices_in_scope

PAGE = 200
KINDS = ("all", "admin", "tickets")


def _filters(found) -> dict[str, Any]:
    today = queue.local_day(queue.utcnow(), found.timezone)
    day_from = parse_day(request.args.get("from"), "from", today)
    day_to = parse_day(
        request.args.get("to"), "to", day_from if request.args.get("from") else today
    )
    check_range(day_from, day_to)
    kind = request.args.get("kind", "all")
    user = request.args.get("user", "")
    return {
        "from": day_from,
        "to": day_to,
        "kind": kind if kind in KINDS else "all",
        "user": int(user) if user.isdigit() else None,
        "q": (request.args.get("q") or "").strip()[:60],
        "page": max(
            0, int(request.args.get("page", "0")) if request.args.get("page", "0").isdigit() else 0
        ),
    }


def _window(found, f: dict[str, Any]) -> tuple[datetime, datetime]:
    tz = zone(found.timezone)
    start = datetime.combine(f["from"], time(0), tzinfo=tz)
    end = datetime.combine(f["to"] + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def entries(found, f: dict[str, Any], include_global: bool) -> tuple[list[dict], bool]:
    start, end = _window(found, f)
    limit = PAGE * (f["page"] + 1) + 1
    rows: list[dict[str, Any]] = []
    if f["kind"] in ("all", "admin"):
        office_cond = AuditEvent.office_id == found.id
        if include_global:
            office_cond = office_cond | AuditEvent.office_id.is_(None)
        stmt = (
            select(AuditEvent, User.username)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .where(office_cond, AuditEvent.at >= start, AuditEvent.at < end)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
        if f["user"] is not None:
            stmt = stmt.where(AuditEvent.user_id == f["user"])
        if f["q"]:
            like = f"%{f['q']}%"
            stmt = stmt.where(AuditEvent.target.ilike(like) | AuditEvent.action.ilike(like))
        for event, username in db.session.execute(stmt):
            rows.append(
                {
                    "at": event.at,
                    "user": username,
                    "address": event.remote_addr,
                    "action": event.action,
                    "target": event.target,
                    "details": _details(event.details),
                    "id": f"a{event.id}",
                }
            )
    if f["kind"] in ("all", "tickets"):
        counter = aliased(Counter)
        stmt = (
            select(TicketEvent, Ticket.code, User.username, counter.number)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .outerjoin(User, User.id == TicketEvent.user_id)
            .outerjoin(counter, counter.id == TicketEvent.counter_id)
            .where(TicketEvent.office_id == found.id, TicketEvent.at >= start, TicketEvent.at < end)
            .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
            .limit(limit)
        )
        if f["user"] is not None:
            stmt = stmt.where(TicketEvent.user_id == f["user"])
        if f["q"]:
            like = f"%{f['q'].upper()}%"
            stmt = stmt.where(Ticket.code.like(like) | TicketEvent.action.ilike(f"%{f['q']}%"))
        for event, code, username, counter_number in db.session.execute(stmt):
            change = " → ".join(
                x
                for x in (event.from_status or event.from_stage, event.to_status or event.to_stage)
                if x
            )
            details = [change] if change else []
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
                    "target": code,
                    "details": details,
                    "id": f"t{event.id}",
                }
            )
    rows.sort(key=lambda r: r["at"], reverse=True)
    first = PAGE * f["page"]
    return rows[first : first + PAGE], len(rows) > first + PAGE


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
def trail(office: str) -> tuple[str, int]:
    found = office_in_scope(office)
    error = None
    try:
        f = _filters(found)
    except InvalidInput as exc:
        error = render_message(exc.template, exc.params)
        today = queue.local_day(queue.utcnow(), found.timezone)
        f = {"from": today, "to": today, "kind": "all", "user": None, "q": "", "page": 0}
    rows, more = entries(found, f, include_global=g.actor.office_id is None)
    users = db.session.scalars(
        select(User)
        .where((User.office_id == found.id) | User.office_id.is_(None))
        .order_by(User.username)
    ).all()
    return render_template(
        "admin/trail.html",
        office=found,
        offices=offices_in_scope(),
        rows=rows,
        more=more,
        f=f,
        users=users,
        error=error,
        tz=found.timezone,
    ), 400 if error else 200
