"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services import chromium_path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
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


@pytest.fixture
def live():
    """A real server (eventlet, SQLite, the demo offices) and API tokens to move tickets with.
    Test files that need more (a fake printer) define their own ``live``."""
    from tests.live import LiveServer
    from tests.realtime.test_end_to_end import Desk

    server = LiveServer()
    tokens = server.prepare()
    server.start()
    yield server, Desk(server, tokens)
    server.stop()


class PageErrors:
    """Script errors and failed requests seen by a page; a test ends by asserting none."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: (
                msg.type == "error"
                and self.errors.append(f"console: {msg.text} at {msg.location.get('url')}")
            ),
        )


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
