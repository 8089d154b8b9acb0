"""Kiosk and TV devices: one-time sign-in links made by an administrator, and signing a device
out everywhere (it was lost, stolen or replaced)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import ApiToken, LoginLink, User
from .tokens import digest

LINK_VALID = timedelta(hours=24)
DEVICE_ROLES = ("kiosk", "display")


def new_login_link(session: Session, user: User, now: datetime, made_by: int | None) -> str:
    """A one-time link token for ``user``'s device, valid LINK_VALID; only its hash is kept."""
    token = secrets.token_urlsafe(24)
    session.add(
        LoginLink(
            user_id=user.id,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + LINK_VALID,
            created_by_id=made_by,
        )
    )
    return token


def open_link(session: Session, token: str, now: datetime) -> tuple[LoginLink, User] | None:
    """The unused, unexpired link ``token`` names and its user, or None."""
    link = session.scalar(select(LoginLink).where(LoginLink.token_hash == digest(token[:100])))
    user = session.get(User, link.user_id) if link is not None else None
    if link is None or link.used_at is not None or link.expires_at < now or user is None:
        return None
    return link, user


def use_link(session: Session, link: LoginLink, now: datetime) -> bool:
    """Spend ``link``; False when another device spent it first (a conditional update: two
    devices racing with one link, only one wins)."""
    claimed = session.execute(
        update(LoginLink)
        .where(LoginLink.id == link.id, LoginLink.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    return claimed == 1


def sign_out_everywhere(session: Session, user: User, now: datetime) -> None:
    """End every browser session and remember cookie of ``user`` (its session version), revoke
    its API tokens and spend its unused links; live connections close within seconds
    (``app.live_identity``)."""
    user.session_version += 1
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(LoginLink)
        .where(LoginLink.user_id == user.id, LoginLink.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
