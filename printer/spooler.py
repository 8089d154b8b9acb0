"""The spooler: prints queued jobs in order, one at a time per printer, and keeps trying.

It knows nothing of the app: jobs come from a ``JobStore`` (the app keeps them in its database,
so they survive a restart) and blocking sends go through ``run_blocking`` (the app's choice, so
a USB write never stalls an event loop). Every job ends, printed or failed with its reason, and
the next one goes on:

- the printer cannot print now (``PrinterError``: unreachable, no paper, no answer): the job stays
  at the head of the queue and is tried again after 1, 2, 4 ... up to 30 seconds, until its
  deadline (``Job.expires_at``, else ``expire_after`` old); then it fails ("expired") and stays
  visible (staff can reprint). A job found past its deadline is not printed at all;
- the ticket cannot be laid out (any error while making its bytes): it fails at once, since it
  would fail the same way every time;
- anything else going wrong while sending (a driver bug, an unexpected error): tried again
  ``UNEXPECTED_ATTEMPTS`` times, then it fails with that error;
- whatever happens, a job claimed ``max_attempts`` times fails (a job that brings the process
  down while printing cannot come back for ever).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .layout import TicketData, ticket_bytes
from .transports import PrinterError, Transport
from .work_loop import WorkLoop

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
MAX_ATTEMPTS = 100  # a printer off for the whole expiry window is tried about 65 times
UNEXPECTED_ATTEMPTS = 3
NOT_IN_TIME = "not printed in time; expired"  # reprinting stays possible


@dataclass
class Job:
    id: int
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = None
    name: str = ""
    # Past this moment the paper is of no use (its owner has gone): the job fails instead of
    # printing. None: ``created_at`` + the spooler's ``expire_after``.
    expires_at: datetime | None = None


class JobStore(Protocol):
    """Where the jobs of one printer live."""

    def head(self, target: str) -> Job | None:
        """The oldest job still to print, or None."""

    def claim(self, job: Job, now: datetime) -> bool:
        """Mark ``job`` as being printed; False when someone else took it."""

    def done(self, job: Job, now: datetime) -> None:
        """The job printed."""

    def failed(self, job: Job, error: str, retry_at: datetime | None, now: datetime) -> None:
        """The attempt failed; try again at ``retry_at`` (None: give up)."""

    def state(self, target: str, online: bool, error: str | None, now: datetime) -> None:
        """Record how the printer is doing."""

    # Optional, for speed: ``take(target, now, max_attempts) -> Job | None`` claims the head in
    # one step when it can print now (not waiting for a retry, not past its deadline, tried
    # fewer than ``max_attempts`` times, not held by a live claim), else returns None and the
    # spooler goes the head/claim way, which handles every other case. The Job's ``attempts``
    # are those before the claim. ``done_and_take(job, now, target, max_attempts)`` does
    # ``done(job)`` and that ``take`` in one step: the spooler then prints the job it returns
    # next, without looking at the queue again. ``unclaim(target, claimed_at) -> int`` puts
    # back the jobs of ``target`` left "printing" by a claim made at ``claimed_at`` whose commit
    # the spooler did not hear (the connection broke): without it such a job, never sent, holds
    # the queue until its lease runs out.


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure: 1, 2, 4 ... at most 30."""
    return min(MAX_BACKOFF, 2.0 ** max(0, attempts - 1))


STATE_REFRESH = timedelta(seconds=30)
HELD_RETRY = 2.0  # seconds before looking again at a job someone else is printing


def utcnow() -> datetime:
    return datetime.now(UTC)


