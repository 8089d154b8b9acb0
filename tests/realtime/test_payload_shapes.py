"""Every Socket.IO event a client receives has the shape the OpenAPI document gives for it
(``app.domain.shapes``): the TV's board, call and pickup, the status page's ticket, and the
staff room's view, all through one journey on a real server over a real socket."""

from __future__ import annotations

import queue

import pytest
import socketio
from pydantic import TypeAdapter

from app.domain import shapes
from bench.live import LiveServer
from tests.realtime.clients import HttpDesk

SHAPES = {
    "board": shapes.Board,
    "called": shapes.Called,
    "pickup": shapes.Pickup,
    "ticket": shapes.Track,
    "staff": shapes.StaffView,
    "error": shapes.ErrorBody,
}


@pytest.fixture
def live():
    server = LiveServer(async_mode="eventlet")
    tokens = server.prepare()
    server.start()
    yield server, HttpDesk(server, tokens)
    server.stop()


def _client(url: str, join: dict, received: queue.Queue, token: str | None = None):
    client = socketio.Client(reconnection=False)
    client.on("connect", lambda: client.emit("join", join))
    for name in SHAPES:
        client.on(name, lambda payload, name=name: received.put((name, payload)))
    client.connect(url, transports=["websocket"], auth={"token": token} if token else None)
    return client


@pytest.mark.slow
def test_every_event_of_a_journey_has_its_documented_shape(live):
    server, desk = live
    received: queue.Queue = queue.Queue()
    tv = _client(server.url, {"office": "kupang"}, received)
    staff = _client(server.url, {"staff": "kupang"}, received, desk.tokens["operator"])
    ticket = desk.issue("A")
    phone = _client(server.url, {"ticket": ticket["token"]}, received)
    seen: dict[str, int] = {}
    try:
        desk.call(1)
        assert desk.post(f"/api/v1/tickets/{ticket['id']}/finish", "operator").status_code == 200
        printed = desk.post(f"/api/v1/tickets/{ticket['id']}/stage", "clerk", {"stage": "printed"})
        assert printed.status_code == 200, printed.text
        phone.emit("join", {"office": ""})  # refused: an error event
        while set(seen) != set(SHAPES):
            name, payload = received.get(timeout=10)
            TypeAdapter(SHAPES[name]).validate_python(payload, strict=True)
            seen[name] = seen.get(name, 0) + 1
    except queue.Empty:
        raise AssertionError(f"events never seen: {set(SHAPES) - set(seen)}") from None
    finally:
        for client in (tv, staff, phone):
            client.disconnect()
    assert all(count >= 1 for count in seen.values())
