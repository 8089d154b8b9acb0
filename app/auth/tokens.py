"""API bearer tokens: shown once, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..domain.access import Actor
from ..models import ApiToken, User

PREFIX = "lkt_"
# last_used_at is refreshed at most this often, so reads do not turn into writes.
TOUCH_EVERY = timedelta(hours=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, now: datetime, label: str = "") -> str:
    """Create a token for ``user`` and return it; only its hash is kept."""
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=digest(token), label=label, created_at=now))
    return token


_ACTOR = (
    select(User.id, User.role, User.office_id, User.prints_via_agent)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("digest"),
        ApiToken.revoked_at.is_(None),
        User.active.is_(True),
    )
)


def actor_for_token(
    session: Session, token: str, remote_addr: str | None
) -> tuple[Actor, bool] | None:
    """The Actor behind ``token`` and whether that user prints through a remote agent (one
    small query), or None (unknown, revoked, disabled)."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    # Through the connection: a Core statement needs none of the ORM session's work.
    row = session.connection().execute(_ACTOR, {"digest": digest(token)}).first()
    if row is None:
        return None
    return Actor(row.id, row.role, row.office_id, remote_addr), bool(row.prints_via_agent)


def revoke_token(session: Session, record: ApiToken, now: datetime) -> None:
    record.revoked_at = now
