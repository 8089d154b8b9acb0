"""Clients of a live server for the end-to-end tests: Socket.IO screens that record what they
get, and an HTTP desk that makes moves with bearer tokens."""

from __future__ import annotations

import queue
import threading
import time

import requests
import socketio

from bench.live import LiveServer
from config import ASYNC_MODES

MODES = list(ASYNC_MODES)  # eventlet, gevent, threading


class Screen:
    """A Socket.IO client that joins a room on every (re)connect and records what it gets."""

    def __init__(self, url: str, join: dict) -> None:
        self.events: queue.Queue = queue.Queue()
        self.connects = 0
        self.client = socketio.Client(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1
        )

        @self.client.event
        def connect():
            self.connects += 1
            self.client.emit("join", join)

        for name in ("board", "called", "ticket", "pickup", "error"):
            self.client.on(name, self._recorder(name))
        self.client.connect(url, transports=["websocket"], wait_timeout=10)

    def _recorder(self, name: str):
        def record(payload):
            self.events.put((name, payload, time.monotonic()))

        return record

    def wait_for(self, name: str, check=lambda payload: True, timeout: float = 5.0):
        """The first ``name`` event (from now on) whose payload passes ``check``."""
        return self.until(name, check, timeout)[-1][1]

    def until(self, name: str, check=lambda payload: True, timeout: float = 5.0) -> list:
        """Every event (name, payload) up to and including the first ``name`` that passes
        ``check``: what came before a positive signal."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {name} event within {timeout}s; the last: {seen[-3:]}")
            try:
                got, payload, _ = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            seen.append((got, payload))
            if got == name and check(payload):
                return seen

    def drain(self) -> list[tuple[str, dict]]:
        items = []
        while True:
            try:
                name, payload, _ = self.events.get_nowait()
            except queue.Empty:
                return items
            items.append((name, payload))

    def close(self) -> None:
        self.client.disconnect()


def close_all(*screens: Screen) -> None:
    """Disconnect in parallel: a client waits up to 3 s for the threading server's close reply."""
    threads = [threading.Thread(target=screen.close) for screen in screens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class HttpDesk:
    """HTTP moves with bearer tokens (the kiosk issues, the operator calls)."""

    def __init__(self, server: LiveServer, tokens: dict[str, str]) -> None:
        self.server = server
        self.tokens = tokens
        self.http = requests.Session()

    def post(self, path: str, as_: str, json=None) -> requests.Response:
        return self.http.post(
            self.server.url + path,
            json=json,
            timeout=10,
            headers={"Authorization": f"Bearer {self.tokens[as_]}"},
        )

    def issue(self, service: str = "A", office: str = "kupang") -> dict:
        response = self.post(f"/api/v1/offices/{office}/tickets", "kiosk", {"service": service})
        assert response.status_code == 201, response.text
        return response.json()

    def counter_id(self, number: int, office: str = "kupang") -> int:
        counters = self.http.get(f"{self.server.url}/api/v1/offices/{office}/counters").json()
        return next(c["id"] for c in counters if c["number"] == number)

    def call(self, number: int) -> dict:
        response = self.post(f"/api/v1/counters/{self.counter_id(number)}/call-next", "operator")
        assert response.status_code == 200, response.text
        return response.json()
