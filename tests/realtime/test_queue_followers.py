"""After a call, every phone following a ticket still waiting in that service gets its new place:
the same Track the status page, a join and the API give for that ticket."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from app import domain
from app.domain import shapes
from app.extensions import db, socketio


@pytest.fixture
def phone(app, world):
    def follow(token: str):
        client = socketio.test_client(app)
        client.emit("join", {"ticket": token})
        client.get_received()  # the Track the join answers with
        return client

    return follow


def _tracks(client) -> list[dict]:
    return [m["args"][0] for m in client.get_received() if m["name"] == "ticket"]


def test_followers_get_exactly_their_track_after_a_call(app, api, world, clock, phone):
    # A service time of 4 minutes on record: the estimate is 240 s a person over 2 counters.
    served = api.issue("A")
    api.call_next(world.counter(1).id)
    clock.advance(minutes=4)
    assert api.move(served["id"], "finish").status_code == 200
    moved = api.issue("C")  # C-001, transferred to A below: keeps its arrival time
    clock.advance(minutes=1)
    plain = [api.issue("A"), api.issue("A")]
    clock.advance(minutes=1)
    elder = api.issue("A", priority=True)  # A-004, queues an hour earlier: first
    assert api.move(moved["id"], "transfer", json={"service": "A"}).status_code == 200
    last = api.issue("A")
    tickets = [elder, moved, *plain, last]
    phones = [phone(t["token"]) for t in tickets]

    assert api.call_next(world.counter(1).id).get_json()["code"] == "A-004"

    got = [_tracks(p) for p in phones]
    assert [(t["code"], t["status"]) for t in got[0]] == [("A-004", "called")]
    assert [
        [(t["code"], t["service"], t["ahead"], t["estimated_wait_s"]) for t in g] for g in got[1:]
    ] == [
        [("C-001", "A", 0, 0)],
        [("A-002", "A", 1, 120)],
        [("A-003", "A", 2, 240)],
        [("A-005", "A", 3, 360)],
    ]
    with app.app_context():
        for ticket, (payload,) in zip(tickets, got, strict=True):
            TypeAdapter(shapes.Track).validate_python(payload, strict=True)
            found = domain.ticket_by_token(db.session, ticket["token"])
            assert payload == domain.track(db.session, found, clock())


def test_a_follower_behind_a_call_in_another_service_hears_nothing(api, world, phone):
    ticket_a, ticket_c = api.issue("A"), api.issue("C")
    behind_a, behind_c = api.issue("A"), api.issue("C")
    phones = [phone(t["token"]) for t in (behind_a, behind_c)]
    api.call_next(world.counter(3).id)  # serves C only
    assert [[t["code"] for t in _tracks(p)] for p in phones] == [[], ["C-002"]]
    assert (ticket_a["code"], ticket_c["code"]) == ("A-001", "C-001")


def test_followers_get_their_new_wait_when_a_finish_changes_the_service_time(
    app, api, world, clock, phone
):
    """A finish moves nobody, but its service time goes into the service's average: every
    follower of the service hears its new estimated wait (a phone kept the old one before)."""
    first, second, third = api.issue("A"), api.issue("A"), api.issue("A")
    api.call_next(world.counter(1).id)  # A-001 at counter 1
    follower = phone(third["token"])  # A-002 ahead of it
    clock.advance(minutes=10)
    assert api.move(first["id"], "finish").status_code == 200
    (after,) = _tracks(follower)
    with app.app_context():
        found = domain.ticket_by_token(db.session, third["token"])
        assert after == domain.track(db.session, found, clock())
    # 600 s a person on record now, one person ahead, the counters that serve A.
    assert (after["ahead"], after["estimated_wait_s"]) == (1, 600 // 2)

    # Another finish at the same pace changes no estimate: nothing is sent.
    assert api.call_next(world.counter(1).id).get_json()["code"] == "A-002"
    follower.get_received()
    clock.advance(minutes=10)
    assert api.move(second["id"], "finish").status_code == 200
    assert _tracks(follower) == []
