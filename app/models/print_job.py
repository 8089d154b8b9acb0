"""Print jobs (one per paper ticket) and the last known state of each printer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, sql_constant

JOB_STATUSES = ("pending", "printing", "printed", "failed")
OPEN_JOB_STATUSES = ("pending", "printing")  # still to print: the queue
SERVER_PRINTER = "server"


def agent_target(user_id: int) -> str:
    """The print target of a kiosk whose own printer is driven by a remote print agent."""
    return f"agent:{user_id}"


class PrintJob(Base):
    __tablename__ = "print_jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'printing', 'printed', 'failed')", name="status_known"
        ),
        # The queue of one printer, in order; stays small because printed jobs leave it.
        Index(
            "ix_print_jobs_queue",
            "target",
            "id",
            sqlite_where=text("status IN ('pending', 'printing')"),
            postgresql_where=text("status IN ('pending', 'printing')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    # "server" (the printer at PRINTER_URL) or "agent:<user id>" (a kiosk's remote agent).
    target: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(12), default="ticket")  # ticket | reprint
    status: Mapped[str] = mapped_column(String(12), default="pending")
    payload: Mapped[str] = mapped_column(Text)  # printer.layout.TicketData as JSON
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Restarts that found it "printing" (cut off half-way); attempts count every try.
    cut_offs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PrinterState(Base):
    """How a printer was doing at its last attempt (shown to administrators)."""

    __tablename__ = "printer_states"

    target: Mapped[str] = mapped_column(String(32), primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    online: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# A job still to print, spelled the way ix_print_jobs_queue is (use this, not a bound "IN"):
# otherwise SQLite scans every job ever printed to find the head of the queue.
IS_OPEN_JOB = PrintJob.status.in_([sql_constant(s) for s in OPEN_JOB_STATUSES])
