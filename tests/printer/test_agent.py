"""The remote print agent against the real server: jobs made while it was away print when it
comes back, and a lost acknowledgement never prints a ticket twice."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import requests

from bench.fake_printer import FakePrinter
from bench.live import LiveServer
from printer.agent import Agent, Journal
from printer.decode import decode
from printer.transports import open_transport

pytestmark = pytest.mark.slow


def _code(paper: bytes) -> str:
    return next(t for t in decode(paper).texts if t[:1].isalpha() and t[1:2] == "-")


@pytest.fixture
def setup(tmp_path):
    server = LiveServer()
    server.prepare()
    _added, token = server.flask_many(
        (
            "loket", "user", "add", "kiosk2", "--role", "kiosk", "--office", "kupang",
            "--password", "rahasia-kios", "--prints-via-agent",
        ),
        ("loket", "token", "kiosk2"),
    )  # fmt: skip
    token = token.strip()
    server.start()
    printer = FakePrinter()
    agent = Agent(server.url, token, open_transport(printer.url), Journal(tmp_path / "journal"))
    yield server, token, printer, agent
    agent.stop()
    printer.stop()
    server.stop()


def _issue(server: LiveServer, token: str, service: str = "A") -> dict:
    response = requests.post(
        f"{server.url}/api/v1/offices/kupang/tickets",
        json={"service": service},
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _print_status(server: LiveServer, token: str, ticket: dict) -> str:
    response = requests.get(
        f"{server.url}/api/v1/tickets/{ticket['id']}",
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.json()["print"]["status"]


def _wait(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_agent_prints_its_kiosks_tickets_exactly_once_across_disconnects(setup):
    server, token, printer, agent = setup
    agent.start()
    _wait(agent.ready.is_set)
    first = _issue(server, token)
    assert first["print"]["target"].startswith("agent:")
    printer.wait_for_jobs(1)

    # Away: tickets made meanwhile print when the agent is back.
    agent.client.disconnect()
    away = [_issue(server, token), _issue(server, token, "C")]
    agent.client.connect(server.url, auth={"token": token}, transports=["websocket"])
    printer.wait_for_jobs(3)
    # Paper comes out before the journal and the acknowledgement: wait until the server heard.
    _wait(lambda: all(_print_status(server, token, t) == "printed" for t in (first, *away)))

    # A lost acknowledgement: printed, but the server never heard of it. Only the new job's
    # acknowledgement is lost: a job printed before can be sent again (at least once, by design),
    # and the journal answers that resend.
    dropped = []
    original = agent._ack
    printed_before = set(agent.journal.printed)

    def lose_first(job_id, ok, error=None):
        if ok and not dropped and job_id not in printed_before:
            dropped.append(job_id)
            return
        original(job_id, ok, error)

    agent._ack = lose_first
    lost = _issue(server, token)
    printer.wait_for_jobs(4)
    _wait(lambda: bool(dropped))
    assert _print_status(server, token, lost) == "pending"
    agent.client.disconnect()
    agent.client.connect(server.url, auth={"token": token}, transports=["websocket"])
    _wait(lambda: _print_status(server, token, lost) == "printed")

    # The server restarts (power cut): the agent notices, and reconnects by itself. Its back-off
    # grows to 10 s between attempts, so a slow restart can take that long to be seen again: the
    # waits are for the signal (the agent ready again), with room for a loaded machine.
    server.kill()
    _wait(lambda: not agent.ready.is_set())
    server.start()
    _wait(agent.ready.is_set, timeout=60)
    after = _issue(server, token)
    printer.wait_for_jobs(5, timeout=30)

    # Every job acknowledged: nothing is left to print again, so the paper count is final.
    tickets = (first, *away, lost, after)
    _wait(lambda: all(_print_status(server, token, t) == "printed" for t in tickets), timeout=30)
    codes = Counter(_code(p) for p in printer.jobs)
    expected = [t["code"] for t in tickets]
    assert sorted(codes) == sorted(expected) and set(codes.values()) == {1}


def test_a_kiosk_without_an_agent_is_told_so(setup):
    server, _token, _printer, _agent = setup
    import socketio

    kiosk = server.flask("loket", "token", "kiosk").strip()
    errors = []
    client = socketio.Client()
    client.on("error", errors.append)
    client.connect(server.url, auth={"token": kiosk}, transports=["websocket"])
    client.emit("agent_ready", {})
    _wait(lambda: bool(errors))
    client.disconnect()
    assert errors[0]["code"] == "not_an_agent"
