"""Shared fixtures: an app on a real database (SQLite file, or PostgreSQL), a frozen clock, an
office with staff of every role and their tokens, and a small API client."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from bench.databases import drop_database, fresh_database
from config import TestingConfig
from tests.factories import T0, make_office, make_token, make_user
from tests.services import postgres_url


@pytest.fixture(autouse=True)
def _eventlet_stays_out_of_this_process():
    """Servers under test run eventlet in their own processes. Imported into the test process
    (even eventlet.websocket alone), it changes the standard library under every later test:
    a threading HTTP server then never shuts down. The test that did it fails here, whatever
    the order of the run."""
    yield
    assert "eventlet" not in sys.modules, "this test imported eventlet into the test process"


def _build(url: str, instance: Path, **overrides: Any):
    config = TestingConfig(url, instance)
    for name, value in overrides.items():
        setattr(config, name, value)
    return create_app(config)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once to head; each test gets a copy."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "loket.db"
    app = _build(f"sqlite:///{path}", folder)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()  # closes connections: the WAL is checkpointed into the file
    return path


@pytest.fixture(scope="session")
def postgres_migrated(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PostgreSQL database of this run's own (next to TEST_DATABASE_URL's, dropped at the
    end), migrated to head once."""
    base = postgres_url()
    url = fresh_database(base, "loket_test")
    folder = tmp_path_factory.mktemp("pg")
    app = _build(url, folder)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    yield url
    drop_database(base, url)


def _truncate_postgres() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# The app fixtures push no app context: each request then gets its own, as in production
# (a context held by a fixture would be shared by every request of the test).
@pytest.fixture
def sqlite_app(tmp_path: Path, sqlite_template: Path):
    path = tmp_path / "loket.db"
    shutil.copy(sqlite_template, path)
    app = _build(f"sqlite:///{path}", tmp_path)
    yield app
    _dispose(app)


@pytest.fixture
def pg_app(tmp_path: Path, postgres_migrated: str):
    app = _build(postgres_migrated, tmp_path)
    with app.app_context():
        _truncate_postgres()
    yield app
    _dispose(app)


@pytest.fixture
def make_app(tmp_path: Path, sqlite_template: Path):
    """Build apps on one copy of the SQLite database with settings overridden
    (``make_app(PRINTER_URL=...)``); several calls share the database, like restarts."""
    path = tmp_path / "loket.db"
    shutil.copy(sqlite_template, path)
    built = []

    def build(**overrides: Any):
        app = _build(f"sqlite:///{path}", tmp_path, **overrides)
        built.append(app)
        return app

    yield build
    for app in built:
        _dispose(app)


@pytest.fixture
def app(sqlite_app):
    """The app on SQLite (the embedded default)."""
    return sqlite_app


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request: pytest.FixtureRequest):
    """The app on each supported database in turn."""
    return request.getfixturevalue("sqlite_app" if request.param == "sqlite" else "pg_app")


@pytest.fixture
def app_context(app):
    """An app context for tests that use ``db.session`` directly (no requests inside it)."""
    with app.app_context():
        yield


class Clock:
    """A frozen clock for the whole app: ``now`` only moves when a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now = self.now + timedelta(**kwargs)
        return self.now

    def set(self, value: datetime) -> datetime:
        self.now = value
        return value


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock(T0)
    import app.domain as queue_pkg
    import app.domain.clock as clock_module

    monkeypatch.setattr(queue_pkg, "utcnow", frozen)
    monkeypatch.setattr(clock_module, "utcnow", frozen)
    return frozen


@dataclass
class World:
    """One office (``kupang``) and another (``oebobo``), with a user and token per role."""

    office: Any
    other: Any
    users: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def counter(self, number: int, office: Any = None) -> Any:
        office = office or self.office
        return next(c for c in office.counters if c.number == number)


def build_world(session) -> World:
    office = make_office(session, "kupang")
    other = make_office(session, "oebobo", services="AC", counters=((1, "A"), (2, "C")))
    world = World(office, other)
    for role in ("admin", "operator", "clerk", "kiosk", "display"):
        user = make_user(session, role, role, office if role != "admin" else None)
        world.users[role] = user
        world.tokens[role] = make_token(session, user)
    for role in ("operator", "clerk", "kiosk", "admin"):
        user = make_user(session, f"{role}-oebobo", role, other)
        world.users[f"{role}@oebobo"] = user
        world.tokens[f"{role}@oebobo"] = make_token(session, user)
    session.commit()
    return world


@pytest.fixture
def world(app, clock) -> World:
    """Built in its own app context; its objects stay readable afterwards (detached)."""
    with app.app_context():
        return build_world(db.session)


class Api:
    """The Flask test client with bearer tokens by role name."""

    def __init__(self, client, world: World) -> None:
        self.client = client
        self.world = world

    def _headers(self, as_: str | None, extra: dict | None = None) -> dict:
        headers = dict(extra or {})
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.world.tokens.get(as_, as_)}"
        return headers

    def get(self, path: str, as_: str | None = None, **kwargs: Any):
        return self.client.get(
            path, headers=self._headers(as_, kwargs.pop("headers", None)), **kwargs
        )

    def post(self, path: str, json: Any = None, as_: str | None = None, **kwargs: Any):
        return self.client.post(
            path, json=json, headers=self._headers(as_, kwargs.pop("headers", None)), **kwargs
        )

    def issue(
        self, service: str = "A", office: str = "kupang", priority: bool = False, as_: str = "kiosk"
    ) -> dict:
        response = self.post(
            f"/api/v1/offices/{office}/tickets", {"service": service, "priority": priority}, as_=as_
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def call_next(self, counter_id: int, as_: str = "operator"):
        return self.post(f"/api/v1/counters/{counter_id}/call-next", as_=as_)

    def move(self, ticket_id: int, action: str, as_: str = "operator", json: Any = None):
        return self.post(f"/api/v1/tickets/{ticket_id}/{action}", json, as_=as_)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def api(client, world) -> Api:
    return Api(client, world)


def assert_error(response, status: int, code: str) -> dict:
    """The response is the JSON error of ``status`` and ``code`` with a sentence."""
    body = response.get_json()
    assert response.status_code == status, body
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    message = body["error"]["message"]
    assert isinstance(message, str) and len(message) > 10 and message.rstrip().endswith("."), body
    return body["error"]
