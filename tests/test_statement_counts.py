"""The statements an everyday request costs, counted on a real SQLite database: a fixed budget
per request keeps the CPU a ticket costs from creeping back up (bench.core measures the time)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db


@contextmanager
def _statements(app):
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def remember(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split())[:80])

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def test_issuing_a_ticket_without_paper_takes_at_most_eight_statements(app, api, world):
    api.issue("A")  # the day's first ticket creates the day's rows
    with _statements(app) as seen:
        response = api.post(
            "/api/v1/offices/kupang/tickets", {"service": "A", "print": False}, as_="kiosk"
        )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["print"] is None
    # The request: begin, token, the office with its turn (one UPDATE .. RETURNING), service,
    # number, ticket, log, place in line; then (inline in tests) the publisher's own read
    # transaction.
    published = next((i for i, s in enumerate(seen) if s.startswith("BEGIN DEFERRED")), len(seen))
    assert published <= 8, "\n".join(seen)
    # Nobody follows the new ticket yet: publishing it loads no ticket; it has no paper to find.
    assert not any(s.startswith("SELECT tickets.id, tickets.office_id") for s in seen), seen
    assert not any(s.startswith("SELECT print_jobs") for s in seen), seen


def test_calling_the_next_ticket_finds_the_counters_office_and_takes_its_turn_in_one_statement(
    app, api, world
):
    api.issue("A")
    with _statements(app) as seen:
        response = api.call_next(world.counter(1).id)
    assert response.status_code == 200, response.get_json()
    turns = [s for s in seen if s.startswith("UPDATE offices SET seq")]
    assert len(turns) == 1, seen
    # The counter's office, found inside the same UPDATE:
    assert "WHERE offices.id = (SELECT counters." in turns[0], turns
    assert not any(s.startswith("SELECT counters.office_id") for s in seen), seen


def _request_part(seen: list[str]) -> list[str]:
    """The request's own statements (inline in tests, the publisher's read follows them)."""
    end = next((i for i, s in enumerate(seen) if s.startswith("BEGIN DEFERRED")), len(seen))
    return seen[:end]


def test_calling_the_next_ticket_reads_its_office_and_counter_once(app, api, world):
    # The reply names the ticket's office and counter: loaded once, for the move itself, and
    # not again for the reply (the session keeps only what something refers to); the taken
    # ticket is not read back after its UPDATE either.
    api.issue("A")
    with _statements(app) as seen:
        response = api.call_next(world.counter(1).id)
    assert response.status_code == 200, response.get_json()
    mine = _request_part(seen)
    for table in ("offices", "counters", "counter_services"):
        assert sum(s.startswith(f"SELECT {table}.") for s in mine) <= 1, "\n".join(mine)
    assert not any(s.startswith("SELECT offices.") for s in mine), mine  # from the turn
    assert len(mine) <= 12, "\n".join(mine)


def test_finishing_a_ticket_takes_its_office_from_the_turn(app, api, world):
    api.issue("A")
    called = api.call_next(world.counter(1).id).get_json()
    with _statements(app) as seen:
        response = api.move(called["id"], "finish", as_="operator")
    assert response.status_code == 200, response.get_json()
    mine = _request_part(seen)
    assert not any(s.startswith("SELECT offices.") for s in mine), "\n".join(mine)
    # Its status and its card's stage in one UPDATE, not one each.
    assert sum(s.startswith("UPDATE tickets") for s in mine) == 1, "\n".join(mine)
