"""Limits on what anonymous Socket.IO clients may ask: connections per address and joins per
connection and per address, each over a one-minute window. A TV or a phone connects and joins
once (again after each reconnect); a script that loops on ``join`` is told so and disconnected.

Counts are kept per process (Socket.IO connections are sticky to their process) in a table of
bounded size, so a flood from many addresses cannot grow memory either.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

WINDOW = 60.0
MAX_KEYS = 10_000  # addresses remembered at once; the oldest are forgotten first


class WindowCounter:
    """Events per key in fixed one-minute windows, for at most ``max_keys`` keys."""

    def __init__(self, limit: int, max_keys: int = MAX_KEYS, clock=time.monotonic) -> None:
        self.limit, self.max_keys, self.clock = limit, max_keys, clock
        self._counts: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count one event for ``key``; False when that is over the limit."""
        if self.limit <= 0:
            return True
        now = self.clock()
        with self._lock:
            start, count = self._counts.pop(key, (now, 0))
            if now - start >= WINDOW:
                start, count = now, 0
            count += 1
            self._counts[key] = (start, count)
            while len(self._counts) > self.max_keys:
                self._counts.popitem(last=False)
            return count <= self.limit

    def forget(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)


class JoinGuard:
    """The per-process limits of the join handlers."""

    def __init__(
        self,
        per_connection: int,
        per_address: int,
        connects_per_address: int,
        database_workers: int = 4,
    ) -> None:
        # Socket.IO handlers that use the database at once (each connection's events may run
        # in their own green thread); the others wait for a turn instead of for the pool.
        self.working = threading.BoundedSemaphore(max(1, database_workers))
        self.per_connection = WindowCounter(per_connection)
        self.per_address = WindowCounter(per_address)
        self.connects = WindowCounter(connects_per_address)
        self.addresses: dict[str, str] = {}  # sid -> client address
        self._closing: set[str] = set()  # connections refused and being closed
        self._lock = threading.Lock()

    def connect(self, sid: str, address: str, identified: bool) -> bool:
        """A new connection; False when its address opened too many this minute."""
        if not identified and not self.connects.hit(address):
            return False  # refused: no disconnect follows, so nothing is kept for it
        self.addresses[sid] = address
        return True

    ALLOWED, REFUSED, CLOSING = "allowed", "refused", "closing"

    def join(self, sid: str, identified: bool) -> str:
        """One join on ``sid``: ALLOWED; REFUSED the first time it is over the connection's or
        (anonymous) the address's share (the caller tells the client and closes it); CLOSING for
        every join after that, so a burst of joins that arrived together is dropped quietly."""
        with self._lock:
            if sid in self._closing:
                return self.CLOSING
            allowed = self.per_connection.hit(sid) and (
                identified or self.per_address.hit(self.addresses.get(sid, "?"))
            )
            if allowed:
                return self.ALLOWED
            self._closing.add(sid)
            return self.REFUSED

    def closing(self, sid: str) -> bool:
        """Whether ``sid`` was refused and is being closed (a read without the lock: a join
        that slips past it meets the lock in ``join``)."""
        return sid in self._closing

    def disconnect(self, sid: str) -> None:
        self.addresses.pop(sid, None)
        self.per_connection.forget(sid)
        with self._lock:
            self._closing.discard(sid)
