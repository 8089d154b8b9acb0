"""One task sends the Engine.IO pings of every connection.

Engine.IO starts a task for each connection that sleeps ``ping_interval`` and sends it one ping,
and starts it again after every pong. A sleeping green thread costs about 8 KB, so every TV and
phone cost 8 KB more than it needs (5,000 phones: 40 MB). Here a pong puts its connection on one
queue instead; the interval is the same for all, so connections are queued in the order their
pings fall due, and one task sends each when due. The task ends when the queue is empty and is
started again by the next pong or connection.

The ping is the same packet, sent as late as before (or a little later when the server is busy),
and ``last_ping`` is set when it is sent. The same task then looks again ``ping_timeout`` later:
a connection whose answer has not come is closed by Engine.IO's own check. (Engine.IO itself
checks only when something else is sent to the connection, so under gevent and threading a
silent client stayed until IO_TIMEOUT.)
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any

from engineio import packet
from engineio import socket as eio_socket

log = logging.getLogger(__name__)

ATTRIBUTE = "loket_pings"  # on the Engine.IO server: its SharedPings


class SharedPings:
    """The pings of one Engine.IO server's connections, sent by one task at a time."""

    def __init__(self, server: Any) -> None:
        self.server = server
        # (when, connection): pings to send, and answers to have come by then (with the
        # ``last_ping`` they answer). Each is in the order due: the interval is the same for all.
        self.pings: collections.deque[tuple[float, Any]] = collections.deque()
        self.answers: collections.deque[tuple[float, Any, float]] = collections.deque()
        self.lock = threading.Lock()
        self.running = False

    def schedule(self, sock: Any) -> None:
        """``sock`` answered its ping (or just connected): its next ping in ``ping_interval``."""
        if not sock.last_ping:  # a ping is already on its way (as Engine.IO's own check)
            return
        sock.last_ping = None
        with self.lock:
            self.pings.append((time.monotonic() + self.server.ping_interval, sock))
            if self.running:
                return
            self.running = True
        self.server.start_background_task(self._run)

    def _next(self) -> tuple[float, Any, float | None] | None:
        """The next thing due: (seconds to wait, connection, last_ping awaited or None for a
        ping to send). None when nothing is queued (the task then ends)."""
        with self.lock:
            if not self.pings and not self.answers:
                self.running = False
                return None
            now = time.monotonic()
            if self.answers and (not self.pings or self.answers[0][0] <= self.pings[0][0]):
                when, sock, stamp = self.answers[0]
                if when <= now:
                    self.answers.popleft()
                return when - now, sock, stamp
            when, sock = self.pings[0]
            if when <= now:
                self.pings.popleft()
            return when - now, sock, None

    def _run(self) -> None:
        while (due := self._next()) is not None:
            wait, sock, stamp = due
            if wait > 0:
                self.server.sleep(wait)
                continue
            if sock.closing or sock.closed:
                continue
            try:
                if stamp is None:
                    sock.last_ping = stamp = time.time()
                    with self.lock:
                        when = time.monotonic() + self.server.ping_timeout + 0.5
                        self.answers.append((when, sock, stamp))
                    sock.send(packet.Packet(packet.PING))
                elif sock.last_ping == stamp:
                    # No answer in ping_timeout: Engine.IO's own check closes it (in every mode,
                    # not only when something else is sent to it).
                    sock.check_ping_timeout()
            except Exception:  # one connection's trouble stops no other's ping
                log.exception("ping of Socket.IO connection %s failed", sock.sid)


_engineio_schedule_ping = eio_socket.Socket.schedule_ping


def _schedule_ping(sock: Any) -> None:
    pings = getattr(sock.server, ATTRIBUTE, None)
    if pings is None:  # an Engine.IO server this app did not set up
        _engineio_schedule_ping(sock)
    else:
        pings.schedule(sock)


def init_app(eio_server: Any) -> None:
    """Send the pings of ``eio_server``'s connections from one task."""
    setattr(eio_server, ATTRIBUTE, SharedPings(eio_server))
    eio_socket.Socket.schedule_ping = _schedule_ping  # type: ignore[method-assign]
