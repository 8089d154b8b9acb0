"""Staff and devices that sign in, and their API tokens (stored hashed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime
from .office import Office

# kiosk: a ticket-issuing device; display: a TV that signs in to stay signed in.
ROLES = ("admin", "operator", "clerk", "kiosk", "display")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'operator', 'clerk', 'kiosk', 'display')", name="role_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16))
    # None: every office (only meaningful for admins).
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A kiosk whose printer is driven by a remote print agent (python -m printer.agent).
    prints_via_agent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    # Part of the session id: raising it signs the user out everywhere (revoked devices,
    # changed passwords, disabled accounts).
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    office: Mapped[Office | None] = relationship()
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # The four members Flask-Login needs, written out so models stay free of Flask imports.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def can_act_in(self, office_id: int) -> bool:
        """True when the user's office scope covers ``office_id``."""
        return self.office_id is None or self.office_id == office_id

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the token: tokens are 256 random bits, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")
