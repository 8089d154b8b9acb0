"""Database engine set-up: driver choice, SQLite durability settings and write serialisation.

SQLite is the embedded default. Power cuts are common where Loket runs, so every connection uses
WAL with ``synchronous=FULL`` (a committed ticket survives a power cut) and foreign keys on.

SQLite allows one writer at a time. A transaction that starts as a reader and later writes can fail
at once with "database is locked" when another connection wrote in between, whatever the busy
timeout. So write transactions start with ``BEGIN IMMEDIATE``, and inside one process they queue on
a lock first (SQLite's own busy handler polls with sleeps of up to 100 ms, which would set the p99).
Requests that only read (GET) and the event builder run with ``BEGIN DEFERRED`` and never wait.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

# True while the current request or task only reads. Set per request by the app.
read_only: ContextVar[bool] = ContextVar("loket_read_only", default=False)


class DatabaseBusy(Exception):
    """Raised when a write could not get the SQLite write lock within the busy timeout."""


def normalise_url(url: str) -> str:
    """Return ``url`` with a PostgreSQL driver that is installed (psycopg2 first, then psycopg).

    Raises ValueError when the URL names PostgreSQL and no driver is installed.
    """
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.get_backend_name() != "postgresql" or "+" in parsed.drivername:
        return parsed.render_as_string(hide_password=False)
    for module, driver in (("psycopg2", "psycopg2"), ("psycopg", "psycopg")):
        try:
            __import__(module)
        except ImportError:
            continue
        return parsed.set(drivername=f"postgresql+{driver}").render_as_string(hide_password=False)
    raise ValueError("DATABASE_URL names PostgreSQL but neither psycopg2 nor psycopg is installed")


def engine_options(url: str, busy_timeout_ms: int) -> dict[str, Any]:
    """SQLAlchemy ``create_engine`` options suited to the database in ``url``."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return {
            "connect_args": {"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
            "pool_size": 20,
            "max_overflow": 20,
        }
    # A server that does not answer (cable out, host down) gets a 503 in seconds, not minutes.
    return {
        "pool_size": 10,
        "max_overflow": 20,
        "pool_pre_ping": True,
        "pool_timeout": 10,
        "connect_args": {"connect_timeout": 5},
    }


@contextmanager
def reading() -> Iterator[None]:
    """Mark the work inside the block as read-only (SQLite: ``BEGIN DEFERRED``)."""
    token = read_only.set(True)
    try:
        yield
    finally:
        read_only.reset(token)


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    """Install the SQLite pragmas and write-transaction handling on ``engine`` (no-op elsewhere).

    Raises DatabaseBusy from a write that waited longer than ``busy_timeout_ms`` for the lock.
    """
    if engine.dialect.name != "sqlite":
        return
    gate = _WriteGate(busy_timeout_ms / 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let the "begin" event below issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        # Erased values (a resident's phone number) are overwritten in the table's pages, not
        # left readable in free space; costs CPU only, no extra I/O.
        cur.execute("PRAGMA secure_delete=FAST")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if read_only.get() or conn.get_execution_options().get("loket_read_only"):
            conn.exec_driver_sql("BEGIN DEFERRED")
            return
        raw = conn.connection.dbapi_connection
        gate.acquire(raw)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.release(raw)
            raise

    dialect = engine.dialect
    plain_commit, plain_rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            plain_commit(dbapi_connection)
        finally:
            gate.release(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            plain_rollback(dbapi_connection)
        finally:
            gate.release(dbapi_connection)

    # The dialect object belongs to this engine alone; wrapping its two methods lets the lock go
    # right after COMMIT/ROLLBACK reached SQLite.
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    @event.listens_for(engine.pool, "invalidate")
    def _on_invalidate(dbapi_connection: Any, _record: Any, _exc: Any) -> None:
        gate.release(dbapi_connection)


class _WriteGate:
    """One writer at a time inside this process, released by whoever ends the transaction."""

    def __init__(self, timeout_s: float) -> None:
        self._lock = threading.Lock()
        self._owner: Any = None
        self._timeout_s = timeout_s

    def acquire(self, raw: Any) -> None:
        if not self._lock.acquire(timeout=self._timeout_s):
            raise DatabaseBusy("the database stayed busy for longer than the busy timeout")
        self._owner = raw

    def release(self, connection: Any) -> None:
        raw = getattr(connection, "dbapi_connection", connection)
        if raw is not None and raw is self._owner:
            self._owner = None
            self._lock.release()
