"""Booking ahead: each service's booking plan, and the bookings residents make.

A booking holds ``places`` places in one slot of one service on one office-local day. It asks
for nothing personal: the resident keeps the unguessable ``token`` (the link and its QR code)
and the short ``code`` to type at the kiosk. ``client`` is a keyed hash of the address it was
made from, kept only to limit how many bookings one address makes in a day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, UTCDateTime
from .office import Office, Service

# "requested": a group's booking waiting for the office's approval ("booked" once approved,
# "refused" if not). A single place is "booked" at once.
# How early a booking checks in before its slot, and how late after the slot's end.
DEFAULT_EARLY_MIN = 30
DEFAULT_LATE_MIN = 15


def check_in_closes(end: datetime, late_min: int | None) -> datetime:
    """When a booking whose slot ends at ``end`` can no longer check in (it is ``missed``
    after that); ``late_min`` None: its service has no plan any more, the default applies."""
    return end + timedelta(minutes=DEFAULT_LATE_MIN if late_min is None else late_min)


BOOKING_STATUSES = ("requested", "booked", "checked_in", "cancelled", "missed", "refused")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class BookingPlan(Base):
    """When one service takes bookings, in what slots, and how much of the day it may give."""

    __tablename__ = "booking_plans"
    __table_args__ = (
        CheckConstraint("slot_min >= 5 AND slot_min <= 240", name="slot_length"),
        CheckConstraint("places >= 1 AND places <= 100", name="places_range"),
        CheckConstraint("walk_in_pct >= 0 AND walk_in_pct <= 100", name="walk_in_range"),
        CheckConstraint("early_min >= 0 AND late_min >= 0", name="windows_positive"),
        CheckConstraint("days_ahead >= 1 AND days_ahead <= 60", name="days_ahead_range"),
        CheckConstraint("starts < ends", name="starts_before_ends"),
    )

    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Weekdays that take bookings, as digits (0 = Monday): "01234" is Monday to Friday. A day
    # the office does not open (a holiday) takes none whatever this says.
    weekdays: Mapped[str] = mapped_column(String(7), default="01234")
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    slot_min: Mapped[int] = mapped_column(Integer, default=15)
    places: Mapped[int] = mapped_column(Integer, default=2)
    # The share of the service's daily quota kept for walk-ins: bookings never take it.
    walk_in_pct: Mapped[int] = mapped_column(Integer, default=50)
    early_min: Mapped[int] = mapped_column(Integer, default=DEFAULT_EARLY_MIN)
    late_min: Mapped[int] = mapped_column(Integer, default=DEFAULT_LATE_MIN)
    days_ahead: Mapped[int] = mapped_column(Integer, default=14)

    service: Mapped[Service] = relationship()


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("office_id", "code"),
        CheckConstraint(_in("status", BOOKING_STATUSES), name="status_known"),
        CheckConstraint("places >= 1", name="places_positive"),
        Index("ix_bookings_slot", "service_id", "day", "start"),
        Index("ix_bookings_client_day", "office_id", "client", "created_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)  # office-local day of the slot
    start: Mapped[datetime] = mapped_column(UTCDateTime())
    end: Mapped[datetime] = mapped_column(UTCDateTime())
    places: Mapped[int] = mapped_column(Integer, default=1)
    # A group (a school visit): its places count against the day's share for bookings, not
    # against one slot's places, and the office approves it first.
    is_group: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    code: Mapped[str] = mapped_column(String(8))
    token: Mapped[str] = mapped_column(String(43), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="booked")
    client: Mapped[str | None] = mapped_column(String(32))
    created_day: Mapped[date] = mapped_column(Date)  # office-local day it was made
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))

    office: Mapped[Office] = relationship()
    service: Mapped[Service] = relationship()

    def __repr__(self) -> str:
        return f"<Booking {self.code} {self.start} {self.status}>"


# Grows whenever this process commits a change to a booking or a plan: caches of what is free
# key on it (``app.api.booking``), so a booking shows at once in this process.
_generation = [0]


def bookings_generation() -> int:
    return _generation[0]


@event.listens_for(Session, "before_flush")
def _note_booking_changes(session: Session, _context: object, _instances: object) -> None:
    if any(isinstance(o, (Booking, BookingPlan)) for o in (*session.new, *session.dirty)):
        session.info["loket_bookings_changed"] = True


@event.listens_for(Session, "after_commit")
def _bookings_committed(session: Session) -> None:
    if session.info.pop("loket_bookings_changed", False):
        _generation[0] += 1


@event.listens_for(Session, "after_rollback")
def _bookings_rolled_back(session: Session) -> None:
    session.info.pop("loket_bookings_changed", None)


__all__ = [
    "BOOKING_STATUSES",
    "DEFAULT_EARLY_MIN",
    "DEFAULT_LATE_MIN",
    "Booking",
    "BookingPlan",
    "bookings_generation",
    "check_in_closes",
]
