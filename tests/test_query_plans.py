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
from app.models import Ticket

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
    bad = []
    with app.app_context(), db.engine.connect() as conn:
        for statement, parameters in seen.items():
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            for row in plan:
                detail = row[-1]
                if re.search(r"\btickets\b", detail) and not any(
                    re.search(p, detail) for p in ALLOWED
                ):
                    bad.append(f"{detail}\n    in: {statement[:200]}")
    assert bad == [], "\n".join(bad)
