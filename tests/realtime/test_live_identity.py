"""A live connection is only as good as the sign-in behind it: disabling a user (on the command
line, another process), revoking a device or signing a user out closes their Socket.IO
connections within 5 s, while everyone else's stay up. The real server, every async mode."""

from __future__ import annotations

import queue
import re
import sqlite3
import time

import pytest
import requests
import socketio

from bench.live import LiveServer, wait_for
from config import ASYNC_MODES

pytestmark = pytest.mark.slow

WITHIN = 5.0


class Live:
    """A Socket.IO client that signs in with a token or a browser session and records events."""

    def __init__(self, url: str, *, token: str | None = None, http=None) -> None:
        self.events: queue.Queue = queue.Queue()
        self.disconnected = False
        self.client = socketio.Client(reconnection=False, http_session=http)
        for name in ("staff", "board", "error", "agent_ok"):
            self.client.on(name, self._recorder(name))
        self.client.on("disconnect", self._gone)
        auth = {"token": token} if token else None
        self.client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)

    def _recorder(self, name: str):
        return lambda payload=None: self.events.put((name, payload))

    def _gone(self, *_args) -> None:
        self.disconnected = True

    def expect(self, name: str, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got, payload = self.events.get(timeout=0.1)
            except queue.Empty:
                continue
            if got == name:
                return payload
        raise AssertionError(f"no {name} event within {timeout}s")

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def _browser(server: LiveServer, username: str) -> requests.Session:
    session = requests.Session()
    html = session.get(server.url + "/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = session.post(
        server.url + "/login",
        data={"username": username, "password": server.password(username), "csrf_token": csrf},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    return session


@pytest.fixture(params=ASYNC_MODES)
def server(request):
    live = LiveServer(async_mode=request.param)
    live.tokens = live.prepare()
    _added, token = live.flask_many(
        (
            "loket", "user", "add", "kiosk2", "--role", "kiosk", "--office", "kupang",
            "--password", "rahasia-kios", "--prints-via-agent",
        ),
        ("loket", "token", "kiosk2"),
    )  # fmt: skip
    live.agent_token = token.strip()
    live.start()
    yield live
    live.stop()


def test_disabling_a_user_closes_their_connections_and_no_one_elses(server):
    operator = Live(server.url, token=server.tokens["operator"])
    operator.client.emit("join", {"staff": "kupang"})
    operator.expect("staff")
    clerk = Live(server.url, http=_browser(server, "clerk"))
    clerk.client.emit("join", {"staff": "kupang"})
    clerk.expect("staff")
    tv = Live(server.url)
    tv.client.emit("join", {"office": "kupang"})
    tv.expect("board")
    try:
        out = server.flask("loket", "user", "disable", "operator")  # another process
        assert "disabled" in out
        disabled_at = time.monotonic()
        error = operator.expect("error", timeout=WITHIN)
        assert error["code"] == "signed_out"
        assert error["message"].startswith("Anda dikeluarkan")
        wait_for(lambda: operator.disconnected, "the operator's socket closed", timeout=WITHIN)
        assert time.monotonic() - disabled_at < WITHIN + 1
        # The clerk and the TV are untouched.
        assert clerk.client.connected and tv.client.connected
        clerk.client.emit("join", {"staff": "kupang"})
        clerk.expect("staff")
        # The token no longer works, on HTTP or on a new connection.
        headers = {"Authorization": f"Bearer {server.tokens['operator']}"}
        board = requests.get(
            server.url + "/api/v1/offices/kupang/board", headers=headers, timeout=10
        )
        assert board.status_code == 401
        again = Live(server.url, token=server.tokens["operator"])
        again.client.emit("join", {"staff": "kupang"})
        assert again.expect("error")["code"] == "forbidden"
        again.close()
        # Enabled again: the same token works again.
        server.flask("loket", "user", "enable", "operator")
        back = Live(server.url, token=server.tokens["operator"])
        back.client.emit("join", {"staff": "kupang"})
        back.expect("staff")
        back.close()
    finally:
        for live in (operator, clerk, tv):
            live.close()


def test_a_browser_signed_out_everywhere_loses_its_live_connection(server):
    clerk = Live(server.url, http=_browser(server, "clerk"))
    clerk.client.emit("join", {"staff": "kupang"})
    clerk.expect("staff")
    try:
        server.flask("loket", "user", "password", "clerk", "--password", "kata-sandi-baru")
        assert clerk.expect("error", timeout=WITHIN)["code"] == "signed_out"
        wait_for(lambda: clerk.disconnected, "the clerk's socket closed", timeout=WITHIN)
    finally:
        clerk.close()


def test_revoking_a_device_closes_its_print_agent(server):
    agent = Live(server.url, token=server.agent_token)
    agent.client.emit("agent_ready", {})
    agent.expect("agent_ok")
    with sqlite3.connect(server.instance / "loket.db") as db:
        (user_id,) = db.execute("SELECT id FROM users WHERE username = 'kiosk2'").fetchone()
    admin = _browser(server, "admin")
    page = admin.get(server.url + "/admin/kupang/devices", timeout=10).text
    assert f"/admin/kupang/devices/{user_id}/revoke" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    try:
        response = admin.post(
            f"{server.url}/admin/kupang/devices/{user_id}/revoke",
            data={"csrf_token": csrf},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302
        assert agent.expect("error", timeout=WITHIN)["code"] == "signed_out"
        wait_for(lambda: agent.disconnected, "the agent's socket closed", timeout=WITHIN)
    finally:
        agent.close()
