"""The loop under the print spooler and the SMS sender: one item at a time from a queue kept
elsewhere (the app's database), woken when something is queued and polling otherwise.

It outlives an outage of what feeds it (one traceback per outage, then one line per try), lets an
event loop serve requests between items (under eventlet, SQLite calls do not yield by
themselves), and ends when ``stop`` is called. It knows nothing of the app.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class WorkLoop:
    """Subclasses implement ``step``, name themselves in ``what`` (for the logs) and keep their
    queue in ``store``, which records an item's outcome with ``done(item, at)`` and
    ``failed(item, error, retry_at, at)``."""

    what = "work loop"
    store: Any

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] | None = None,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self._wake = threading.Event()
        self._wait = wait or self._wake.wait
        self._sleep = sleep
        self.stopped = False
        # When a claim was made whose commit went unheard (the connection broke as it was
        # saved): an item may be held in the queue by a claim that nobody acts on, until its
        # lease runs out, with everything behind it. ``settle_claim`` puts it back first.
        self.claim_in_doubt: datetime | None = None
        # The outcome of an item this loop claimed that the database did not hear (it was away):
        # (item, at, error, retry_at), error None for done. Recorded before anything else
        # (``record_unrecorded``): a done item is never handled twice, and a failed one is not
        # held by this loop's claim for its lease.
        self.unrecorded: tuple[Any, datetime, str | None, datetime | None] | None = None

    def step(self) -> float | None:
        """Handle the head of the queue once. Returns seconds until it is worth looking again
        (0: at once; None: nothing queued, wait to be woken or for the next poll)."""
        raise NotImplementedError

    def record(
        self, item: Any, at: datetime, error: str | None = None, retry_at: datetime | None = None
    ) -> None:
        """Record the outcome of ``item``, claimed by this loop: done (``error`` None) or failed
        with ``error``, to try again at ``retry_at`` (None: for good). Should the database not
        hear it, it is recorded first at the next step."""
        self.unrecorded = (item, at, error, retry_at)
        if error is None:
            self.store.done(item, at)
        else:
            self.store.failed(item, error, retry_at, at)
        self.unrecorded = None

    def record_unrecorded(self) -> None:
        """Record the outcome the database did not hear at the last try (raises while it is
        still away)."""
        if self.unrecorded is None:
            return
        item, at, error, retry_at = self.unrecorded
        self.record(item, at, error, retry_at)
        log.info(
            "%s: the outcome of %s recorded after the database came back",
            self.what,
            getattr(item, "id", item),
        )

    def claiming(self, now: datetime, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)``, which claims an item as of ``now``. Should it raise, the claim may
        still have been saved: ``claim_in_doubt`` remembers when it was made."""
        try:
            return call(*args)
        except Exception:
            self.claim_in_doubt = now
            raise

    def unclaim(self, claimed_at: datetime) -> int:
        """Put back in the queue what a claim made at ``claimed_at`` left held; how many (raises
        while the database is still away). Here nothing: such a claim waits out its lease."""
        return 0

    def settle_claim(self) -> None:
        """Put back the item of a claim in doubt (``unclaim``). Such an item was never handled:
        the claim came before it, and the error stopped the step."""
        if self.claim_in_doubt is None:
            return
        put_back = self.unclaim(self.claim_in_doubt)
        if put_back:
            log.warning(
                "%s: %d claim(s) whose commit went unheard put back in the queue",
                self.what,
                put_back,
            )
        self.claim_in_doubt = None

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self.stopped = True
        self._wake.set()

    def run_forever(self, poll: float = 2.0) -> None:
        """The background loop (until ``stop``)."""
        failing = False
        while not self.stopped:
            try:
                delay = self.step()
                failing = False
            except Exception as err:  # the loop must outlive a database outage
                if failing:  # one traceback per outage, then a line per try
                    first_line = (str(err).splitlines() or [repr(err)])[0]
                    log.warning("%s still failing: %s", self.what, first_line)
                else:
                    log.exception("%s step failed; trying again every %s s", self.what, poll)
                failing = True
                delay = poll
            if self.stopped:
                break
            self._wake.clear()
            if delay == 0:
                # The next item at once, but let the event loop serve requests in between.
                (self._sleep or time.sleep)(0)
                continue
            self._wait(poll if delay is None else min(poll, delay))
