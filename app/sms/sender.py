"""The sender: sends queued card-ready messages one at a time, and keeps trying.

The same guarantees as paper (``printer.spooler``): messages are rows written with the card's
move and sent after the commit, so a modem that is off never delays a move; every message ends,
sent or failed with its reason:

- the way out cannot send now (``SmsError``: no modem, no network, the gateway refused): tried
  again after 1, 2, 4 ... up to 300 seconds;
- anything else going wrong while sending: tried again ``UNEXPECTED_ATTEMPTS`` times;
- whatever happens, a message claimed ``max_attempts`` times fails (also one that brought the
  process down while it was being sent, counted across restarts).

Logs name the message by its id, never by its number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from printer.work_loop import WorkLoop

from .store import DatabaseNotices, Message
from .transports import SmsError, Transport, scrub

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0
MAX_ATTEMPTS = 12  # about 20 minutes of a modem or gateway that does not answer
UNEXPECTED_ATTEMPTS = 3
HELD_RETRY = 5.0  # seconds before looking again at a message another process is sending


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure: 1, 2, 4 ... at most 300."""
    return min(MAX_BACKOFF, 2.0 ** max(0, attempts - 1))


def utcnow() -> datetime:
    return datetime.now(UTC)


class Sender(WorkLoop):
    """Sends the queued messages through one Transport."""

    what = "SMS sender"

    def __init__(
        self,
        store: DatabaseNotices,
        transport: Transport,
        *,
        run_blocking: Callable[..., Any] | None = None,
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(sleep=sleep)
        self.store = store
        self.transport = transport
        self.run_blocking = run_blocking
        self.clock = clock
        self.max_attempts = max_attempts

    def step(self) -> float | None:
        """Try the oldest queued message once. Returns seconds until it is worth looking again
        (None: nothing queued)."""
        # A message that went out, or failed, as the database went away: its outcome first (a
        # sent one is never sent again, a failed one not held by this claim).
        self.record_unrecorded()
        self.settle_claim()
        message = self.store.head()
        if message is None:
            return None
        now = self.clock()
        if message.next_attempt_at is not None and message.next_attempt_at > now:
            return (message.next_attempt_at - now).total_seconds()
        if message.attempts >= self.max_attempts:
            return self._give_up(message, f"gave up after {message.attempts} attempts")
        if not message.to or not message.text:
            return self._give_up(message, "no number or no text to send")
        if not self.claiming(now, self.store.claim, message, now):
            return HELD_RETRY
        attempts = message.attempts + 1
        try:
            self._send(message)
        except SmsError as err:
            reason = scrub(str(err), message.to)
            if attempts >= self.max_attempts:
                return self._give_up(message, f"{reason}; gave up after {attempts} attempts")
            now = self.clock()
            self.record(message, now, reason, now + timedelta(seconds=backoff(attempts)))
            log.warning("card-ready message %s not sent (%s); trying again", message.id, reason)
            return backoff(attempts)
        except Exception as err:  # noqa: BLE001 - a bug must not leave the message "sending"
            log.error(
                "card-ready message %s: unexpected %s while sending",
                message.id,
                type(err).__name__,
            )
            reason = f"unexpected error: {type(err).__name__}"
            if attempts >= min(UNEXPECTED_ATTEMPTS, self.max_attempts):
                return self._give_up(message, reason)
            now = self.clock()
            self.record(message, now, reason, now + timedelta(seconds=backoff(attempts)))
            return backoff(attempts)
        self.record(message, self.clock())
        log.info("card-ready message %s sent", message.id)
        return 0.0

    def unclaim(self, claimed_at: datetime) -> int:
        return self.store.unclaim(claimed_at)

    def _send(self, message: Message) -> None:
        assert message.to is not None
        if self.transport.blocking and self.run_blocking is not None:
            self.run_blocking(self.transport.send, message.id, message.to, message.text)
        else:
            self.transport.send(message.id, message.to, message.text)

    def _give_up(self, message: Message, reason: str) -> float:
        self.record(message, self.clock(), reason)
        log.warning("card-ready message %s failed for good: %s", message.id, reason)
        return 0.0
