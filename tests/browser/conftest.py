"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bench.fake_printer import FakePrinter
from bench.live import LiveServer
from tests.realtime.clients import HttpDesk
from tests.services import chromium_path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Live:
    """A real server (SQLite, the demo offices) printing on a fake network printer, and an HTTP
    desk with API tokens to move tickets with."""

    server: LiveServer
    desk: HttpDesk
    printer: FakePrinter


@pytest.fixture
def live(request):
    """The server in the default mode (eventlet). The few tests where the mode shows in the
    browser (the whole journey, the TV live and rejoining after a restart, the status page going
    offline, the kiosk's tap to paper) run it in every mode, with
    ``@pytest.mark.parametrize("live", ASYNC_MODES, indirect=True)``; the whole browser suite
    three times over would not fit CI's time."""
    printer = FakePrinter()
    mode = getattr(request, "param", "eventlet")
    server = LiveServer(async_mode=mode, extra_env={"PRINTER_URL": printer.url})
    tokens = server.prepare()
    server.start()
    yield Live(server, HttpDesk(server, tokens), printer)
    server.stop()
    printer.stop()
