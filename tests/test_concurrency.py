"""8 threads issue 320 tickets while 4 threads call next and finish, through the real request
path (test clients in threads, each with its own connection), on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections import Counter as Tally

import pytest

from app.extensions import db
from app.models import Ticket, TicketEvent
from tests.conftest import build_world

ISSUERS, CALLERS, TOTAL = 8, 4, 320


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_numbers_unique_and_consecutive_and_no_ticket_called_twice(request, backend):
    app = request.getfixturevalue("sqlite_app" if backend == "sqlite" else "pg_app")
    with app.app_context():
        world = build_world(db.session)
    # Events from the background worker, as in production (inline delivery doubles the work).
    app.extensions["loket_broadcaster"].inline = False
    kiosk = {"Authorization": f"Bearer {world.tokens['kiosk']}"}
    operator = {"Authorization": f"Bearer {world.tokens['operator']}"}
    counters = [
        world.counter(1).id,
        world.counter(2).id,
        world.counter(3).id,
        world.counter(1, world.office).id,
    ]
    # Counter 1 twice: two operators pressing at once on one counter must not both get one.
    issued: list[dict] = []
    called: list[int] = []
    errors: list[str] = []
    done_issuing = threading.Event()
    lock = threading.Lock()

    def issue(worker: int) -> None:
        client = app.test_client()
        for i in range(TOTAL // ISSUERS):
            service = "A" if (i + worker) % 3 else "C"
            response = client.post(
                "/api/v1/offices/kupang/tickets",
                json={"service": service, "priority": i % 10 == 0},
                headers=kiosk,
            )
            if response.status_code != 201:
                errors.append(f"issue {response.status_code} {response.get_json()}")
                continue
            with lock:
                issued.append(response.get_json())

    def call(counter_id: int) -> None:
        client = app.test_client()
        while True:
            response = client.post(f"/api/v1/counters/{counter_id}/call-next", headers=operator)
            if response.status_code == 204:
                if done_issuing.is_set():
                    return
                time.sleep(0.01)
                continue
            if response.status_code == 409:  # the twin operator holds the counter's ticket
                continue
            if response.status_code != 200:
                errors.append(f"call {response.status_code} {response.get_json()}")
                return
            ticket = response.get_json()
            with lock:
                called.append(ticket["id"])
            finish = client.post(f"/api/v1/tickets/{ticket['id']}/finish", headers=operator)
            if finish.status_code != 200:
                errors.append(f"finish {finish.status_code} {finish.get_json()}")

    issuers = [threading.Thread(target=issue, args=(w,)) for w in range(ISSUERS)]
    callers = [threading.Thread(target=call, args=(c,)) for c in counters]
    for thread in issuers + callers:
        thread.start()
    for thread in issuers:
        thread.join()
    done_issuing.set()
    for thread in callers:
        thread.join()

    assert errors == []
    assert len(issued) == TOTAL
    with app.app_context():
        _check_database(called, issued)


def _check_database(called: list[int], issued: list[dict]) -> None:
    rows = db.session.query(Ticket.issued_service_id, Ticket.number, Ticket.status).all()
    assert len(rows) == TOTAL
    by_service: dict[int, list[int]] = {}
    for service_id, number, _ in rows:
        by_service.setdefault(service_id, []).append(number)
    for numbers in by_service.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    assert len(called) == len(set(called)), "a ticket was called twice"
    assert set(called) == {t["id"] for t in issued}, "every ticket was called once"
    assert Tally(status for *_, status in rows) == {"done": TOTAL}
    calls = db.session.query(TicketEvent).filter_by(action="call").count()
    assert calls == TOTAL
