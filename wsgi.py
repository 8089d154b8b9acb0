"""The entry point: picks the async mode, creates the app, serves.

    python wsgi.py                 serve on HOST:PORT (default 0.0.0.0:5000) in ASYNC_MODE
    flask --app wsgi db upgrade    any CLI command (no server, no eventlet or gevent)

eventlet or gevent is imported and monkey-patched here and only here, first, before anything else
loads sockets or threads; the rest of the code runs unchanged in every mode. The servers below are
the only code that knows the mode: all three give a request head HEADER_TIMEOUT seconds, close
idle and silent connections, cap the connections of one client address, pause accepting (never
stop) when file descriptors run out, and stop within a few seconds on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import email.message
import io
import os
import signal
import socket
import sys
import time
from collections.abc import Callable

SERVING = __name__ == "__main__"
ASYNC_MODE = os.environ.get("ASYNC_MODE") or "eventlet"

if SERVING and ASYNC_MODE == "eventlet":
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated", category=Warning)
    import eventlet

    eventlet.monkey_patch()
elif SERVING and ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

from app import create_app  # noqa: E402
from app.connections import (  # noqa: E402
    ACCEPT_PAUSE,
    CONNECTION_ERRNOS,
    RESOURCE_ERRNOS,
    AcceptPauses,
    ConnectionGuard,
    raise_open_files_limit,
    unmask,
)
from app.extensions import socketio  # noqa: E402
from app.websockets import WebSocketServer  # noqa: E402
from config import Config  # noqa: E402

# Python's default collector thresholds cause 40-65 ms pauses with thousands of live sockets;
# freezing start-up objects and raising the first threshold keeps pauses short.
if SERVING:
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _green_postgres() -> None:
    """psycopg2 waits for PostgreSQL inside libpq, which would hold up every green thread of the
    process for the whole of each query and connect. With this wait callback it waits through
    the event loop instead (as psycogreen does), so other requests and the screens go on
    meanwhile. Not select.select: gevent's calls the real one first, which fails on descriptors
    above 1023, and a server with 2,000 screens has those. libpq leaves connect_timeout to the
    callback then; it is kept here, so a database that accepts and never answers is still given
    up after app/db.py's 5 seconds."""
    try:
        import psycopg2
        from psycopg2 import extensions
    except ImportError:
        return
    if ASYNC_MODE == "eventlet":
        from eventlet.hubs import trampoline

        def ready(fd: int, reading: bool, timeout: float | None) -> None:
            trampoline(
                fd, read=reading, write=not reading, timeout=timeout, timeout_exc=TimeoutError
            )

    else:
        from gevent.socket import wait_read, wait_write

        def ready(fd: int, reading: bool, timeout: float | None) -> None:
            (wait_read if reading else wait_write)(fd, timeout, TimeoutError)

    def wait(conn) -> None:
        deadline = None
        if conn.status == extensions.STATUS_SETUP:  # connecting
            seconds = float(extensions.parse_dsn(conn.dsn).get("connect_timeout") or 0)
            if seconds > 0:
                deadline = time.monotonic() + max(seconds, 2)  # libpq's own minimum is 2 s
        while True:
            state = conn.poll()
            if state == extensions.POLL_OK:
                return
            if state not in (extensions.POLL_READ, extensions.POLL_WRITE):
                raise psycopg2.OperationalError(f"bad state from poll: {state}")
            remaining = None if deadline is None else deadline - time.monotonic()
            try:
                if remaining is not None and remaining <= 0:
                    raise TimeoutError
                ready(conn.fileno(), state == extensions.POLL_READ, remaining)
            except TimeoutError:
                raise psycopg2.OperationalError("timeout expired") from None

    extensions.set_wait_callback(wait)


if SERVING and ASYNC_MODE in ("eventlet", "gevent"):
    _green_postgres()

_config = Config()
if not SERVING:
    # Command-line use: deliver events before the command exits (via Redis when configured).
    _config.BROADCAST_INLINE = True
else:
    _config.MIGRATIONS = False  # the server never migrates (`flask db upgrade` does)
app = create_app(_config, async_mode=ASYNC_MODE if SERVING else "threading")

BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 10\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 59\r\n\r\n"
    b"Too many connections from your address; try again shortly.\n"
)


