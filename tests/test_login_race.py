"""Wrong passwords sent in parallel to the real server each count: twelve at once lock the
account (the tenth locks it), and the right password is then refused, in every async mode."""

from __future__ import annotations

import re
import threading

import pytest
import requests

from bench.live import LiveServer
from config import ASYNC_MODES

pytestmark = pytest.mark.slow

PARALLEL = 12


def _form(session: requests.Session, url: str) -> str:
    html = session.get(url + "/login", timeout=10).text
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("mode", ASYNC_MODES)
def test_parallel_wrong_passwords_lock_the_account(mode):
    server = LiveServer(async_mode=mode, extra_env={"LOGIN_RATE_LIMIT": "1000 per minute"})
    server.prepare(roles=())
    server.start()
    try:
        sessions = [requests.Session() for _ in range(PARALLEL)]
        tokens = [_form(s, server.url) for s in sessions]
        start = threading.Barrier(PARALLEL)
        statuses: list[int] = []

        def guess(session: requests.Session, token: str) -> None:
            start.wait()
            response = session.post(
                server.url + "/login",
                data={"username": "operator", "password": "tebak-tebak", "csrf_token": token},
                allow_redirects=False,
                timeout=30,
            )
            statuses.append(response.status_code)

        threads = [
            threading.Thread(target=guess, args=pair) for pair in zip(sessions, tokens, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [401] * PARALLEL

        right = requests.Session()
        response = right.post(
            server.url + "/login",
            data={
                "username": "operator",
                "password": server.password("operator"),
                "csrf_token": _form(right, server.url),
            },
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 401
        assert "terkunci" in response.text
    finally:
        server.stop()
