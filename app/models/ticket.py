"""Tickets, the append-only log of their moves, and the per-day numbering rows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, UTCDateTime, sql_constant
from .office import Counter, Office, Service

CHANNELS = ("kiosk", "booking", "phone")
STATUSES = ("waiting", "called", "serving", "done", "no_show", "cancelled")
STAGES = ("ready_to_print", "printed", "handed_over", "blocked")
ACTIVE_AT_COUNTER = ("called", "serving")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # The safety net under the numbering: one number per office, service and day.
        UniqueConstraint("office_id", "issued_service_id", "day", "number"),
        UniqueConstraint("office_id", "idempotency_key"),
        CheckConstraint(_in("status", STATUSES), name="status_known"),
        CheckConstraint(f"stage IS NULL OR {_in('stage', STAGES)}", name="stage_known"),
        # call-next reads only waiting tickets: keep that index small whatever the history.
        # It holds every column those queries name (status too: SQLite reads a partial index
        # as covering only then), so counting the people ahead never visits a ticket's row.
        Index(
            "ix_tickets_waiting",
            "service_id",
            "day",
            "sort_at",
            "id",
            "status",
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
        # A counter holds at most one ticket at a time.
        Index(
            "ix_tickets_one_per_counter",
            "counter_id",
            unique=True,
            sqlite_where=text("status IN ('called', 'serving')"),
            postgresql_where=text("status IN ('called', 'serving')"),
        ),
        # Cards by stage (print station, pickup list). "stage IS NOT NULL" because SQLite uses a
        # partial index only when the query implies its condition, and "stage = 'printed'"
        # implies "IS NOT NULL" but not an IN list.
        Index(
            "ix_tickets_card_stage",
            "office_id",
            "stage",
            "printed_at",
            sqlite_where=text("stage IS NOT NULL"),
            postgresql_where=text("stage IS NOT NULL"),
        ),
        Index("ix_tickets_office_day", "office_id", "day", "status"),
        Index("ix_tickets_service_finished", "service_id", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    # The service the ticket is queued in now (changes on transfer) ...
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    # ... and the one whose numbering gave it its code (never changes).
    issued_service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    day: Mapped[date] = mapped_column(Date)  # office-local day of issue
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    stage: Mapped[str | None] = mapped_column(String(16))
    stage_note: Mapped[str | None] = mapped_column(Text)
    block_reason: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where it came from (one of CHANNELS): "kiosk" (a tap, or a desk), "booking" (checked in),
    # "phone". No CHECK constraint: SQLite could then only drop the column by rebuilding the
    # ticket table, which the downgrade must not do.
    channel: Mapped[str] = mapped_column(String(8), default="kiosk", server_default="kiosk")
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id", ondelete="SET NULL"))
    # The resident's claim check: unguessable, printed as a QR code.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    # queued_at: when it joined its current queue; sort_at: queued_at minus any priority boost.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sort_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    serving_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    no_show_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    transferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recall_count: Mapped[int] = mapped_column(Integer, default=0)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The key a kiosk sends with a tap, so a double tap or a retried request gives one ticket.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # The operator who called the ticket last (per-operator throughput).
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Durations in whole seconds, kept in step with the times above on every flush (see
    # ``measure``), so reports over a year add integers instead of parsing timestamps.
    wait_s: Mapped[int | None] = mapped_column(Integer)  # queued_at -> called_at
    service_s: Mapped[int | None] = mapped_column(Integer)  # serving_at (or called_at) -> finished
    print_s: Mapped[int | None] = mapped_column(Integer)  # ready_at -> printed_at
    pickup_s: Mapped[int | None] = mapped_column(Integer)  # printed_at -> handed_over_at

    office: Mapped[Office] = relationship()
    service: Mapped[Service] = relationship(foreign_keys=[service_id])
    issued_service: Mapped[Service] = relationship(foreign_keys=[issued_service_id])
    counter: Mapped[Counter | None] = relationship()

    def __repr__(self) -> str:
        return f"<Ticket {self.code} {self.day} {self.status}/{self.stage}>"

    def measure(self) -> None:
        """Set the duration columns from the times."""
        self.wait_s = _seconds(self.queued_at, self.called_at)
        self.service_s = _seconds(self.serving_at or self.called_at, self.finished_at)
        self.print_s = _seconds(self.ready_at, self.printed_at)
        self.pickup_s = _seconds(self.printed_at, self.handed_over_at)


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds()))


@event.listens_for(Session, "before_flush")
def _measure_tickets(session: Session, _context: object, _instances: object) -> None:
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Ticket):
            obj.measure()


class TicketEvent(Base):
    """One move of one ticket. Rows are only ever added; the only change is ``loket purge``
    erasing old notes."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_office_at", "office_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str | None] = mapped_column(String(12))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str | None] = mapped_column(String(16))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id", ondelete="SET NULL"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(45))


class DailySequence(Base):
    """The last number handed out per office, service and office-local day."""

    __tablename__ = "daily_sequences"

    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


# Conditions that match the partial indexes above; use these instead of comparing to a string.
IS_WAITING = Ticket.status == sql_constant("waiting")
IS_AT_COUNTER = Ticket.status.in_([sql_constant(s) for s in ACTIVE_AT_COUNTER])
IS_PRINTED = Ticket.stage == sql_constant("printed")
