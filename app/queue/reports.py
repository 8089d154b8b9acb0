"""Reports over office-local days: tickets per service, waits, service times, arrivals per hour,
and the card pipeline. Aggregation happens in the database; percentiles come from per-second
histograms, so a year of tickets stays fast.

Counting rules: "issued" counts tickets by the service that numbered them; "served" (reached
``done``), "no_show", waits and service times count by the service a ticket ended in (after a
transfer, the new service). A wait runs from joining the queue to the (last) call; a service time
from the start (or the call, if never started) to finish.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from ..models import Office, Service, Ticket
from .clock import local, zone
from .errors import N_, InvalidInput

MAX_DAYS = 3 * 366
CARD_STAGES = ("ready_to_print", "printed", "handed_over", "blocked")


def seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement:
    """SQL for the seconds from ``start`` to ``end`` (both UTC timestamp columns)."""
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def check_range(day_from: date, day_to: date) -> None:
    """Raise InvalidInput unless ``day_from`` <= ``day_to`` and the range is at most 3 years."""
    if day_from > day_to:
        raise InvalidInput(
            N_("The start day %(start)s is after the end day %(end)s."),
            error_code="invalid_range",
            start=day_from,
            end=day_to,
        )
    if (day_to - day_from).days >= MAX_DAYS:
        raise InvalidInput(
            N_("A report covers at most %(days)s days."), error_code="invalid_range", days=MAX_DAYS
        )


def _percentile(histogram: list[tuple[int, int]], fraction: float) -> int | None:
    """The value below which ``fraction`` of the counted values lie (nearest rank)."""
    total = sum(count for _, count in histogram)
    if total == 0:
        return None
    rank = max(1, int(-(-fraction * total // 1)))  # ceil
    seen = 0
    for value, count in sorted(histogram):
        seen += count
        if seen >= rank:
            return int(value)
    return int(histogram[-1][0])


def _local_hour(session: Session, office: Office, day_from: date, day_to: date) -> Any:
    """SQL for the office-local hour of issue, or None when Python must bucket (DST zones)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        local_ts = func.timezone(office.timezone, func.timezone("UTC", Ticket.issued_at))
        return cast(func.extract("hour", local_ts), Integer)
    tz = zone(office.timezone)
    first = datetime.combine(day_from, time(12), tzinfo=tz).utcoffset()
    last = datetime.combine(day_to, time(12), tzinfo=tz).utcoffset()
    if first != last:
        return None
    minutes = int(first.total_seconds() // 60)
    return cast(func.strftime("%H", Ticket.issued_at, f"{minutes:+d} minutes"), Integer)


def report(session: Session, office: Office, day_from: date, day_to: date) -> dict[str, Any]:
    """The Report of ``office`` from ``day_from`` to ``day_to`` (office-local days, inclusive).

    Raises InvalidInput for a reversed or too long range.
    """
    check_range(day_from, day_to)
    dialect = session.get_bind().dialect.name
    in_range = (Ticket.office_id == office.id, Ticket.day >= day_from, Ticket.day <= day_to)
    services: list[Service] = list(office.services)

    issued = dict(
        session.execute(
            select(Ticket.issued_service_id, func.count())
            .where(*in_range)
            .group_by(Ticket.issued_service_id)
        ).all()
    )
    by_status: dict[tuple[int, str], int] = {
        (sid, status): n
        for sid, status, n in session.execute(
            select(Ticket.service_id, Ticket.status, func.count())
            .where(*in_range)
            .group_by(Ticket.service_id, Ticket.status)
        )
    }
    wait = seconds_between(dialect, Ticket.queued_at, Ticket.called_at)
    wait_hist: dict[int, list[tuple[int, int]]] = {}
    wait_sum: dict[int, float] = {}
    bucket = cast(func.round(wait), Integer)
    for sid, seconds, count in session.execute(
        select(Ticket.service_id, bucket, func.count())
        .where(*in_range, Ticket.called_at.is_not(None))
        .group_by(Ticket.service_id, bucket)
    ):
        seconds = max(0, int(seconds or 0))
        wait_hist.setdefault(sid, []).append((seconds, count))
        wait_sum[sid] = wait_sum.get(sid, 0.0) + seconds * count
    served_from = func.coalesce(Ticket.serving_at, Ticket.called_at)
    service_avg = dict(
        session.execute(
            select(
                Ticket.service_id,
                func.avg(seconds_between(dialect, served_from, Ticket.finished_at)),
            )
            .where(*in_range, Ticket.status == "done", Ticket.finished_at.is_not(None))
            .group_by(Ticket.service_id)
        ).all()
    )

    rows = []
    for s in services:
        hist = wait_hist.get(s.id, [])
        called = sum(n for _, n in hist)
        rows.append(
            {
                "code": s.code,
                "name": s.name,
                "issued": issued.get(s.id, 0),
                "served": by_status.get((s.id, "done"), 0),
                "no_show": by_status.get((s.id, "no_show"), 0),
                "cancelled": by_status.get((s.id, "cancelled"), 0),
                "wait_avg_s": round(wait_sum[s.id] / called) if called else None,
                "wait_median_s": _percentile(hist, 0.5),
                "wait_p90_s": _percentile(hist, 0.9),
                "service_avg_s": round(service_avg[s.id])
                if service_avg.get(s.id) is not None
                else None,
            }
        )

    return {
        "office": office.slug,
        "from": day_from.isoformat(),
        "to": day_to.isoformat(),
        "services": rows,
        "hours": _hours(session, office, day_from, day_to, in_range),
        "days": [
            {"day": d.isoformat(), "issued": n}
            for d, n in session.execute(
                select(Ticket.day, func.count())
                .where(*in_range)
                .group_by(Ticket.day)
                .order_by(Ticket.day)
            )
        ],
        "cards": _cards(session, in_range),
    }


def _hours(
    session: Session, office: Office, day_from: date, day_to: date, in_range: tuple
) -> list[dict[str, int]]:
    hour = _local_hour(session, office, day_from, day_to)
    counts: dict[int, int] = {}
    if hour is not None:
        for h, n in session.execute(select(hour, func.count()).where(*in_range).group_by(hour)):
            counts[int(h)] = n
    else:
        for (issued_at,) in session.execute(select(Ticket.issued_at).where(*in_range)):
            h = local(issued_at, office.timezone).hour
            counts[h] = counts.get(h, 0) + 1
    if not counts:
        return []
    return [{"hour": h, "issued": counts.get(h, 0)} for h in range(min(counts), max(counts) + 1)]


def _cards(session: Session, in_range: tuple) -> dict[str, int]:
    counts = dict(
        session.execute(
            select(Ticket.stage, func.count())
            .where(*in_range, Ticket.stage.is_not(None))
            .group_by(Ticket.stage)
        ).all()
    )
    return {stage: counts.get(stage, 0) for stage in CARD_STAGES}


def parse_day(value: str | None, name: str, default: date) -> date:
    """A YYYY-MM-DD query value. Raises InvalidInput naming the parameter when malformed."""
    if value is None or value == "":
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            N_("%(name)s must be a date written YYYY-MM-DD."), error_code="invalid_date", name=name
        ) from None
