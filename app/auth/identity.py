"""Who is calling, resolved the same way for an HTTP request (``app.auth.identify``) and for a
Socket.IO connection (``app.realtime.on_connect``): a bearer token (devices, scripts, the print
agent) or a signed-in browser session.

The result carries the ``Actor`` the domain checks permissions with, and the ``Credential`` the
caller proved itself with, which ``app.live_identity`` checks again while a connection lives.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..domain.access import Actor
from ..models import User
from .tokens import actor_for_token, digest


@dataclass(frozen=True)
class Credential:
    """What a caller signed in with: a browser session (its version) or a token (its hash)."""

    user_id: int
    role: str
    office_id: int | None
    session_version: int | None = None
    token_digest: str | None = None


@dataclass(frozen=True)
class Caller:
    actor: Actor
    credential: Credential
    prints_via_agent: bool  # its tickets print on its own kiosk's agent, not the server's


def by_token(session: Session, token: str, address: str | None) -> Caller | None:
    """The caller behind an API token (one small query), or None: unknown, revoked, or its
    user disabled."""
    found = actor_for_token(session, token, address)
    if found is None:
        return None
    actor, via_agent = found
    credential = Credential(actor.user_id, actor.role, actor.office_id, token_digest=digest(token))
    return Caller(actor, credential, via_agent)


def by_session(user: User, address: str | None) -> Caller:
    """The caller behind a signed-in browser session (its user already loaded and checked by
    Flask-Login: active, session version current)."""
    actor = Actor(user.id, user.role, user.office_id, address)
    credential = Credential(
        user.id, user.role, user.office_id, session_version=user.session_version
    )
    return Caller(actor, credential, user.prints_via_agent)
