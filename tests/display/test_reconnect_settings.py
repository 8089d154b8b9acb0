"""The screens that follow the server live (the TV, the counter display, the resident's status
page) reconnect alike, with jitter, and try again after the server refused them (issue 15,
point 3: 2,000 screens dropped together by a restart come back spread out, and none stays
offline). Read from the pages' scripts and the vendored socket.io-client, as bench/storm.py's
screens read them."""

from __future__ import annotations

import pytest

from bench.storm import PAGES_JS, Backoff, ClientSettings, client_settings, page_options


@pytest.mark.parametrize("path", PAGES_JS, ids=lambda p: p.name)
def test_the_page_reconnects_with_jitter_and_retries_after_a_refusal(path):
    options = page_options(path)
    # Written out in the page, not left to the library's defaults.
    assert options["randomizationFactor"] > 0
    assert options["reconnectionDelay"] > 0
    settings = client_settings(path)
    assert 0 < settings.jitter <= 1  # socket.io-client ignores anything else
    assert settings.delay_ms <= settings.delay_max_ms
    # Every screen is back within reconnectionDelayMax of the server listening again; the
    # storm's goal is 10 s, with the server's own work after that.
    assert settings.delay_max_ms <= 5000
    assert settings.retry_ms is not None and settings.retry_ms > 0


def test_the_pages_reconnect_alike():
    settings = {path.name: client_settings(path) for path in PAGES_JS}
    assert len(set(settings.values())) == 1, settings


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
