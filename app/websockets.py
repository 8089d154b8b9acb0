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

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PlainWebSockets:
    """WSGI middleware: no WebSocket extension is offered to the app below."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.app(environ, start_response)
