"""Reports over office-local days: tickets per service, waits, service times, arrivals per hour,
and the card pipeline. Aggregation happens in the database; percentiles come from per-second
histograms, so a year of tickets stays fast.

Counting rules: "issued" counts tickets by the service that numbered them; "served" (reached
``done``), "no_show", waits and service times count by the service a ticket ended in (after a
transfer, the new service). A wait runs from joining the queue to the (last) call; a service time
from the start (or the call, if never started) to finish.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session

from ..models import (
    Booking,
    BookingPlan,
    Counter,
    Office,
    Service,
    Ticket,
    User,
    check_in_closes,
)
from . import shapes
from .clock import local, zone
from .errors import N_, InvalidInput

MAX_DAYS = 3 * 366
# The days a report, its CSV or the audit trail may be asked about: every day an office can
# have records, far from the calendar's ends (where a local day's bounds in UTC do not exist).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CARD_STAGES = ("ready_to_print", "printed", "handed_over", "blocked")


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
    """SQL for the office-local hour of issue, or None when Python must bucket (a zone whose
    offset changes within the range)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        local_ts = func.timezone(office.timezone, func.timezone("UTC", Ticket.issued_at))
        return cast(func.extract("hour", local_ts), Integer)
    tz = zone(office.timezone)
    offsets = {
        datetime.combine(day_from + timedelta(days=n), time(12), tzinfo=tz).utcoffset()
        for n in range((day_to - day_from).days + 1)
    }
    if len(offsets) != 1:
        return None
    minutes = int(offsets.pop().total_seconds() // 60)
    if minutes % 60 == 0:
        # SQLite keeps UTC times as "YYYY-MM-DD HH:MM:SS.ffffff": reading the hour's digits
        # is several times cheaper than strftime over a year of tickets.
        utc_hour = cast(func.substr(Ticket.issued_at, 12, 2), Integer)
        return (utc_hour + (minutes // 60 + 24)) % 24
    return cast(func.strftime("%H", Ticket.issued_at, f"{minutes:+d} minutes"), Integer)


def report(
    session: Session,
    office: Office,
    day_from: date,
    day_to: date,
    now: datetime | None = None,
) -> shapes.Report:
    """The Report of ``office`` from ``day_from`` to ``day_to`` (office-local days, inclusive).

    Four grouped passes over the range, whatever its length: the counts (per day, service,
    status, counter and operator), arrivals per hour, the waiting-time histogram, and the cards.
    Durations come from the tickets' duration columns, kept in step with their times.

    Raises InvalidInput for a reversed or too long range.
    """
    check_range(day_from, day_to)
    dialect = session.get_bind().dialect.name
    in_range = (Ticket.office_id == office.id, Ticket.day >= day_from, Ticket.day <= day_to)
    services: list[Service] = sorted(office.services, key=lambda s: (s.code, s.id))

    counts = _counts(session, office, dialect, day_from, day_to, in_range)
    wait_hist = _waits(session, in_range)

    rows = []
    for s in services:
        hist = wait_hist.get(s.id, [])
        served = counts.by_status.get((s.id, "done"), 0)
        no_show = counts.by_status.get((s.id, "no_show"), 0)
        timed = counts.service_n.get(s.id)
        rows.append(
            {
                "code": s.code,
                "name": s.name,
                "issued": counts.issued.get(s.id, 0),
                "served": served,
                "no_show": no_show,
                "cancelled": counts.by_status.get((s.id, "cancelled"), 0),
                "no_show_rate": _rate(no_show, served + no_show),
                "wait_avg_s": _average(hist),
                "wait_median_s": _percentile(hist, 0.5),
                "wait_p90_s": _percentile(hist, 0.9),
                "service_avg_s": round(counts.service_sum[s.id] / timed) if timed else None,
            }
        )
    served = sum(r["served"] for r in rows)
    no_show = sum(r["no_show"] for r in rows)
    all_waits = [pair for hist in wait_hist.values() for pair in hist]
    cards, pipeline = _cards(session, in_range)

    return {
        "office": office.slug,
        "from": day_from.isoformat(),
        "to": day_to.isoformat(),
        "services": rows,
        "totals": {
            "issued": sum(counts.issued.values()),
            "served": served,
            "no_show": no_show,
            "cancelled": sum(r["cancelled"] for r in rows),
            "no_show_rate": _rate(no_show, served + no_show),
            "wait_avg_s": _average(all_waits),
            "wait_median_s": _percentile(all_waits, 0.5),
            "wait_p90_s": _percentile(all_waits, 0.9),
        },
        "hours": counts.hours(),
        "days": [
            {
                "day": d.isoformat(),
                "issued": sum(counts.per_day[d].values()),
                "services": {s.code: counts.per_day[d].get(s.id, 0) for s in services},
            }
            for d in sorted(counts.per_day)
        ],
        "counters": _named(session, Counter, counts.per_counter),
        "operators": _named(session, User, counts.per_operator),
        "cards": cards,
        "pipeline": pipeline,
        "channels": _channels(session, in_range),
        "bookings": _bookings(session, office, day_from, day_to, now),
    }


def _channels(session: Session, in_range: tuple) -> shapes.Channels:
    rows = dict(
        session.execute(
            select(Ticket.channel, func.count()).where(*in_range).group_by(Ticket.channel)
        ).all()
    )
    return {
        "kiosk": rows.get("kiosk", 0),
        "booking": rows.get("booking", 0),
        "phone": rows.get("phone", 0),
    }


def _bookings(
    session: Session, office: Office, day_from: date, day_to: date, now: datetime | None
) -> list[shapes.BookingLine]:
    """Per day of their slots and service: places booked, and of them cancelled, checked in
    and missed (a booking still "booked" whose check-in closed before ``now`` is missed)."""
    late = {
        p.service_id: p.late_min
        for p in session.scalars(
            select(BookingPlan).where(BookingPlan.service_id.in_([s.id for s in office.services]))
        )
    }
    codes = {s.id: s.code for s in office.services}
    table: dict[tuple[date, str], dict[str, Any]] = {}
    rows = session.execute(
        select(Booking.day, Booking.service_id, Booking.status, Booking.end, Booking.places).where(
            Booking.office_id == office.id, Booking.day >= day_from, Booking.day <= day_to
        )
    )
    for day, service_id, status, end, places in rows:
        if (
            status == "booked"
            and now is not None
            and check_in_closes(end, late.get(service_id)) < now
        ):
            status = "missed"
        key = (day, codes.get(service_id, "?"))
        line = table.setdefault(
            key,
            {
                "day": day.isoformat(),
                "service": key[1],
                "booked": 0,
                "cancelled": 0,
                "checked_in": 0,
                "missed": 0,
            },
        )
        line["booked"] += places
        if status in ("cancelled", "checked_in", "missed"):
            line[status] += places
    return [table[key] for key in sorted(table)]


class _Counts:
    """The first pass, folded: tickets per (day, numbering service), per (final service,
    status), service seconds per service, and throughput per counter and operator."""

    def __init__(self) -> None:
        self.issued: dict[int, int] = {}
        self.by_status: dict[tuple[int, str], int] = {}
        self.service_sum: dict[int, float] = {}
        self.service_n: dict[int, int] = {}
        self.per_day: dict[date, dict[int, int]] = {}
        self.per_hour: dict[int, int] = {}
        self.per_counter: dict[int, dict[str, Any]] = {}
        self.per_operator: dict[int, dict[str, Any]] = {}

    def add(
        self,
        day: Any,
        issued_sid: int,
        sid: int,
        status: str,
        counter_id: int | None,
        operator_id: int | None,
        n: int,
        seconds: Any,
        timed: int,
    ) -> None:
        if isinstance(day, str):
            day = date.fromisoformat(day)
        self.issued[issued_sid] = self.issued.get(issued_sid, 0) + n
        self.by_status[(sid, status)] = self.by_status.get((sid, status), 0) + n
        if timed:
            self.service_sum[sid] = self.service_sum.get(sid, 0.0) + float(seconds)
            self.service_n[sid] = self.service_n.get(sid, 0) + timed
        day_counts = self.per_day.setdefault(day, {})
        day_counts[issued_sid] = day_counts.get(issued_sid, 0) + n
        if status in ("done", "no_show"):
            for key, table in ((counter_id, self.per_counter), (operator_id, self.per_operator)):
                if key is None:
                    continue
                entry = table.setdefault(key, {"served": 0, "no_show": 0, "_sum": 0.0, "_n": 0})
                entry["served" if status == "done" else "no_show"] += n
                if timed:
                    entry["_sum"] += float(seconds)
                    entry["_n"] += timed

    def hours(self) -> list[dict[str, int]]:
        if not self.per_hour:
            return []
        low, high = min(self.per_hour), max(self.per_hour)
        return [{"hour": h, "issued": self.per_hour.get(h, 0)} for h in range(low, high + 1)]


def _counts(
    session: Session, office: Office, dialect: str, day_from: date, day_to: date, in_range: tuple
) -> _Counts:
    service_s = case((Ticket.status == "done", Ticket.service_s))
    keys = [
        Ticket.day,
        Ticket.issued_service_id,
        Ticket.service_id,
        Ticket.status,
        Ticket.counter_id,
        Ticket.operator_id,
    ]
    counts = _Counts()
    for day, issued_sid, sid, status, counter_id, operator_id, n, seconds, timed in session.execute(
        select(*keys, func.count(), func.sum(service_s), func.count(service_s))
        .where(*in_range)
        .group_by(*keys)
    ):
        counts.add(day, issued_sid, sid, status, counter_id, operator_id, n, seconds, timed)
    hour = _local_hour(session, office, day_from, day_to)
    if hour is not None:
        for h, n in session.execute(select(hour, func.count()).where(*in_range).group_by(hour)):
            counts.per_hour[int(h)] = n
    else:  # a zone with daylight saving inside the range: bucket in Python
        for (issued_at,) in session.execute(select(Ticket.issued_at).where(*in_range)):
            h = local(issued_at, office.timezone).hour
            counts.per_hour[h] = counts.per_hour.get(h, 0) + 1
    return counts


def _waits(session: Session, in_range: tuple) -> dict[int, list[tuple[int, int]]]:
    """Per service, a histogram of waits (joining the queue to the call) in whole seconds."""
    hist: dict[int, list[tuple[int, int]]] = {}
    for sid, seconds, count in session.execute(
        select(Ticket.service_id, Ticket.wait_s, func.count())
        .where(*in_range, Ticket.wait_s.is_not(None))
        .group_by(Ticket.service_id, Ticket.wait_s)
    ):
        hist.setdefault(sid, []).append((int(seconds), count))
    return hist


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _average(histogram: list[tuple[int, int]]) -> int | None:
    total = sum(count for _, count in histogram)
    if not total:
        return None
    return round(sum(value * count for value, count in histogram) / total)


def _named(session: Session, model: type, table: dict[int, dict[str, Any]]) -> list[dict]:
    """Throughput rows named by counter (number, name) or operator (username, name)."""
    out = []
    if table:
        for item in session.scalars(select(model).where(model.id.in_(table))):
            entry = dict(table[item.id])
            total, timed = entry.pop("_sum"), entry.pop("_n")
            entry["service_avg_s"] = round(total / timed) if timed else None
            entry["no_show_rate"] = _rate(entry["no_show"], entry["served"] + entry["no_show"])
            if model is Counter:
                out.append({"number": item.number, "name": item.name, **entry})
            else:
                out.append(
                    {"username": item.username, "name": item.display_name or item.username, **entry}
                )
    if model is Counter:
        out.sort(key=lambda c: c["number"])
    else:
        out.sort(key=lambda o: (-o["served"], o["username"]))
    return out


PIPELINE_LEGS = ("recorded_to_printed", "printed_to_handed_over", "recorded_to_handed_over")


PIPELINE_STEP_S = 60  # medians and 90th percentiles of the card legs: to the minute


def _cards(session: Session, in_range: tuple) -> tuple[dict[str, int], dict[str, Any]]:
    """Cards by stage now, and how long they took from recording to printing to the resident's
    hands: exact averages, medians and 90th percentiles to the nearest minute; with the
    printed cards never collected."""
    step = PIPELINE_STEP_S
    legs = (Ticket.print_s, Ticket.pickup_s, Ticket.print_s + Ticket.pickup_s)
    # Rounded to the step (integer division of non-negative integers in both databases).
    buckets = [(leg + step // 2) // step for leg in legs]
    stages: dict[str, int] = dict.fromkeys(CARD_STAGES, 0)
    hists: list[dict[int, int]] = [{} for _ in PIPELINE_LEGS]
    sums = [0] * len(PIPELINE_LEGS)
    for stage, *rest in session.execute(
        select(Ticket.stage, *buckets, func.count(), *(func.sum(leg) for leg in legs))
        .where(*in_range, Ticket.stage.is_not(None))
        .group_by(Ticket.stage, *buckets)
    ):
        marks, n, totals = rest[:3], rest[3], rest[4:]
        stages[stage] = stages.get(stage, 0) + n
        for i, mark in enumerate(marks):
            if mark is not None:
                hists[i][int(mark) * step] = hists[i].get(int(mark) * step, 0) + n
                sums[i] += int(totals[i])
    pipeline: dict[str, Any] = {}
    for name, hist, total in zip(PIPELINE_LEGS, hists, sums, strict=True):
        pairs = list(hist.items())
        count = sum(hist.values())
        pipeline[name] = {
            "count": count,
            "avg_s": round(total / count) if count else None,
            "median_s": _percentile(pairs, 0.5),
            "p90_s": _percentile(pairs, 0.9),
        }
    pipeline["not_collected"] = stages["printed"]
    return {stage: stages.get(stage, 0) for stage in CARD_STAGES}, pipeline


def parse_day(value: str | None, name: str, default: date) -> date:
    """A YYYY-MM-DD query value from FIRST_DAY to LAST_DAY: the one rule for every date a report,
    its CSV or the audit trail is asked for. Raises InvalidInput naming the parameter otherwise."""
    if value is None or value == "":
        return default
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            N_("%(name)s must be a date written YYYY-MM-DD."), error_code="invalid_date", name=name
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(
            N_("%(name)s must be a day from %(first)s to %(last)s."),
            error_code="invalid_date",
            name=name,
            first=FIRST_DAY,
            last=LAST_DAY,
        )
    return day
