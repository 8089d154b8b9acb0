"""An office, its schedule, the services it offers and the counters that serve them."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime

COUNTER_CALL_ORDERS = ("oldest", "service_order")


class Office(Base):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Makassar")
    # The demo offices are open at any hour so a newcomer can try them at night.
    always_open: Mapped[bool] = mapped_column(Boolean, default=False)
    # No new tickets after this office-local time, even while the counters still serve.
    cutoff_time: Mapped[time | None] = mapped_column(Time)
    # A priority ticket queues as if it had arrived this many minutes earlier (see README).
    priority_boost_min: Mapped[int] = mapped_column(Integer, default=60)
    # Grows with every change of the office; screens use it to drop stale snapshots.
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # The last office-local day whose leftovers were cancelled (day rollover marker).
    last_closed_day: Mapped[date | None] = mapped_column(Date)
    # Blank ID cards left; each card marked printed takes one. None: not counted.
    card_stock: Mapped[int | None] = mapped_column(Integer)
    # Printed at the foot of every ticket of the office (e.g. "Bawa fotokopi KK").
    ticket_footer: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The running text on the waiting-room TV.
    announcement: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Shown on the public page and its poster: where the office is, and a link to a map that
    # the administrator chooses (the page loads no map tiles itself).
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    map_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The guest Wi-Fi that residents' phones join to open their status page (kiosk screen and
    # paper carry a "WIFI:" QR code when a name is set). No password: an open network.
    wifi_ssid: Mapped[str] = mapped_column(String(32), default="", server_default="")
    wifi_password: Mapped[str] = mapped_column(String(63), default="", server_default="")
    wifi_hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="office", cascade="all, delete-orphan", order_by="OpeningHours.weekday"
    )
    special_days: Mapped[list[SpecialDay]] = relationship(
        back_populates="office", cascade="all, delete-orphan", order_by="SpecialDay.day"
    )
    services: Mapped[list[Service]] = relationship(
        back_populates="office",
        cascade="all, delete-orphan",
        order_by="Service.position, Service.code",
    )
    counters: Mapped[list[Counter]] = relationship(
        back_populates="office", cascade="all, delete-orphan", order_by="Counter.number"
    )

    def __repr__(self) -> str:
        return f"<Office {self.slug}>"


class OpeningHours(Base):
    """Regular opening hours for one weekday (0 = Monday). A weekday without a row is closed."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        UniqueConstraint("office_id", "weekday"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)

    office: Mapped[Office] = relationship(back_populates="hours")


class SpecialDay(Base):
    """A date whose hours differ from the weekday's: an extra Saturday session or a holiday."""

    __tablename__ = "special_days"
    __table_args__ = (UniqueConstraint("office_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    is_open: Mapped[bool] = mapped_column(Boolean)
    opens: Mapped[time | None] = mapped_column(Time)
    closes: Mapped[time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(200), default="")

    office: Mapped[Office] = relationship(back_populates="special_days")


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("office_id", "code"),
        CheckConstraint("daily_quota IS NULL OR daily_quota > 0", name="quota_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(1))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    colour: Mapped[str] = mapped_column(String(7), default="#1565c0")
    produces_card: Mapped[bool] = mapped_column(Boolean, default=False)
    daily_quota: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Printed under the office's footer on this service's tickets.
    ticket_footer: Mapped[str] = mapped_column(Text, default="", server_default="")
    # What to bring, on the public page (e.g. "fotokopi Kartu Keluarga").
    bring: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Used for the wait estimate until real service times exist.
    default_service_s: Mapped[int] = mapped_column(Integer, default=420)
    # Moving average of recent service times, refreshed at each finish (app.domain.estimate).
    avg_service_s: Mapped[float | None] = mapped_column(Float)

    office: Mapped[Office] = relationship(back_populates="services")

    def __repr__(self) -> str:
        return f"<Service {self.code} of office {self.office_id}>"


class Counter(Base):
    __tablename__ = "counters"
    __table_args__ = (
        UniqueConstraint("office_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("call_order IN ('oldest', 'service_order')", name="call_order_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # "oldest": the oldest ticket across the counter's services; "service_order": its first
    # service with anyone waiting, in the order the services are listed for the counter.
    call_order: Mapped[str] = mapped_column(String(16), default="oldest")

    office: Mapped[Office] = relationship(back_populates="counters")
    links: Mapped[list[CounterService]] = relationship(
        back_populates="counter",
        cascade="all, delete-orphan",
        order_by="CounterService.position",
        lazy="selectin",
    )

    @property
    def services(self) -> list[Service]:
        return [link.service for link in self.links]

    def __repr__(self) -> str:
        return f"<Counter {self.number} of office {self.office_id}>"


class CounterService(Base):
    __tablename__ = "counter_services"

    counter_id: Mapped[int] = mapped_column(
        ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    counter: Mapped[Counter] = relationship(back_populates="links")
    service: Mapped[Service] = relationship(lazy="joined")


__all__ = [
    "COUNTER_CALL_ORDERS",
    "Counter",
    "CounterService",
    "Office",
    "OpeningHours",
    "Service",
    "SpecialDay",
]
