"""The floor's server: the least a Flask + Flask-SocketIO app on eventlet's WSGI server does for
the loads Loket's benchmarks put on Loket, in a process of its own (``bench.floor`` starts it).

    python -m bench.floor_server [--db sqlite:///PATH | postgresql://...]

* ``POST /commit``: one INSERT and its commit into a one-table database (SQLite with the pragmas
  of app/db.py: WAL, synchronous=FULL, busy timeout, foreign keys, secure_delete=FAST; writes
  with BEGIN IMMEDIATE behind one in-process lock; or PostgreSQL), answering 201 with the row's
  id as JSON;
* ``POST /emit`` ``{"room", "code"}``: one Socket.IO ``called`` event to the room, answering 204
  (``{"rooms": [...], "code"}``: one event to each room, as a call tells each phone behind it);
* Socket.IO ``join`` ``{"office": NAME}``: the connection joins room NAME and gets one small
  ``board`` at once (so bench.screens.LeanScreen counts it as joined).

The server is set up as Loket's (wsgi.py, app/__init__.py): eventlet monkey-patched first,
eventlet.wsgi with keep-alive and no access log, a green pool of 10,000, the collector's
thresholds raised after start-up, and Socket.IO's ping every 20 s. Nothing else: no sessions,
no CSRF, no rate limits, no authentication, no templates. It says ``floor serving on PORT``.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated", category=Warning)
import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import gc  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

import eventlet.wsgi  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402
from flask_socketio import SocketIO, emit, join_room  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

BUSY_TIMEOUT_MS = 15000  # config.py's SQLITE_BUSY_TIMEOUT_MS default


def floor_engine(url: str) -> Engine:
    """An engine on ``url`` set up as app/db.py sets Loket's, with the one table made."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=20,
            max_overflow=20,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA secure_delete=FAST")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        key = "INTEGER PRIMARY KEY AUTOINCREMENT"
    else:
        url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
        engine = create_engine(
            url, pool_size=10, max_overflow=20, pool_pre_ping=True, pool_timeout=10
        )
        key = "SERIAL PRIMARY KEY"
    with engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS floor_tickets (id {key}, "
                "service VARCHAR(8) NOT NULL, created_at VARCHAR(40) NOT NULL)"
            )
        )
    return engine


def create_app(url: str) -> tuple[Flask, SocketIO]:
    app = Flask(__name__)
    engine = floor_engine(url)
    writer = threading.Lock()  # green under eventlet: one writer at a time, as Loket's gate
    insert = text("INSERT INTO floor_tickets (service, created_at) VALUES (:s, :t) RETURNING id")
    socketio = SocketIO(
        app,
        async_mode="eventlet",
        ping_interval=20,
        ping_timeout=20,
        max_http_buffer_size=64 * 1024,
        logger=False,
        engineio_logger=False,
    )

    @app.post("/commit")
    def commit() -> Any:
        body = request.get_json(silent=True) or {}
        with writer, engine.begin() as conn:
            row_id = conn.execute(
                insert, {"s": str(body.get("service", "A"))[:8], "t": datetime.now(UTC).isoformat()}
            ).scalar_one()
        return jsonify({"id": row_id}), 201

    @app.post("/emit")
    def emit_to_room() -> Any:
        body = request.get_json(silent=True) or {}
        rooms = body.get("rooms") or [body.get("room", "")]
        for room in rooms:  # one event to each room: a phone's own ticket
            socketio.emit("called", {"code": body.get("code")}, to=str(room))
        return "", 204

    @socketio.on("join")
    def on_join(data: Any) -> None:
        room = str((data or {}).get("office", ""))
        join_room(room)
        emit("board", {"office": room})

    # WebSocket compression declined, as Loket does (app/websockets.py): the screens offer it
    # as browsers do, and accepting it would put zlib's cost in the floor.
    inner = app.wsgi_app

    def plain_websockets(environ: dict, start_response: Any) -> Any:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return inner(environ, start_response)

    app.wsgi_app = plain_websockets  # type: ignore[method-assign]
    return app, socketio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite:///floor.db")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    app, _socketio = create_app(args.db)
    listener = eventlet.listen(("127.0.0.1", args.port), backlog=2048)
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    print(f"floor serving on {listener.getsockname()[1]}", flush=True)
    sys.stdout.flush()
    eventlet.wsgi.server(listener, app, log_output=False, keepalive=True, max_size=10_000)


if __name__ == "__main__":
    main()
