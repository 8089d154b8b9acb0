"""The audit trail of administrative changes, and one-time login links for devices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class AuditEvent(Base):
    """One change made by staff outside the ticket journey (settings, users, devices, stock,
    group tickets, purges). Ticket moves are in ``ticket_events``; the audit page shows both."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_office_at", "office_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))  # e.g. "service.update"
    target: Mapped[str] = mapped_column(String(120), default="")  # e.g. "service A"
    details: Mapped[str] = mapped_column(Text, default="")  # JSON: field -> [old, new]
    remote_addr: Mapped[str | None] = mapped_column(String(45))


class LoginLink(Base):
    """A one-time link that signs a kiosk or TV device in (stored as a SHA-256 hash)."""

    __tablename__ = "login_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