def _blocking_executor():
    """How blocking calls (USB printer writes) leave the event loop in this mode."""
    if ASYNC_MODE == "eventlet":
        from eventlet import tpool

        return tpool.execute
    if ASYNC_MODE == "gevent":
        import gevent

        def in_thread(func: Callable, *args: object, **kwargs: object) -> object:
            return gevent.get_hub().threadpool.apply(func, args, kwargs)

        return in_thread
    return None


app.config["BLOCKING_EXECUTOR"] = _blocking_executor() if SERVING else None


class StopRequest:
    """Set by SIGINT/SIGTERM. The handler only sets a flag: raising from it would land in
    whichever greenlet or thread happens to run, which is how a stop used to get lost."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, _signum: int, _frame: object) -> None:
        self.requested = True


def _guard() -> ConnectionGuard:
    return ConnectionGuard(
        app.config["MAX_CONNECTIONS_PER_ADDRESS"], app.config["CONNECTION_LIMIT_EXEMPT"]
    )


def _refuse_busy(client: socket.socket) -> None:
    try:
        client.settimeout(0.01)
        client.send(BUSY_RESPONSE)
    except OSError:
        pass
    finally:
        client.close()


# The environ keys of the headers a browser sends with a WebSocket, one string each for all
# connections (eventlet builds them anew for every request).
SHARED_KEYS = {
    key: key
    for key in (
        "HTTP_ACCEPT",
        "HTTP_ACCEPT_ENCODING",
        "HTTP_ACCEPT_LANGUAGE",
        "HTTP_CACHE_CONTROL",
        "HTTP_CONNECTION",
        "HTTP_COOKIE",
        "HTTP_HOST",
        "HTTP_ORIGIN",
        "HTTP_PRAGMA",
        "HTTP_SEC_FETCH_DEST",
        "HTTP_SEC_FETCH_MODE",
        "HTTP_SEC_FETCH_SITE",
        "HTTP_SEC_WEBSOCKET_EXTENSIONS",
        "HTTP_SEC_WEBSOCKET_KEY",
        "HTTP_SEC_WEBSOCKET_PROTOCOL",
        "HTTP_SEC_WEBSOCKET_VERSION",
        "HTTP_UPGRADE",
        "HTTP_USER_AGENT",
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_REAL_IP",
    )
}


class LazyWriter:
    """A connection's buffered writer, made at its first write (eventlet's is made with every
    connection, and a WebSocket never writes through it)."""

    __slots__ = ("_file", "_size", "_sock")

    def __init__(self, sock: socket.socket, size: int) -> None:
        self._sock, self._size, self._file = sock, size, None

    def _writer(self):
        if self._file is None:
            self._file = self._sock.makefile("wb", self._size)
        return self._file

    def write(self, data: bytes) -> int:
        return self._writer().write(data)

    def writelines(self, lines) -> None:
        self._writer().writelines(lines)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    @property
    def closed(self) -> bool:
        return self._file is not None and self._file.closed

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


# What a WebSocket's connection reads through once its head is read: nothing, closed.
SPENT_READER = io.BytesIO()
SPENT_READER.close()


def websocket_head(
    headers: email.message.Message, env: dict[str, object]
) -> tuple[email.message.Message, dict[str, object]]:
    """What eventlet keeps of a WebSocket's request head for as long as it is open.

    The head is kept three times over: the parsed headers, a raw copy in the environ and the
    environ's HTTP_ keys, each key a string of its own. A WebSocket's frames never need the first
    two: the environ's keys stay (the common names shared, SHARED_KEYS), and of the parsed
    headers only Connection, read again should the handshake end in a plain answer. About 3.5 KB
    of a phone browser's head a connection (bench.phones, 5,000 phones: 411-415 -> 396-397 MB).
    """
    kept = email.message.Message()
    if headers.get("Connection") is not None:
        kept["Connection"] = headers["Connection"]
    return kept, {SHARED_KEYS.get(k, k): v for k, v in env.items() if k != "headers_raw"}


def _capped_message(websocket) -> type:
    """eventlet's message with a limit on all its fragments together. eventlet limits each
    frame (to Engine.IO's max_http_buffer_size) but joins a message's fragments without end, so
    one client sending a message that never finishes made the server hold all it sent (94 MB
    for 94 MB). Past the limit the connection is closed with 1009, as for a frame too big."""

    class CappedMessage(websocket.RFC6455WebSocket.Message):
        size = 0

        def push(self, data: bytes, final: bool = False) -> None:
            self.size += len(data)
            if self.size > self.max_frame_length:
                raise websocket.FailedConnectionError(
                    1009, f"Message over the limit of {self.max_frame_length} bytes."
                )
            super().push(data, final=final)

    return CappedMessage


def _serve_eventlet(
    host: str, port: int, stop: StopRequest, listening: Callable[[int], None]
) -> None:
    import eventlet
    import eventlet.websocket
    import eventlet.wsgi
    from eventlet import greenio

    # Client frames are unmasked on whole integers, not a byte at a time (same result).
    eventlet.websocket.RFC6455WebSocket._apply_mask = staticmethod(unmask)
    eventlet.websocket.RFC6455WebSocket.Message = _capped_message(eventlet.websocket)

    cfg = app.config
    head_timeout, idle_timeout = cfg["HEADER_TIMEOUT"], cfg["KEEPALIVE_TIMEOUT"]
    guard, pauses = _guard(), AcceptPauses()
    connections: dict[int, list] = {}  # id -> eventlet's [address, socket, state]
    long_lived: set[int] = set()  # Socket.IO connections (WebSocket, long polling)

    class Protocol(eventlet.wsgi.HttpProtocol):
        """eventlet's protocol with a deadline for the request head."""

        # Each connection's buffered reader and writer hold their whole buffer for as long as it
        # is open, and a WebSocket is open all day without using them (its frames go straight
        # to the socket): 8 + 16 KB a screen or phone by default, 1.5 KB this way. A request
        # head is read in a few pieces; larger reads and writes pass through in full.
        rbufsize = 512
        wbufsize = 1024

        served = 0
        head: eventlet.Timeout | None = None

        def _deadline(self, seconds: float) -> None:
            self._cancel()
            self.head = eventlet.Timeout(seconds, TimeoutError("request head too slow"))

        def _cancel(self) -> None:
            if self.head is not None:
                self.head.cancel()
                self.head = None

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            finally:
                self._cancel()

        def _read_request_line(self) -> str:
            # The first request's head must come within head_timeout; between kept-alive
            # requests the connection may idle for idle_timeout.
            self._deadline(head_timeout if self.served == 0 else idle_timeout)
            line = super()._read_request_line()
            if line and self.served:
                self._deadline(head_timeout)  # the headers after the line
            return line

        def get_environ(self) -> dict:
            env = super().get_environ()
            if env.get("HTTP_UPGRADE", "").lower() == "websocket":
                self.headers, env = websocket_head(self.headers, env)
                # Its frames go straight to the socket, all day: the buffered reader (the head
                # is read; a client sends no frame before its handshake is answered) is let go,
                # and a writer is made again only should the handshake end in a plain answer.
                # The connection then closes, as gevent's does. 5,000 phones: 396-397 -> 390-391 MB.
                self.rfile = env["wsgi.input"].rfile = SPENT_READER
                self.wfile.flush()
                self.wfile = LazyWriter(self.connection, self.wbufsize)
            return env

        def parse_request(self) -> bool:
            try:
                ok = super().parse_request()
            finally:
                self._cancel()
            self.served += 1
            key = id(self.conn_state)
            if ok and self.path.startswith("/socket.io/"):
                long_lived.add(key)
            else:
                long_lived.discard(key)
            return ok

    listener = eventlet.listen((host, port), backlog=2048)
    listening(listener.getsockname()[1])
    server = eventlet.wsgi.Server(
        listener,
        listener.getsockname(),
        app,
        protocol=Protocol,
        keepalive=True,
        log_output=False,
        debug=False,  # never a traceback in a response
        socket_timeout=cfg["IO_TIMEOUT"],
    )
    pool = eventlet.GreenPool(cfg["MAX_CONNECTIONS"])
    state = {"accepting": True}

    def closed(_thread: object, conn: list) -> None:
        connections.pop(id(conn), None)
        long_lived.discard(id(conn))
        guard.release(conn[0][0])
        conn[2] = eventlet.wsgi.STATE_CLOSE
        greenio.shutdown_safe(conn[1])
        conn[1].close()

    def accept_loop() -> None:
        while state["accepting"]:
            try:
                client, address = listener.accept()
            except OSError as err:
                if not state["accepting"]:
                    return
                if err.errno in RESOURCE_ERRNOS:
                    pauses.out_of_resources(err)
                    eventlet.sleep(ACCEPT_PAUSE)
                elif err.errno not in CONNECTION_ERRNOS:
                    app.logger.exception("accept failed; accepting again shortly")
                    eventlet.sleep(ACCEPT_PAUSE)
                continue
            pauses.accepted()
            if not guard.admit(address[0]):
                _refuse_busy(client)
                continue
            client.settimeout(cfg["IO_TIMEOUT"])
            try:
                # An answer larger than the small write buffer (Protocol.wbufsize) leaves in two
                # writes, head and body: without this the body waits 40 ms for the client's
                # delayed ACK of the head (bench/modes.py).
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                client.close()  # reset before it could be served
                guard.release(address[0])
                continue
            conn = [address, client, eventlet.wsgi.STATE_IDLE]
            connections[id(conn)] = conn
            pool.spawn(server.process_request, conn).link(closed, conn)

    acceptor = eventlet.spawn(accept_loop)
    while not stop.requested:
        eventlet.sleep(0.1)

    # Stop: no new connections; requests in progress get STOP_GRACE seconds; then every
    # connection (screens, idle keep-alives) is closed and the clients reconnect elsewhere/later.
    state["accepting"] = False
    acceptor.kill()
    listener.close()
    for conn in list(connections.values()):
        if conn[2] == eventlet.wsgi.STATE_IDLE:
            greenio.shutdown_safe(conn[1])
    deadline = time.monotonic() + cfg["STOP_GRACE"]
    while time.monotonic() < deadline and any(
        conn[2] == eventlet.wsgi.STATE_REQUEST and key not in long_lived
        for key, conn in list(connections.items())
    ):
        eventlet.sleep(0.05)
    for conn in list(connections.values()):
        greenio.shutdown_safe(conn[1])
    with eventlet.Timeout(1, False):
        pool.waitall()


def _serve_gevent(
    host: str, port: int, stop: StopRequest, listening: Callable[[int], None]
) -> None:
    import gevent
    import gevent.pool
    import gevent.socket
    from gevent import pywsgi

    cfg = app.config
    head_timeout, idle_timeout = cfg["HEADER_TIMEOUT"], cfg["KEEPALIVE_TIMEOUT"]
    guard, pauses = _guard(), AcceptPauses()
    connections: dict[Handler, socket.socket] = {}

    class Handler(pywsgi.WSGIHandler):
        """gevent's handler with a deadline for the request head (a gevent.Timeout, so a head
        sent a byte at a time cannot outlast it), and no log line for clients that are slow,
        gone or malformed."""

        served = 0
        busy = False  # a request is being answered
        long_lived = False  # that request is Socket.IO's (WebSocket, long polling)
        head: gevent.Timeout | None = None

        def _deadline(self, seconds: float) -> None:
            self._cancel()
            self.head = gevent.Timeout.start_new(seconds)

        def _cancel(self) -> None:
            if self.head is not None:
                self.head.close()
                self.head = None

        def handle_one_request(self):
            try:
                return super().handle_one_request()
            except gevent.Timeout as timeout:
                if timeout is not self.head:
                    raise
                return None  # the head was too slow: close the connection
            finally:
                self._cancel()
                self.busy = False

        def read_requestline(self) -> str:
            # The first request's head must come within head_timeout; between kept-alive
            # requests the connection may idle for idle_timeout.
            self._deadline(head_timeout if self.served == 0 else idle_timeout)
            line = super().read_requestline()
            if line and self.served:
                self._deadline(head_timeout)  # the headers after the line
            return line

        def read_request(self, raw_requestline: str) -> bool:
            ok = super().read_request(raw_requestline)
            self._cancel()
            self.served += 1
            self.busy = True
            self.long_lived = self.path.startswith("/socket.io/")
            if self.headers.get("Upgrade", "").lower() == "websocket":
                self.close_connection = True  # the connection ends with its WebSocket
            return ok

        def get_environ(self) -> dict:
            env = super().get_environ()
            env["loket.socket"] = self.socket  # for app.websockets.WebSocketServer
            return env

        def log_error(self, msg: str, *args: object) -> None:
            # Only malformed requests are logged here; a line per one would let anyone fill
            # the log.
            pass

        def _handle_client_error(self, ex: BaseException):
            if isinstance(ex, OSError) and not isinstance(ex, ValueError):
                self.close_connection = True  # reset or gone mid-head: nothing to answer
                return None
            return super()._handle_client_error(ex)  # 400

        def handle_error(self, t, v, tb) -> None:
            if issubclass(t, OSError):  # the client stopped reading or went away mid-answer
                self.close_connection = True
                return
            super().handle_error(t, v, tb)  # logged; the client gets a bare 500

    # Engine.IO's WebSockets are read by the greenlet that answered the upgrade (not a thread
    # and a duplicate socket each, as simple-websocket's), with a limit on a whole message.
    _use_websocket(WebSocketServer)

    listener = gevent.socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(2048)
    bound = listener.getsockname()[1]
    listening(bound)
    server = pywsgi.WSGIServer(
        listener,
        app,
        handler_class=Handler,
        log=None,
        environ={"SERVER_NAME": host, "SERVER_PORT": str(bound)},
    )
    pool = gevent.pool.Pool(cfg["MAX_CONNECTIONS"])
    state = {"accepting": True}

    def shutdown(client: socket.socket) -> None:
        try:
            client.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def serve_connection(client: socket.socket, address: tuple) -> None:
        # gevent writes a response's head and body apart: with Nagle's algorithm the body waits
        # for the client's delayed ACK of the head, 40 ms on every kept-alive request.
        # A 512-byte read buffer, not 8 KB: it is held for as long as the connection is open,
        # and a WebSocket is open all day (larger reads pass through in full).
        handler = Handler(client, address, server, rfile=client.makefile("rb", 512))
        connections[handler] = client
        try:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            handler.handle()
        except OSError:
            pass  # gone before it could be told its request was malformed
        finally:
            connections.pop(handler, None)
            guard.release(address[0])
            client.close()

    def accept_loop() -> None:
        while state["accepting"]:
            try:
                client, address = listener.accept()
            except OSError as err:
                if not state["accepting"]:
                    return
                if err.errno in RESOURCE_ERRNOS:
                    pauses.out_of_resources(err)
                    gevent.sleep(ACCEPT_PAUSE)
                elif err.errno not in CONNECTION_ERRNOS:
                    app.logger.exception("accept failed; accepting again shortly")
                    gevent.sleep(ACCEPT_PAUSE)
                continue
            pauses.accepted()
            if not guard.admit(address[0]):
                _refuse_busy(client)
                continue
            client.settimeout(cfg["IO_TIMEOUT"])
            pool.spawn(serve_connection, client, address)  # waits while MAX_CONNECTIONS are open

    acceptor = gevent.spawn(accept_loop)
    while not stop.requested:
        gevent.sleep(0.1)

    # Stop: no new connections; requests in progress get STOP_GRACE seconds; then every
    # connection (screens, idle keep-alives) is closed and the clients reconnect elsewhere/later.
    state["accepting"] = False
    acceptor.kill()
    listener.close()
    for handler, client in list(connections.items()):
        if not handler.busy:
            shutdown(client)
    deadline = time.monotonic() + cfg["STOP_GRACE"]
    while time.monotonic() < deadline and any(
        handler.busy and not handler.long_lived for handler in list(connections)
    ):
        gevent.sleep(0.05)
    for client in list(connections.values()):
        shutdown(client)
    pool.join(timeout=1)


def _use_websocket(websocket: type) -> None:
    """Engine.IO makes each connection's WebSocket with ``websocket(handler, server)``."""
    eio = socketio.server.eio
    eio._async = {**eio._async, "websocket": websocket}


def _capped_simple_websocket() -> type:
    """simple-websocket (the threading mode's) with a limit on a whole message, fragments
    together: by default it has none, and one client could make the server hold all it sent."""
    from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI

    class Capped(SimpleWebSocketWSGI):
        def __init__(self, handler, server, **kwargs) -> None:
            super().__init__(
                handler, server, max_message_size=int(server.max_http_buffer_size), **kwargs
            )

    return Capped


def _serve_threading(
    host: str, port: int, stop: StopRequest, listening: Callable[[int], None]
) -> None:
    import logging
    import threading

    from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    cfg = app.config
    head_timeout, idle_timeout = cfg["HEADER_TIMEOUT"], cfg["KEEPALIVE_TIMEOUT"]
    guard, pauses = _guard(), AcceptPauses()
    handlers: dict[int, Handler] = {}
    admitted: dict[int, str] = {}  # id(socket) -> client address, for the per-address count
    lock = threading.Lock()

    class Handler(WSGIRequestHandler):
        """Werkzeug's handler with a deadline for the request head (enforced by the watchdog,
        so a head sent a byte at a time cannot outlast it)."""

        def setup(self) -> None:
            super().setup()
            self.served, self.busy, self.long_lived = 0, False, False
            self.head_deadline: float | None = None
            with lock:
                handlers[id(self)] = self

        def handle_one_request(self) -> None:
            wait = head_timeout if self.served == 0 else idle_timeout
            self.busy, self.head_deadline = False, time.monotonic() + wait
            self.connection.settimeout(wait)
            super().handle_one_request()
            self.busy = False

        def parse_request(self) -> bool:
            ok = super().parse_request()
            self.head_deadline = None
            self.served += 1
            self.busy = ok
            self.long_lived = ok and self.path.startswith("/socket.io/")
            self.connection.settimeout(cfg["IO_TIMEOUT"])
            return ok

        def finish(self) -> None:
            with lock:
                handlers.pop(id(self), None)
            super().finish()

        def log_error(self, format: str, *args: object) -> None:
            # A slow or silent client is normal on a LAN; a line per one would let anyone fill
            # the log.
            if not format.startswith("Request timed out"):
                super().log_error(format, *args)

        def close_now(self) -> None:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    class Server(ThreadedWSGIServer):
        def get_request(self):
            try:
                request, address = super().get_request()
            except OSError as err:
                if err.errno in RESOURCE_ERRNOS:
                    pauses.out_of_resources(err)
                    time.sleep(ACCEPT_PAUSE)
                raise
            pauses.accepted()
            return request, address

        def verify_request(self, request, client_address) -> bool:
            if not guard.admit(client_address[0]):
                _refuse_busy(request)
                return False
            admitted[id(request)] = client_address[0]
            return True

        def shutdown_request(self, request) -> None:
            address = admitted.pop(id(request), None)
            if address is not None:
                guard.release(address)
            super().shutdown_request(request)

    server = Server(host, port, app, handler=Handler)
    listening(server.server_port)
    _use_websocket(_capped_simple_websocket())

    def watchdog() -> None:
        while True:
            time.sleep(0.5)
            now = time.monotonic()
            with lock:
                late = [h for h in handlers.values() if h.head_deadline and h.head_deadline < now]
            for handler in late:
                handler.close_now()

    threading.Thread(target=watchdog, daemon=True, name="head-deadlines").start()
    serving = threading.Thread(target=server.serve_forever, daemon=True, name="accept")
    serving.start()
    while not stop.requested and serving.is_alive():
        time.sleep(0.1)
    server.shutdown()
    deadline = time.monotonic() + cfg["STOP_GRACE"]
    while time.monotonic() < deadline:
        with lock:
            if not any(h.busy and not h.long_lived for h in handlers.values()):
                break
        time.sleep(0.05)
    with lock:
        remaining = list(handlers.values())
    for handler in remaining:
        handler.close_now()


def serve() -> None:
    stop = StopRequest()
    # Ctrl-C and `systemctl stop` both stop cleanly, also when SIGINT was inherited as ignored
    # (a process started in the background by a non-interactive shell).
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    soft, _hard = raise_open_files_limit()
    host, port = app.config["HOST"], app.config["PORT"]
    # Imported here, after create_app: importing the printer driver earlier would make it
    # parse its profiles into a new temporary folder instead of the instance's cache.
    from app.print_jobs import print_service
    from app.sms import sms_service

    printers = print_service(app)
    printers.start()
    messages = sms_service(app)
    messages.start()

    def listening(bound: int) -> None:
        # The port actually bound (PORT=0 lets the system choose one: the tests do); links
        # built from PORT (the status page's) use it.
        app.config["PORT"] = bound
        print(
            f"Loket serving on http://{host}:{bound} ({ASYNC_MODE} mode, up to {soft} open "
            "files). Ctrl-C stops.",
            flush=True,
        )

    try:
        if ASYNC_MODE == "eventlet":
            _serve_eventlet(host, port, stop, listening)
        elif ASYNC_MODE == "gevent":
            _serve_gevent(host, port, stop, listening)
        else:
            _serve_threading(host, port, stop, listening)
    finally:
        printers.stop()
        messages.stop()
        print("Loket stopped.", flush=True)


if SERVING:
    if len(sys.argv) > 1:
        sys.exit("usage: python wsgi.py (settings come from the environment; see README)")
    serve()
