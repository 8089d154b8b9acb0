"""No statement on the everyday paths reads through the ticket history.

A year of an office is 250,000 tickets; a query that scans them would make every ticket slower
as the months pass. This test runs a whole journey through the API on SQLite with a history in
place and ANALYZE done, records every statement that touches ``tickets``, and checks SQLite's
plan for each: only lookups by primary key, by token, or through indexes bounded to today or to
the small partial indexes (waiting, at a counter, cards by stage) are allowed.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, text

from app.extensions import db
from app.models import PrintJob, Ticket

ALLOWED = [
    r"USING INTEGER PRIMARY KEY",
    r"USING (COVERING )?INDEX ix_tickets_waiting",
    r"USING (COVERING )?INDEX ix_tickets_one_per_counter",
    r"USING (COVERING )?INDEX ix_tickets_card_stage \(office_id=\? AND stage=\?",
    r"USING (COVERING )?INDEX ix_tickets_office_day \(office_id=\? AND day=\?",
    r"USING (COVERING )?INDEX sqlite_autoindex_tickets_\d \(token=\?\)",
    r"USING (COVERING )?INDEX ix_tickets_service_finished \(service_id=\? AND finished_at>\?\)",
]


def _history(app, world, count: int = 20_000) -> None:
    office = world.office
    codes = {s.code: s.id for s in office.services}
    rows = []
    for i in range(count):
        day = date(2026, 11, 29) - timedelta(days=1 + i // 400)
        code = "AC"[i % 2]
        rows.append(
            {
                "office_id": office.id,
                "service_id": codes[code],
                "issued_service_id": codes[code],
                "day": day,
                "number": i // 2 + 1,
                "code": f"{code}-{i:03d}",
                "status": "done",
                "stage": "handed_over" if code == "A" else None,
                "priority": False,
                "token": secrets.token_urlsafe(16),
                "recall_count": 0,
            }
        )
    with app.app_context():
        stamp = datetime(2026, 1, 1, 8, tzinfo=UTC)
        db.session.execute(
            Ticket.__table__.insert(),
            [
                {
                    **r,
                    "queued_at": stamp,
                    "sort_at": stamp,
                    "issued_at": stamp,
                    "updated_at": stamp,
                    "finished_at": stamp,
                }
                for r in rows
            ],
        )
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def test_everyday_statements_use_bounded_indexes(app, api, world, clock):
    _history(app, world)
    seen: dict[str, tuple] = {}
    with app.app_context():
        engine = db.engine

    def remember(conn, cursor, statement, parameters, context, executemany):
        if " tickets" in statement and not statement.startswith(("INSERT", "EXPLAIN")):
            seen.setdefault(statement, parameters)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        a1 = api.issue("A")
        a2 = api.issue("A", priority=True)
        c1 = api.issue("C")
        api.call_next(world.counter(1).id)
        api.move(a2["id"], "recall")
        api.move(a2["id"], "start")
        api.move(a2["id"], "finish")
        api.move(a2["id"], "stage", as_="clerk", json={"stage": "printed"})
        api.move(a2["id"], "stage", as_="clerk", json={"stage": "handed_over"})
        api.call_next(world.counter(2).id)
        api.move(a1["id"], "no-show")
        api.move(a1["id"], "requeue")
        api.move(c1["id"], "transfer", json={"service": "A"})
        api.get("/api/v1/offices/kupang/board")
        api.get("/api/v1/offices/kupang/services")
        api.get(f"/api/v1/track/{c1['token']}")
        clock.advance(days=1)
        api.issue("A")  # the day rollover
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    assert len(seen) > 10
    bad = _unbounded(app, seen, r"\btickets\b", ALLOWED)
    assert bad == [], "\n".join(bad)


def _printed_jobs(app, world, count: int = 5_000) -> None:
    """A few months of printed jobs: what the queue's head must not read."""
    office = world.office
    with app.app_context():
        ticket_id = db.session.scalar(text("SELECT min(id) FROM tickets"))
        stamp = datetime(2026, 9, 1, 8, tzinfo=UTC)
        db.session.execute(
            PrintJob.__table__.insert(),
            [
                {
                    "office_id": office.id,
                    "ticket_id": ticket_id,
                    "target": "server",
                    "kind": "ticket",
                    "status": "printed",
                    "payload": "{}",
                    "attempts": 1,
                    "cut_offs": 0,
                    "created_at": stamp,
                    "printed_at": stamp,
                }
                for _ in range(count)
            ],
        )
        db.session.execute(text("ANALYZE"))
        db.session.commit()


QUEUE_ALLOWED = [
    r"USING INTEGER PRIMARY KEY",
    r"USING (COVERING )?INDEX ix_print_jobs_queue",
    r"USING (COVERING )?INDEX ix_print_jobs_ticket_id \(ticket_id=\?\)",
    r"USING (COVERING )?INDEX ix_card_notices_queue",
]


def test_the_print_and_message_queues_read_only_what_is_still_to_do(app, api, world, clock):
    """The spooler's and the SMS sender's statements (head, take, claim, done) and the printers
    page find the head of a queue through its small partial index, never by reading every job
    printed or message sent so far (a bound "status IN (?, ?)" made SQLite do just that)."""
    from app.print_jobs.store import DatabaseJobs
    from app.sms.store import DatabaseNotices

    api.issue("A")
    _printed_jobs(app, world)
    api.issue("A")  # paper queued behind months of printed jobs
    seen: dict[str, tuple] = {}
    with app.app_context():
        engine = db.engine

    def remember(conn, cursor, statement, parameters, context, executemany):
        if re.search(r"\b(print_jobs|card_notices)\b", statement) and not statement.startswith(
            ("INSERT", "EXPLAIN")
        ):
            seen.setdefault(statement, parameters)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        jobs = DatabaseJobs(app, world.office.id)
        now = clock()
        taken = jobs.take("server", now, 100)
        assert taken is not None
        jobs.done(taken, now)
        head = jobs.head("server")
        assert head is not None
        assert jobs.claim(head, now)
        jobs.failed(head, "printer unplugged", now, now)
        assert DatabaseNotices(app).head() is None
        api.get("/api/v1/offices/kupang/printers", as_="admin")
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    assert len(seen) >= 5, list(seen)
    bad = _unbounded(app, seen, r"\b(print_jobs|card_notices)\b", QUEUE_ALLOWED)
    assert bad == [], "\n".join(bad)


def _unbounded(app, seen: dict[str, tuple], table: str, allowed: list[str]) -> list[str]:
    """The steps of SQLite's plans for ``seen`` statements that read ``table`` (a pattern) in a
    way none of ``allowed`` describes, each with its statement."""
    bad = []
    with app.app_context(), db.engine.connect() as conn:
        for statement, parameters in seen.items():
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            for row in plan:
                detail = row[-1]
                if re.search(table, detail) and not any(re.search(p, detail) for p in allowed):
                    bad.append(f"{detail}\n    in: {statement[:200]}")
    return bad
