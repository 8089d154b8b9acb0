"""A call never waits behind a board on its way to many screens (``Broadcaster._send_board``).

Each screen's connection sends its messages in order, so a call queued while a board is being
sent to a whole room would reach the last screens only after the board. The board goes out
BOARD_CHUNK screens at a time; a call queued meanwhile goes to every screen before the rest.
"""

from __future__ import annotations

import queue

import pytest

from app.domain.events import Announced
from app.extensions import socketio
from app.realtime import EXTENSION_KEY

SCREENS = 5


@pytest.fixture
def worker_broadcaster(app, monkeypatch):
    """The app's broadcaster as its worker sees it (events queued, not sent inline), with
    chunks of two screens; the worker itself is not started, the test drives it."""
    broadcaster = app.extensions[EXTENSION_KEY]
    monkeypatch.setattr(broadcaster, "inline", False)
    monkeypatch.setattr(broadcaster, "_queue", queue.Queue())
    monkeypatch.setattr(broadcaster, "_worker_started", True)
    monkeypatch.setattr(broadcaster, "BOARD_CHUNK", 2)
    return broadcaster


def _tvs(app) -> list:
    tvs = [socketio.test_client(app) for _ in range(SCREENS)]
    for tv in tvs:
        tv.emit("join", {"office": "kupang"})
        assert [m["name"] for m in tv.get_received()] == ["board"]
    return tvs


def _names(tv) -> list[str]:
    return [m["name"] for m in tv.get_received()]


def test_a_call_queued_during_a_board_reaches_the_rest_of_the_screens_first(
    app, api, world, worker_broadcaster, monkeypatch
):
    tvs = _tvs(app)
    api.issue("A")
    api.call_next(world.counter(1).id)
    call = worker_broadcaster._take_queued()  # the call's committed batch, not yet sent
    assert any(isinstance(e, Announced) for e in call)
    yields = []

    def sleep(seconds: float) -> None:
        # While the first chunk's screens are written to, the call's request commits.
        yields.append(seconds)
        if len(yields) == 1:
            worker_broadcaster.submit(call)

    monkeypatch.setattr(socketio, "sleep", sleep)
    with app.app_context():
        worker_broadcaster.deliver([], {world.office.id}, set())

    orders = sorted(_names(tv) for tv in tvs)
    # The first chunk had its board before the call was queued; the other three got the call
    # first; every screen got both, once.
    assert orders == [["board", "called"]] * 2 + [["called", "board"]] * 3
    # The rest of the call's batch (the office's change, the ticket's) waits for the worker's
    # next round, without the call (sent already).
    held = worker_broadcaster._held
    assert held and not any(isinstance(e, Announced) for e in held)
    assert {type(e).__name__ for e in held} == {
        type(e).__name__ for e in call if not isinstance(e, Announced)
    }
    assert worker_broadcaster._queue.empty() and not worker_broadcaster._call_waiting


def test_a_board_without_a_call_waiting_goes_to_every_screen_once_in_chunks(
    app, world, worker_broadcaster, monkeypatch
):
    tvs = _tvs(app)
    yields = []
    monkeypatch.setattr(socketio, "sleep", yields.append)
    with app.app_context():
        worker_broadcaster.deliver([], {world.office.id}, set())
    assert [_names(tv) for tv in tvs] == [["board"]] * SCREENS
    assert len(yields) == 2  # between the three chunks of 2, 2 and 1 screens
    assert worker_broadcaster._held == []


def test_the_call_of_a_batch_goes_before_its_board(
    app, api, world, worker_broadcaster, monkeypatch
):
    tvs = _tvs(app)
    api.issue("A")
    api.call_next(world.counter(1).id)
    call = worker_broadcaster._take_queued()
    yields = []
    monkeypatch.setattr(socketio, "sleep", yields.append)
    with app.app_context():
        worker_broadcaster.deliver(call, {world.office.id}, set())
    assert [_names(tv) for tv in tvs] == [["called", "board"]] * SCREENS
    # One yield after the call (its writes first), then one between each chunk.
    assert len(yields) == 3
