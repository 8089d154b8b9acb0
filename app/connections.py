"""Limits on the server's connections that do not depend on the async mode (wsgi.py uses them).

A phone, a scanner or a curious student on the office LAN must not be able to stop the server:
each client address may hold only so many connections at once, the process may use every file
descriptor it is allowed, and running out of descriptors pauses accepting instead of ending it.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import resource
import threading
from collections.abc import Iterable

log = logging.getLogger(__name__)

# accept() errors that mean "out of resources for now": pause, then accept again.
RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# accept() errors about the one connection being accepted: skip it.
CONNECTION_ERRNOS = frozenset(
    {errno.ECONNABORTED, errno.ECONNRESET, errno.EPIPE, errno.ENOTCONN, errno.EPROTO, errno.EAGAIN}
)
ACCEPT_PAUSE = 0.5  # seconds to wait before accepting again when descriptors ran out


def raise_open_files_limit() -> tuple[int, int]:
    """Raise the soft limit of open files to the hard limit; returns (soft, hard) afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    hard_target = 1 << 20 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < hard_target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard_target, hard))
        except (ValueError, OSError) as err:
            log.warning("could not raise the open-files limit from %s: %s", soft, err)
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def _normalise(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


class ConnectionGuard:
    """Counts open connections per client address and refuses those over the cap.

    ``admit`` before serving a connection, ``release`` exactly once when it closes.
    """

    def __init__(self, per_address: int, exempt: Iterable[str] = ()) -> None:
        self.per_address = per_address
        self.exempt = {_normalise(a) for a in exempt}
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()
        self.refused = 0
        self._warned: set[str] = set()

    def admit(self, address: str) -> bool:
        """Whether a new connection from ``address`` may be served (and count it if so)."""
        key = _normalise(address)
        with self._lock:
            count = self._open.get(key, 0)
            if self.per_address > 0 and count >= self.per_address and key not in self.exempt:
                self.refused += 1
                if key not in self._warned:
                    self._warned.add(key)
                    log.warning(
                        "%s holds %d connections (the cap per address); refusing more",
                        key,
                        count,
                    )
                return False
            self._open[key] = count + 1
            return True

    def release(self, address: str) -> None:
        key = _normalise(address)
        with self._lock:
            count = self._open.get(key, 0) - 1
            if count > 0:
                self._open[key] = count
            else:
                self._open.pop(key, None)
                self._warned.discard(key)

    def open_from(self, address: str) -> int:
        return self._open.get(_normalise(address), 0)

    @property
    def total(self) -> int:
        return sum(self._open.values())


class AcceptPauses:
    """Logs running out of descriptors once per episode instead of once per accept()."""

    def __init__(self) -> None:
        self.paused = False
        self.episodes = 0

    def out_of_resources(self, err: OSError) -> None:
        if not self.paused:
            self.paused = True
            self.episodes += 1
            log.warning(
                "out of file descriptors or memory (%s): not accepting connections for a moment",
                err,
            )

    def accepted(self) -> None:
        if self.paused:
            self.paused = False
            log.warning("accepting connections again")


def unmask(data: bytes, mask: bytes, length: int | None = None, offset: int = 0) -> bytes:
    """A WebSocket payload XOR its 4-byte client mask, starting ``offset`` bytes into the mask,
    over the first ``length`` bytes: what eventlet's ``RFC6455WebSocket._apply_mask`` returns,
    computed on whole integers instead of one Python object per byte (that took most of the
    server's time under a flood of small frames; bench/join_flood.py)."""
    if length is None:
        length = len(data)
    if length <= 0:
        return b""
    key = bytes(mask[(offset + i) % 4] for i in range(4))
    stream = (key * (length // 4 + 1))[:length]
    value = int.from_bytes(bytes(data[:length]), "big") ^ int.from_bytes(stream, "big")
    return value.to_bytes(length, "big")
