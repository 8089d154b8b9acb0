"""Pages through the Flask test client: signing in through the real login form (with its CSRF
token), reading a page's scripts and styles (nothing inline), and a sample path for a route."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from tests.factories import PASSWORD


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[str] = []
        self.style_attrs: list[str] = []
        self.handlers: list[str] = []
        self.config = None
        self._in_config = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("type") == "application/json":
                self._in_config = attrs.get("id") == "tv-config"
            elif "src" not in attrs:
                self.inline_scripts.append(str(attrs))
        if "style" in attrs:
            self.style_attrs.append(tag)
        self.handlers += [k for k in attrs if k.startswith("on")]

    def handle_data(self, data):
        if self._in_config:
            self.config = json.loads(data)
            self._in_config = False


def scan(html: str) -> _Scan:
    parser = _Scan()
    parser.feed(html)
    return parser


def example_path(rule: str, world) -> str:
    """``rule`` with a value of the test world for each variable."""
    return (
        rule.replace("<office>", "kupang")
        .replace("<id:day_id>", "1")
        .replace("<code>", "A")
        .replace("<id:counter_id>", str(world.counter(1).id))
        .replace("<id:user_id>", str(world.users["kiosk"].id))
        .replace("<id:token_id>", "1")
        .replace("<id:job_id>", "1")
        .replace("<id:booking_id>", "1")
        .replace("<id:response_id>", "1")
        .replace("<int:number>", "1")
    )
