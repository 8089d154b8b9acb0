"""The sender's queue: card-ready messages in ``card_notices``, each call in its own short
transaction (like the print jobs' store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from ..db import reading
from ..extensions import db
from ..models import IS_QUEUED_NOTICE, QUEUED_NOTICE_STATUSES, CardNotice

LEASE = timedelta(seconds=120)  # a message "sending" for longer than this was abandoned
QUEUED = QUEUED_NOTICE_STATUSES
_NO_SYNC = {"synchronize_session": False}


@dataclass
class Message:
    id: int
    to: str | None
    text: str
    attempts: int
    next_attempt_at: datetime | None


class DatabaseNotices:
    """The messages still to send, oldest first."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def _session(self) -> Session:
        return Session(db.engine)

    def head(self) -> Message | None:
        with self.app.app_context(), reading(), self._session() as session:
            row = session.scalar(
                select(CardNotice).where(IS_QUEUED_NOTICE).order_by(CardNotice.id).limit(1)
            )
            if row is None:
                return None
            return Message(row.id, row.phone, row.text or "", row.attempts, row.next_attempt_at)

    def release(self) -> int:
        """Messages left "sending" by a crash or a power cut go back to the queue (the sending
        process is this one, starting); how many there were. Their attempts stay counted."""
        with self.app.app_context(), self._session() as session:
            released = session.execute(
                update(CardNotice)
                .where(CardNotice.status == "sending")
                .values(status="pending", claimed_at=None),
                execution_options=_NO_SYNC,
            ).rowcount
            session.commit()
            return released

    def claim(self, message: Message, now: datetime) -> bool:
        with self.app.app_context(), self._session() as session:
            claimed = session.execute(
                update(CardNotice)
                .where(
                    CardNotice.id == message.id,
                    (CardNotice.status == "pending")
                    | ((CardNotice.status == "sending") & (CardNotice.claimed_at < now - LEASE)),
                )
                .values(status="sending", claimed_at=now, attempts=CardNotice.attempts + 1),
                execution_options=_NO_SYNC,
            ).rowcount
            session.commit()
            return claimed == 1

    def unclaim(self, claimed_at: datetime) -> int:
        """Put back a message that a claim made at ``claimed_at`` left "sending": the sender did
        not hear whether that claim was saved (the connection broke as it committed), so it
        never sent it. Without this it would wait for its lease. The claim was no attempt. Only
        this process sends, one message at a time, so the moment of its claim names it."""
        with self.app.app_context(), self._session() as session:
            put_back = session.execute(
                update(CardNotice)
                .where(CardNotice.status == "sending", CardNotice.claimed_at == claimed_at)
                .values(
                    status="pending",
                    claimed_at=None,
                    attempts=case((CardNotice.attempts > 0, CardNotice.attempts - 1), else_=0),
                ),
                execution_options=_NO_SYNC,
            ).rowcount
            session.commit()
            return put_back

    def done(self, message: Message, now: datetime) -> None:
        """Sent: the number is erased at once."""
        with self.app.app_context(), self._session() as session:
            session.execute(
                update(CardNotice)
                .where(CardNotice.id == message.id, CardNotice.status == "sending")
                .values(
                    status="sent",
                    sent_at=now,
                    phone=None,
                    erased_at=now,
                    claimed_at=None,
                    next_attempt_at=None,
                    last_error=None,
                ),
                execution_options=_NO_SYNC,
            )
            session.commit()

    def failed(
        self, message: Message, error: str, retry_at: datetime | None, now: datetime
    ) -> None:
        """Try again at ``retry_at``, or (None) give up: failed with its reason, number erased.
        Only a message still being sent: one dropped meanwhile (handover) stays dropped."""
        values: dict = {"claimed_at": None, "last_error": error[:500]}
        if retry_at is not None:
            values.update(status="pending", next_attempt_at=retry_at)
        else:
            values.update(status="failed", next_attempt_at=None, phone=None, erased_at=now)
        with self.app.app_context(), self._session() as session:
            session.execute(
                update(CardNotice)
                .where(CardNotice.id == message.id, IS_QUEUED_NOTICE)
                .values(**values),
                execution_options=_NO_SYNC,
            )
            session.commit()
