"""A Socket.IO event runs in a request context built from its connection's /socket.io/ address,
which matches no route. The NotFound that Flask keeps for it must not hold the context in a
reference cycle: with the collector's first threshold raised (wsgi.py), thousands of phones
joining left that garbage in memory (bench.phones measures the RSS)."""

from __future__ import annotations

import gc

from werkzeug.test import EnvironBuilder


def _garbage_after(app, path: str, count: int = 50) -> int:
    environ = EnvironBuilder(path=path, query_string="EIO=4&transport=websocket").get_environ()
    gc.collect()
    gc.disable()
    try:
        for _ in range(count):
            with app.request_context(environ):
                pass
        return gc.collect()
    finally:
        gc.enable()


def test_an_event_context_leaves_no_more_garbage_than_a_page_request(app):
    page = _garbage_after(app, "/")  # werkzeug's route matcher leaves a small cycle each time
    event = _garbage_after(app, "/socket.io/")
    assert event <= page, f"{event} objects left for the collector, a page request leaves {page}"
