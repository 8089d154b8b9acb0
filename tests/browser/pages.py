"""What the browser tests do on a page: sign in through the form, wait for a text, collect
script errors, take a screenshot (into test-artifacts/)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from bench.live import LiveServer

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


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


def signed_in(browser, server: LiveServer, user: str, viewport: dict, path: str):
    page = browser.new_context(viewport=viewport).new_page()
    errors = PageErrors(page)
    page.goto(f"{server.url}/login?next={path}")
    page.fill("[name=username]", user)
    page.fill("[name=password]", server.password(user))
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")
    return page, errors


def wait_text(page, selector: str, pattern: str, timeout: float = 5000) -> None:
    expect(page.locator(selector).first).to_have_text(re.compile(pattern), timeout=timeout)
