"""The screens that follow the server live (the TV, the counter display, the resident's status
page) reconnect alike, with jitter, and try again after the server refused them (issue 15,
point 3: 2,000 screens dropped together by a restart come back spread out, and none stays
offline). They share one Socket.IO client, app/static/js/live-socket.js: its settings are read
from it and the vendored socket.io-client, as bench/storm.py's screens read them, and each page
is checked to get its client from it (its template loads the script, its own script calls it,
and makes no client of its own)."""

from __future__ import annotations

import re

import pytest

from bench.storm import (
    LIVE_SOCKET_FUNCTION,
    LIVE_SOCKET_JS,
    PAGES_JS,
    Backoff,
    ClientSettings,
    client_settings,
    page_options,
    uses_live_socket,
)

LIVE_SOCKET_URL = "/static/js/live-socket.js"

# Each live page's script, the page it runs on and where that page serves it.
PAGES = {
    "tv.js": ("/display/kupang", "/display/static/tv.js"),
    "counter.js": ("/display/kupang/counter/1", "/display/static/counter.js"),
    "status.js": ("/t/{token}", "/static/js/status.js"),
}


def test_the_shared_client_reconnects_with_jitter_and_retries_after_a_refusal():
    options = page_options(LIVE_SOCKET_JS)
    # Written out in the script, not left to the library's defaults.
    assert options["randomizationFactor"] > 0
    assert options["reconnectionDelay"] > 0
    settings = client_settings(LIVE_SOCKET_JS)
    assert settings == client_settings()  # what bench/storm.py's screens copy
    assert 0 < settings.jitter <= 1  # socket.io-client ignores anything else
    assert settings.delay_ms <= settings.delay_max_ms
    # Every screen is back within reconnectionDelayMax of the server listening again; the
    # storm's goal is 10 s, with the server's own work after that.
    assert settings.delay_max_ms <= 5000
    assert settings.retry_ms is not None and settings.retry_ms > 0
    assert f"window.{LIVE_SOCKET_FUNCTION} =" in LIVE_SOCKET_JS.read_text()


def test_every_live_page_is_listed():
    assert sorted(path.name for path in PAGES_JS) == sorted(PAGES)


@pytest.mark.parametrize("path", PAGES_JS, ids=lambda p: p.name)
def test_the_page_gets_its_client_from_the_shared_script(path, api, client):
    # Its script calls the shared function and makes no io(...) client of its own (nor copies
    # the retry after a refusal).
    text = path.read_text()
    assert f"window.{LIVE_SOCKET_FUNCTION}(" in text
    assert re.search(r"\bio\(", text) is None
    assert "RETRY_MS" not in text and "socket.connect()" not in text
    assert uses_live_socket(path)
    # Its page loads the Socket.IO client, then the shared script, then its own script.
    page_path, own_script = PAGES[path.name]
    if "{token}" in page_path:
        page_path = page_path.format(token=api.issue("A")["token"])
    response = client.get(page_path)
    assert response.status_code == 200
    scripts = re.findall(r'<script src="([^"]+)"', response.get_data(as_text=True))
    assert scripts.count(LIVE_SOCKET_URL) == 1, scripts
    vendor = scripts.index("/vendor/socket.io.min.js")
    assert vendor < scripts.index(LIVE_SOCKET_URL) < scripts.index(own_script), scripts
    # ... which the page's address serves, the script as it is in the repository.
    with client.get(LIVE_SOCKET_URL) as served:
        assert served.status_code == 200
        assert served.mimetype in ("text/javascript", "application/javascript")
        assert served.data == LIVE_SOCKET_JS.read_bytes()


def test_the_benchmark_backs_off_as_socket_io_client_does():
    # contrib/backo2.js: min * 2^attempt; one random number sizes the deviation (up to jitter of
    # it) and picks its sign by the parity of floor(rand * 10); the cap applies last.
    settings = ClientSettings(delay_ms=1000, delay_max_ms=5000, jitter=0.5, timeout_ms=20000)
    draws = iter([0.0, 0.15, 0.25, 0.99, 0.5])
    backoff = Backoff(settings, rand=lambda: next(draws))
    # 1000 +- 0; 2000 + floor(0.15*0.5*2000)=150 (1 is odd: plus); 4000 - 500 (2: minus);
    # 8000 + 3960 capped; 16000 - 4000 capped.
    assert [backoff.duration() for _ in range(5)] == [1.0, 2.15, 3.5, 5.0, 5.0]
    backoff.reset()
    assert backoff.attempts == 0
