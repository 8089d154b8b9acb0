"""Card-ready messages: a resident asked for one SMS when their KTP-el is printed.

One row per ticket, so a card gets at most one message whatever happens to it. The row is the
message's spool entry as well (like a print job): "waiting" until the card is printed, then
"pending" (to send), "sending" (claimed by the sender), "sent" or "failed" with its reason after
bounded attempts, or "dropped" when the card was handed over or the day ended first. The phone
number is erased (NULL) as soon as the message is sent, fails for good, or is dropped, and in
any case at handover or at the end of the day; it is never shown, reported or logged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, sql_constant

NOTICE_STATUSES = ("waiting", "pending", "sending", "sent", "failed", "dropped")
NOTICE_SOURCES = ("status", "counter")
QUEUED_NOTICE_STATUSES = ("pending", "sending")  # the sender's queue


class CardNotice(Base):
    __tablename__ = "card_notices"
    __table_args__ = (
        CheckConstraint(
            "status IN ('waiting', 'pending', 'sending', 'sent', 'failed', 'dropped')",
            name="status_known",
        ),
        # The sender's queue: stays small because finished messages leave it.
        Index(
            "ix_card_notices_queue",
            "id",
            sqlite_where=text("status IN ('pending', 'sending')"),
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(8), default="waiting")
    # Erased (NULL) once it is no longer needed; see the module's docstring.
    phone: Mapped[str | None] = mapped_column(String(20))
    # "status": typed on the resident's status page; "counter": by the operator on request.
    source: Mapped[str] = mapped_column(String(8), default="status")
    # The message, written when the card is printed (in the office's words, no personal data).
    text: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# A message in the sender's queue, spelled the way ix_card_notices_queue is (use this, not a
# bound "IN"): otherwise SQLite scans every message ever sent to find the head of the queue.
IS_QUEUED_NOTICE = CardNotice.status.in_([sql_constant(s) for s in QUEUED_NOTICE_STATUSES])
