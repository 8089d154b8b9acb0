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

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from ..models import Counter, Office, Service, Ticket, User
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
    services: list[Service] = sorted(office.services, key=lambda s: (s.code, s.id))
    code_of = {s.id: s.code for s in services}

    # One pass for the counts: per day, numbering service, final service and status, with the
    # service seconds of finished tickets.
    served_from = func.coalesce(Ticket.serving_at, Ticket.called_at)
    finished = (Ticket.status == "done") & Ticket.finished_at.is_not(None)
    service_s = case((finished, seconds_between(dialect, served_from, Ticket.finished_at)))
    issued: dict[int, int] = {}
    by_status: dict[tuple[int, str], int] = {}
    service_sum: dict[int, float] = {}
    service_n: dict[int, int] = {}
    per_day: dict[date, dict[str, int]] = {}
    for day, issued_sid, sid, status, n, seconds, timed in session.execute(
        select(
            Ticket.day,
            Ticket.issued_service_id,
            Ticket.service_id,
            Ticket.status,
            func.count(),
            func.sum(service_s),
            func.count(service_s),
        )
        .where(*in_range)
        .group_by(Ticket.day, Ticket.issued_service_id, Ticket.service_id, Ticket.status)
    ):
        issued[issued_sid] = issued.get(issued_sid, 0) + n
        by_status[(sid, status)] = by_status.get((sid, status), 0) + n
        if timed:
            service_sum[sid] = service_sum.get(sid, 0.0) + float(seconds)
            service_n[sid] = service_n.get(sid, 0) + timed
        counts = per_day.setdefault(day, {})
        code = code_of.get(issued_sid, "?")
        counts[code] = counts.get(code, 0) + n

    wait = seconds_between(dialect, Ticket.queued_at, Ticket.called_at)
    wait_hist: dict[int, list[tuple[int, int]]] = {}
    bucket = cast(func.round(wait), Integer)
    for sid, seconds, count in session.execute(
        select(Ticket.service_id, bucket, func.count())
        .where(*in_range, Ticket.called_at.is_not(None))
        .group_by(Ticket.service_id, bucket)
    ):
        wait_hist.setdefault(sid, []).append((max(0, int(seconds or 0)), count))

    rows = []
    for s in services:
        hist = wait_hist.get(s.id, [])
        served = by_status.get((s.id, "done"), 0)
        no_show = by_status.get((s.id, "no_show"), 0)
        rows.append(
            {
                "code": s.code,
                "name": s.name,
                "issued": issued.get(s.id, 0),
                "served": served,
                "no_show": no_show,
                "cancelled": by_status.get((s.id, "cancelled"), 0),
                "no_show_rate": _rate(no_show, served + no_show),
                "wait_avg_s": _average(hist),
                "wait_median_s": _percentile(hist, 0.5),
                "wait_p90_s": _percentile(hist, 0.9),
                "service_avg_s": round(service_sum[s.id] / service_n[s.id])
                if service_n.get(s.id)
                else None,
            }
        )
    served = sum(r["served"] for r in rows)
    no_show = sum(r["no_show"] for r in rows)
    all_waits = [pair for hist in wait_hist.values() for pair in hist]

    return {
        "office": office.slug,
        "from": day_from.isoformat(),
        "to": day_to.isoformat(),
        "services": rows,
        "totals": {
            "issued": sum(issued.values()),
            "served": served,
            "no_show": no_show,
            "cancelled": sum(r["cancelled"] for r in rows),
            "no_show_rate": _rate(no_show, served + no_show),
            "wait_avg_s": _average(all_waits),
            "wait_median_s": _percentile(all_waits, 0.5),
            "wait_p90_s": _percentile(all_waits, 0.9),
        },
        "hours": _hours(session, office, day_from, day_to, in_range),
        "days": [
            {
                "day": d.isoformat(),
                "issued": sum(per_day[d].values()),
                "services": {s.code: per_day[d].get(s.code, 0) for s in services},
            }
            for d in sorted(per_day)
        ],
        **_throughput(session, in_range, service_s),
        "cards": _cards(session, in_range),
        "pipeline": _pipeline(session, dialect, in_range),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _average(histogram: list[tuple[int, int]]) -> int | None:
    total = sum(count for _, count in histogram)
    if not total:
        return None
    return round(sum(value * count for value, count in histogram) / total)


def _throughput(session: Session, in_range: tuple, service_s: Any) -> dict[str, list[dict]]:
    """Served and no-show tickets with average service time, per counter and per operator."""
    per_counter: dict[int, dict[str, Any]] = {}
    per_operator: dict[int, dict[str, Any]] = {}
    for counter_id, operator_id, status, n, seconds, timed in session.execute(
        select(
            Ticket.counter_id,
            Ticket.operator_id,
            Ticket.status,
            func.count(),
            func.sum(service_s),
            func.count(service_s),
        )
        .where(*in_range, Ticket.status.in_(("done", "no_show")))
        .group_by(Ticket.counter_id, Ticket.operator_id, Ticket.status)
    ):
        for key, table in ((counter_id, per_counter), (operator_id, per_operator)):
            if key is None:
                continue
            entry = table.setdefault(key, {"served": 0, "no_show": 0, "_sum": 0.0, "_n": 0})
            entry["served" if status == "done" else "no_show"] += n
            if timed:
                entry["_sum"] += float(seconds)
                entry["_n"] += timed

    def finish(entry: dict[str, Any]) -> dict[str, Any]:
        total, timed = entry.pop("_sum"), entry.pop("_n")
        entry["service_avg_s"] = round(total / timed) if timed else None
        entry["no_show_rate"] = _rate(entry["no_show"], entry["served"] + entry["no_show"])
        return entry

    counters = []
    if per_counter:
        for c in session.scalars(select(Counter).where(Counter.id.in_(per_counter))):
            counters.append({"number": c.number, "name": c.name, **finish(per_counter[c.id])})
    operators = []
    if per_operator:
        for u in session.scalars(select(User).where(User.id.in_(per_operator))):
            operators.append(
                {
                    "username": u.username,
                    "name": u.display_name or u.username,
                    **finish(per_operator[u.id]),
                }
            )
    counters.sort(key=lambda c: c["number"])
    operators.sort(key=lambda o: (-o["served"], o["username"]))
    return {"counters": counters, "operators": operators}


PIPELINE_LEGS = (
    ("recorded_to_printed", "ready_at", "printed_at"),
    ("printed_to_handed_over", "printed_at", "handed_over_at"),
    ("recorded_to_handed_over", "ready_at", "handed_over_at"),
)


def _pipeline(session: Session, dialect: str, in_range: tuple) -> dict[str, Any]:
    """How long cards take from recording to printing to the resident's hands (minute buckets),
    and how many printed cards were never collected."""
    legs: dict[str, Any] = {}
    for name, start, end in PIPELINE_LEGS:
        begin, finish = getattr(Ticket, start), getattr(Ticket, end)
        minutes = cast(func.round(seconds_between(dialect, begin, finish) / 60.0), Integer)
        hist = [
            (max(0, int(m or 0)) * 60, n)
            for m, n in session.execute(
                select(minutes, func.count())
                .where(
                    *in_range, Ticket.stage.is_not(None), begin.is_not(None), finish.is_not(None)
                )
                .group_by(minutes)
            )
        ]
        legs[name] = {
            "count": sum(n for _, n in hist),
            "avg_s": _average(hist),
            "median_s": _percentile(hist, 0.5),
            "p90_s": _percentile(hist, 0.9),
        }
    legs["not_collected"] = session.scalar(
        select(func.count()).where(*in_range, Ticket.stage == "printed")
    )
    return legs


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