class Spooler(WorkLoop):
    """Prints the jobs of one ``target`` through one Transport."""

    what = "print spooler"

    def __init__(
        self,
        store: JobStore,
        transport: Transport,
        target: str = "server",
        *,
        run_blocking: Callable[..., Any] | None = None,
        sleep: Callable[[float], None] | None = None,
        wait: Callable[[float], bool] | None = None,
        expire_after: timedelta = timedelta(minutes=30),
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = MAX_ATTEMPTS,
        send_lock: Any = None,
    ) -> None:
        super().__init__(sleep=sleep, wait=wait)
        self.store = store
        self.transport = transport
        self.target = target
        self.run_blocking = run_blocking
        self.expire_after = expire_after
        self.clock = clock
        self.max_attempts = max_attempts
        # Held while sending: spoolers that share one printer (offices on one PRINTER_URL)
        # take turns, and their tickets never interleave on the paper.
        self.send_lock = send_lock
        self._healthy_since_report: datetime | None = None  # when "online" was last written
        self._take = getattr(store, "take", None)
        self._done_and_take = getattr(store, "done_and_take", None)
        # The next job, claimed by done_and_take with the job before: printed at the next step.
        self._next: Job | None = None
        self._unclaim = getattr(store, "unclaim", None)

    def step(self) -> float | None:
        """Try the head job once. Returns seconds until it is worth trying again (None: idle)."""
        # A job that came out of the printer, or failed, as the database went away: its outcome
        # first (a printed one is never sent again, a failed one not held by this claim).
        self.record_unrecorded()
        self.settle_claim()
        now = self.clock()
        job, self._next = self._next, None
        if job is None and self._take is not None:
            job = self.claiming(now, self._take, self.target, now, self.max_attempts)
        if job is not None:
            return self._print(job, job.expires_at or job.created_at + self.expire_after)
        job = self.store.head(self.target)
        if job is None:
            return None
        now = self.clock()
        if job.next_attempt_at is not None and job.next_attempt_at > now:
            return (job.next_attempt_at - now).total_seconds()
        deadline = job.expires_at or job.created_at + self.expire_after
        if now >= deadline:
            self.store.failed(job, NOT_IN_TIME, None, now)
            log.warning("print job %s was not printed in time; dropped", job.id)
            return 0.0
        if job.attempts >= self.max_attempts:
            self.store.failed(job, f"gave up after {job.attempts} attempts", None, now)
            log.warning("print job %s gave up after %d attempts", job.id, job.attempts)
            return 0.0
        if not self.claiming(now, self.store.claim, job, now):
            # Another process holds it (or this server did before a power cut, until its lease
            # runs out): look again later. Trying again at once would spin and starve the loop.
            return HELD_RETRY
        return self._print(job, deadline)

    def unclaim(self, claimed_at: datetime) -> int:
        return 0 if self._unclaim is None else self._unclaim(self.target, claimed_at)

    def _print(self, job: Job, deadline: datetime) -> float:
        """Lay out and send ``job``, claimed by this spooler; record how it went."""
        attempts = job.attempts + 1
        try:
            data = ticket_bytes(TicketData.from_dict(job.payload), self.transport.paper)
        except Exception as err:  # noqa: BLE001 - a bad job fails alone, as it always would
            return self._give_up(job, f"the ticket could not be laid out: {_describe(err)}")
        try:
            self._send(data, job.name or f"job-{job.id}")
        except PrinterError as err:
            now = self.clock()
            expired = now >= deadline
            retry_at = None if expired else now + timedelta(seconds=backoff(attempts))
            reason = f"{err}; expired" if expired else str(err)
            self.record(job, now, reason, retry_at)
            self.store.state(self.target, False, str(err), now)
            self._healthy_since_report = None
            log.warning("print job %s failed (%s)%s", job.id, err, "; giving up" if expired else "")
            return 0.0 if expired else backoff(attempts)
        except Exception as err:  # a driver bug must not leave the job "printing"
            log.exception("print job %s: unexpected error while sending", job.id)
            if attempts >= UNEXPECTED_ATTEMPTS:
                return self._give_up(job, f"unexpected error: {_describe(err)}")
            now = self.clock()
            retry_at = now + timedelta(seconds=backoff(attempts))
            self.record(job, now, f"unexpected error: {_describe(err)}", retry_at)
            return backoff(attempts)
        now = self.clock()
        # On paper now: if the database cannot hear it, remember it (step records it first) so the
        # job is not claimed again when its lease runs out and printed a second time.
        if self._done_and_take is not None:
            self.unrecorded = (job, now, None, None)
            self._next = self.claiming(
                now, self._done_and_take, job, now, self.target, self.max_attempts
            )
            self.unrecorded = None
        else:
            self.record(job, now)
        # "Online" is written when it changes and then at most every STATE_REFRESH while jobs
        # keep printing: a busy printer does not cost a write per ticket.
        last = self._healthy_since_report
        if last is None or now - last >= STATE_REFRESH or now < last:
            self.store.state(self.target, True, None, now)
            self._healthy_since_report = now
        return 0.0

    def _send(self, data: bytes, name: str) -> None:
        if self.send_lock is not None:
            with self.send_lock:
                self._send_now(data, name)
        else:
            self._send_now(data, name)

    def _send_now(self, data: bytes, name: str) -> None:
        if self.transport.blocking and self.run_blocking is not None:
            self.run_blocking(self.transport.send, data, name)
        else:
            self.transport.send(data, name)

    def _give_up(self, job: Job, reason: str) -> float:
        """``job``, claimed by this spooler, fails for good with ``reason``; the next job goes
        on at once."""
        self.record(job, self.clock(), reason)
        log.warning("print job %s failed for good: %s", job.id, reason)
        return 0.0


def _describe(err: BaseException) -> str:
    """One line naming the error, for the job's reason (shown to admins)."""
    first = (str(err).splitlines() or [""])[0].strip()
    return f"{type(err).__name__}: {first}"[:300] if first else type(err).__name__
