"""WebSockets without compression: the server declines permessage-deflate.

Every browser offers WebSocket compression, and the servers under Socket.IO accept it (eventlet's
and simple-websocket's). Each connection then keeps zlib contexts of its own, about 100 KB
once used, and every message is compressed again for every client: the same board 2,000 times.
With 5,000 phones following their tickets the server held 918 MB instead of 401
(``bench.phones``, clients offering compression as browsers do). Loket's messages are a few
hundred bytes on a local network, so compression saves nothing worth that.

The request's ``Sec-WebSocket-Extensions`` header is removed before the handshake, in every
async mode (a WSGI middleware, outside Flask-SocketIO's); the browser then speaks plain
WebSocket, as the protocol provides.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from .connections import unmask

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PlainWebSockets:
    """WSGI middleware: no WebSocket extension is offered to the app below."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.app(environ, start_response)


# RFC 6455: the GUID a server's accept key is made with, and the frames' opcodes.
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
NORMAL, PROTOCOL_ERROR, NOT_UTF8, TOO_BIG = 1000, 1002, 1007, 1009


def accept_key(key: str) -> str | None:
    """The Sec-WebSocket-Accept answer to a client's Sec-WebSocket-Key, or None when the key is
    not the base64 of 16 bytes the protocol requires."""
    try:
        raw = base64.b64decode(key.strip().encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return None
    if len(raw) != 16:
        return None
    return base64.b64encode(hashlib.sha1(key.strip().encode("ascii") + _GUID).digest()).decode()


def frame(opcode: int, payload: bytes) -> bytes:
    """One whole, unmasked frame (as a server sends)."""
    size = len(payload)
    if size < 126:
        head = bytes((0x80 | opcode, size))
    elif size < 65536:
        head = bytes((0x80 | opcode, 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 127)) + size.to_bytes(8, "big")
    return head + payload


class Failed(Exception):
    """The peer broke the protocol or a limit: the connection is closed with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code, self.reason = code, reason


class WebSocketServer:
    """Engine.IO's WebSocket for the gevent server (wsgi.py), in place of simple-websocket.

    simple-websocket reads every connection in a thread of its own (a greenlet under gevent)
    that hands each message over through an event, on a duplicate of the socket, through
    wsproto's objects; and it assembles a message sent in fragments without any limit, so one
    client could make the server hold as much memory as it cared to send. Here the greenlet
    that answered the upgrade reads the frames itself, as eventlet's WebSocket does, straight
    from the connection: no second greenlet, socket or event a connection, and a message
    (all its fragments together) over ``max_http_buffer_size`` closes the connection with
    1009 before it is read. Engine.IO's interface: ``wait()`` gives the next message (str or
    bytes) or None once closed; ``send()``; ``close()``; ``_sock`` for its timeout.

    The server (wsgi.py's gevent handler) puts the connection's socket in the environ as
    ``loket.socket``; ``wsgi.input`` is the connection's buffered reader.
    """

    __slots__ = ("_closed", "_limit", "_lock", "_rfile", "_sock", "app")

    def __init__(self, handler: Callable[[WebSocketServer], Any], server: Any) -> None:
        self.app = handler
        self._limit = int(server.max_http_buffer_size)
        self._closed = False
        self._lock = threading.Lock()  # one frame at a time (the writer's, pongs, the close)
        self._rfile: Any = None
        self._sock: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        accept = accept_key(environ.get("HTTP_SEC_WEBSOCKET_KEY", ""))
        if environ.get("HTTP_SEC_WEBSOCKET_VERSION") != "13":
            start_response("426 Upgrade Required", [("Sec-WebSocket-Version", "13")])
            return [b"WebSocket version 13 is required.\n"]
        if accept is None or environ.get("REQUEST_METHOD") != "GET":
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Not a valid WebSocket handshake.\n"]
        self._sock, self._rfile = environ["loket.socket"], environ["wsgi.input"]
        write = start_response(
            "101 Switching Protocols",
            [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept)],
        )
        write(b"")  # the head goes out now; frames follow on the socket
        try:
            self.app(self)
        finally:
            self._closed = True
        return []

    def wait(self) -> str | bytes | None:
        """The next whole message, or None once the connection is closed (by either side, a
        timeout, or a breach)."""
        if self._closed:
            return None
        try:
            return self._message()
        except Failed as failed:
            self._close(failed.code, failed.reason)
        except EOFError:  # the peer is gone
            self._closed = True
        except OSError:  # silent past the timeout, or reset: told, if it can still hear
            self._close(NORMAL, "")
        return None

    def send(self, message: str | bytes) -> None:
        if self._closed:
            raise OSError("the WebSocket is closed")
        if isinstance(message, str):
            self._send(TEXT, message.encode("utf-8"))
        else:
            self._send(BINARY, message)

    def close(self) -> None:
        self._close(NORMAL, "")

    def _close(self, code: int, reason: str) -> None:
        """Send a close frame once and stop sending; the peer's close (or EOF) ends wait()."""
        if self._closed:
            return
        self._closed = True
        try:
            self._send(CLOSE, code.to_bytes(2, "big") + reason.encode("utf-8")[:120])
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _send(self, opcode: int, payload: bytes) -> None:
        with self._lock:
            self._sock.sendall(frame(opcode, payload))

    def _read(self, size: int) -> bytes:
        data = self._rfile.read(size)
        if len(data) < size:
            raise EOFError
        return data

    def _message(self) -> str | bytes | None:
        parts: list[bytes] = []
        kind = None  # TEXT or BINARY once a data frame began the message
        size = 0
        while True:
            first, second = self._read(2)
            final, opcode, length = first & 0x80, first & 0x0F, second & 0x7F
            if first & 0x70:
                raise Failed(PROTOCOL_ERROR, "no extension was agreed")
            if not second & 0x80:
                raise Failed(PROTOCOL_ERROR, "a client's frames must be masked")
            if length == 126:
                length = int.from_bytes(self._read(2), "big")
            elif length == 127:
                length = int.from_bytes(self._read(8), "big")
            if opcode >= CLOSE:
                if opcode not in (CLOSE, PING, PONG) or not final or length > 125:
                    raise Failed(PROTOCOL_ERROR, "bad control frame")
            elif opcode == CONTINUATION:
                if kind is None:
                    raise Failed(PROTOCOL_ERROR, "a continuation with nothing to continue")
            elif opcode in (TEXT, BINARY):
                if kind is not None:
                    raise Failed(PROTOCOL_ERROR, "a new message inside a fragmented one")
                kind = opcode
            else:
                raise Failed(PROTOCOL_ERROR, "unknown opcode")
            if opcode < CLOSE:
                size += length
                if size > self._limit:
                    raise Failed(TOO_BIG, "message too big")
            mask = self._read(4)
            payload = unmask(self._read(length), mask) if length else b""
            if opcode == CLOSE:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else NORMAL
                self._close(
                    code if 1000 <= code < 5000 and code not in (1005, 1006) else NORMAL, ""
                )
                return None
            if opcode == PING:
                self._send(PONG, payload)
                continue
            if opcode == PONG:
                continue
            parts.append(payload)
            if final:
                data = b"".join(parts)
                if kind == BINARY:
                    return data
                try:
                    return data.decode("utf-8")
                except UnicodeDecodeError:
                    raise Failed(NOT_UTF8, "text must be UTF-8") from None
