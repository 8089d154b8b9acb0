"""One Board per office and change: built once per office ``seq`` and reused by every join, every
HTTP request and every broadcast until the office changes again (or its day does).

A flood of anonymous joins or board requests then costs one small query each (the office's
``seq``) instead of a full board, so it cannot starve the requests that matter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from .domain.clock import iso, local_day
from .models import Office

EXTENSION_KEY = "loket_board_cache"

Builder = Callable[[Session, Office, datetime], dict[str, Any]]


@dataclass(frozen=True)
class _Entry:
    seq: int
    day: date
    payload: dict[str, Any]


class BoardCache:
    """The latest board of each office, keyed by the office's change sequence and local day."""

    def __init__(self, build: Builder) -> None:
        self.build = build
        self._entries: dict[int, _Entry] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()
        self.built = 0  # how many boards were built (for tests and benchmarks)

    def _lock(self, office_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(office_id, threading.Lock())

    def get(self, session: Session, office: Office, now: datetime) -> dict[str, Any]:
        """The Board of ``office`` as of ``now``. The payload is shared: do not change it."""
        day = local_day(now, office.timezone)
        seq = session.scalar(select(Office.seq).where(Office.id == office.id)) or 0
        entry = self._fresh(office.id, seq, day)
        if entry is None:
            # One builder per office at a time: joins arriving meanwhile wait for its board.
            with self._lock(office.id):
                entry = self._fresh(office.id, seq, day)
                if entry is None:
                    payload = self.build(session, office, now)
                    self.built += 1
                    entry = _Entry(payload["seq"], day, payload)
                    current = self._entries.get(office.id)
                    if current is None or (current.day, current.seq) <= (day, entry.seq):
                        self._entries[office.id] = entry
        return {**entry.payload, "generated_at": iso(now, office.timezone)}

    def _fresh(self, office_id: int, seq: int, day: date) -> _Entry | None:
        entry = self._entries.get(office_id)
        if entry is not None and entry.day == day and entry.seq >= seq:
            return entry
        return None


def cached_board(session: Session, office: Office, now: datetime) -> dict[str, Any]:
    """The board of ``office`` from this app's cache."""
    return current_app.extensions[EXTENSION_KEY].get(session, office, now)


def init_app(app: Any, build: Builder) -> BoardCache:
    cache = BoardCache(build)
    app.extensions[EXTENSION_KEY] = cache
    return cache
