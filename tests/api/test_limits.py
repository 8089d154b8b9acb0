"""Rate limits of the contract: at least 300 anonymous requests a minute from one address are
served, a flood is refused with 429 and Retry-After, requests with a valid token or a signed-in
session are never limited, sign-in attempts are limited per address and per user name, and
with Redis the count is shared by every process."""

from __future__ import annotations

import random

import pytest

from app.extensions import db
from tests.conftest import assert_error, build_world
from tests.services import redis_url
from tests.web import csrf_token, sign_in

BOARD = "/api/v1/offices/kupang/board"


def _address() -> dict:
    """A client address of its own, so counts never mix between tests (or runs, in Redis)."""
    return {"REMOTE_ADDR": f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.7"}


def _world(app):
    with app.app_context():
        return build_world(db.session)


def test_three_hundred_anonymous_requests_a_minute_are_served(app, world):
    client = app.test_client()
    where = _address()
    statuses = {client.get(BOARD, environ_base=where).status_code for _ in range(300)}
    assert statuses == {200}


def test_a_flood_is_refused_with_retry_after_and_a_sentence(make_app):
    app = make_app(ANONYMOUS_RATE_LIMIT="20 per minute")
    world = _world(app)
    client = app.test_client()
    flood, other = _address(), _address()
    for n in range(20):
        got = client.get(BOARD, environ_base=flood)
        assert got.status_code == 200, (n, dict(got.headers))
    refused = client.get(BOARD, environ_base=flood)
    assert_error(refused, 429, "rate_limited")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    page = client.get("/display/kupang", environ_base=flood)
    assert page.status_code == 429 and "text/html" in page.content_type
    assert client.get(BOARD, environ_base=other).status_code == 200
    assert "Retry-After" not in client.get(BOARD, environ_base=other).headers
    # A valid token is never limited, even from the flooding address; a bad one is refused.
    token = {"Authorization": f"Bearer {world.tokens['kiosk']}"}
    for _ in range(30):
        assert client.get(BOARD, environ_base=flood, headers=token).status_code == 200
    bad = {"Authorization": "Bearer lkt_not-a-token"}
    assert client.get(BOARD, environ_base=flood, headers=bad).status_code == 401


def test_signed_in_staff_are_not_limited(make_app):
    app = make_app(ANONYMOUS_RATE_LIMIT="10 per minute")
    _world(app)
    client = app.test_client()
    assert sign_in(client, "operator").status_code == 302
    for _ in range(30):
        assert client.get("/counter/").status_code == 200


def test_sign_in_attempts_are_limited_per_user_and_per_address(make_app):
    app = make_app(LOGIN_RATE_LIMIT="15 per minute", LOGIN_USER_RATE_LIMIT="10 per minute")
    _world(app)
    client = app.test_client()
    where = _address()
    token = csrf_token(client.get("/login", environ_base=where).get_data(as_text=True))

    def attempt(username: str):
        return client.post(
            "/login",
            environ_base=where,
            data={"username": username, "password": "tebak-tebak", "csrf_token": token},
        )

    for _ in range(10):
        assert attempt("operator").status_code == 401
    guarded = attempt("Operator")
    assert guarded.status_code == 429 and guarded.headers["Retry-After"]
    assert "Terlalu banyak permintaan" in guarded.get_data(as_text=True)
    for _ in range(4):  # another name from the same address: up to the address limit
        assert attempt("clerk").status_code == 401
    assert attempt("admin").status_code == 429


@pytest.fixture
def redis_limit():
    url = redis_url()
    return url


def test_with_redis_the_count_is_shared_by_every_process(make_app, redis_limit):
    first = make_app(MESSAGE_QUEUE_URL=redis_limit, ANONYMOUS_RATE_LIMIT="10 per minute")
    second = make_app(MESSAGE_QUEUE_URL=redis_limit, ANONYMOUS_RATE_LIMIT="10 per minute")
    _world(first)
    where = _address()
    a, b = first.test_client(), second.test_client()
    for client in (a, b) * 5:
        assert client.get(BOARD, environ_base=where).status_code == 200
    assert_error(a.get(BOARD, environ_base=where), 429, "rate_limited")
    assert_error(b.get(BOARD, environ_base=where), 429, "rate_limited")


def test_sign_in_limits_hold_for_token_holders_and_signed_in_staff(make_app):
    app = make_app(LOGIN_RATE_LIMIT="1000 per minute", LOGIN_USER_RATE_LIMIT="5 per minute")
    world = _world(app)
    client = app.test_client()
    where = _address()
    assert sign_in(client, "clerk").status_code == 302  # a signed-in browser ...
    csrf = csrf_token(client.get("/login", environ_base=where).get_data(as_text=True))
    token = {"Authorization": f"Bearer {world.tokens['kiosk']}"}  # ... that also sends a token

    def guess(headers: dict):
        return client.post(
            "/login",
            environ_base=where,
            headers=headers,
            data={"username": "admin", "password": "tebak-tebak", "csrf_token": csrf},
        )

    statuses = [guess(token if n % 2 else {}).status_code for n in range(6)]
    assert statuses == [401, 401, 401, 401, 401, 429]
