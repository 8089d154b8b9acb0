"""Lean Socket.IO clients: Engine.IO v4 over a raw WebSocket (wsproto) on one asyncio loop, so
thousands of screens cost the load generator little. Used by the benchmarks and by the tests
that need many connected screens (a stop with 500 clients, the soak day).

Each opens its WebSocket as a phone's browser does: the same headers (an Android Chrome's user
agent, Origin, Accept-Language, ...), which the server keeps for the connection's life, and an
offer of compression (permessage-deflate), which a server that accepts it pays for with a zlib
context per client (Loket declines it: ``app.websockets``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import Ping, Request, TextMessage
from wsproto.extensions import PerMessageDeflate

# What Chromium on a phone sends besides Host, Upgrade, Connection and the WebSocket key/version.
BROWSER_HEADERS = [
    ("Pragma", "no-cache"),
    ("Cache-Control", "no-cache"),
    (
        "User-Agent",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36",
    ),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept-Language", "id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7"),
]

# on_event(screen, event name, payload) for every Socket.IO event the screen receives.
EventHandler = Callable[["LeanScreen", str, Any], None]


class LeanScreen:
    """One Socket.IO client that joins ``join`` (e.g. {"office": "kupang"}) once connected."""

    def __init__(
        self,
        port: int,
        join: dict[str, Any],
        on_event: EventHandler | None = None,
        host: str = "127.0.0.1",
        bind: str | None = None,
        repeat: int = 1,
    ) -> None:
        self.port, self.join, self.on_event = port, join, on_event
        self.host, self.bind = host, bind
        self.repeat = repeat  # joins sent at once (more than one: a misbehaving client)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.buffer: list[str] = []
        self.joined_at: float | None = None
        self.closed = False

    async def run(self) -> None:
        """Connect, join and listen until cancelled or until the server closes the connection.
        Raises OSError when the server refuses or resets the connection."""
        local = (self.bind, 0) if self.bind else None
        reader, writer = await asyncio.open_connection(self.host, self.port, local_addr=local)
        target = "/socket.io/?EIO=4&transport=websocket"
        # As a browser: its headers, and compression offered (Chromium and Firefox always do).
        host = f"{self.host}:{self.port}"
        request = Request(
            host=host,
            target=target,
            extensions=[PerMessageDeflate()],
            extra_headers=[("Origin", f"http://{host}"), *BROWSER_HEADERS],
        )
        writer.write(self.ws.send(request))
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                self.ws.receive_data(data)
                for event in self.ws.events():
                    out = self._handle(event)
                    if out:
                        writer.write(out)
        finally:
            self.closed = True
            writer.close()

    def _send(self, text: str) -> bytes:
        return self.ws.send(TextMessage(data=text))

    def _handle(self, event: Any) -> bytes | None:
        if isinstance(event, Ping):
            return self.ws.send(event.response())
        if not isinstance(event, TextMessage):
            return None
        self.buffer.append(event.data)
        if not event.message_finished:
            return None
        text = "".join(self.buffer)
        self.buffer = []
        if text.startswith("42"):
            name, *args = json.loads(text[2:])
            if self.joined_at is None and name in ("board", "ticket", "error"):
                self.joined_at = time.perf_counter()
            if self.on_event is not None:
                self.on_event(self, name, args[0] if args else None)
            return None
        if text == "2":  # Engine.IO ping
            return self._send("3")
        if text.startswith("0"):  # Engine.IO open: connect to the default namespace
            return self._send("40")
        if text.startswith("44"):  # connection refused by the server
            if self.on_event is not None:
                self.on_event(self, "connect_error", json.loads(text[2:] or "null"))
            return None
        if text.startswith("40"):  # namespace connected
            return self._send("42" + json.dumps(["join", self.join])) * self.repeat
        return None
