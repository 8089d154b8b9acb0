"""Creating users and checking passwords, with a lock after repeated failures."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, literal, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.errors import N_, InvalidInput
from ..models import ROLES, Office, User
from ..models.base import UTCDateTime

MAX_FAILURES = 10
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 8
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
USERNAME = re.compile(USERNAME_PATTERN)


def new_password() -> str:
    """A random password for a new account or a reset (12 characters, shown once)."""
    return secrets.token_urlsafe(9)


def create_user(
    session: Session,
    username: str,
    role: str,
    *,
    office: Office | None,
    password: str | None,
    now: datetime,
    display_name: str = "",
) -> User:
    """Add a user. Raises InvalidInput for a bad name, role, office scope or short password,
    or a name already taken."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InvalidInput(
            N_(
                "A user name is 2-64 characters: lower-case letters, digits, dot, "
                "hyphen or underscore."
            ),
            error_code="invalid_username",
        )
    if role not in ROLES:
        raise InvalidInput(
            N_("Unknown role %(role)s; use one of %(choices)s."),
            error_code="invalid_role",
            role=role,
            choices=", ".join(ROLES),
        )
    if role != "admin" and office is None:
        raise InvalidInput(
            N_("A %(role)s account belongs to one office; name the office."),
            error_code="office_required",
            role=role,
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidInput(
            N_("The user name %(username)s is taken."),
            error_code="username_taken",
            username=username,
        )
    user = User(
        username=username,
        role=role,
        office_id=office.id if office else None,
        display_name=display_name or username,
        active=True,
        failed_logins=0,
        created_at=now,
    )
    if password is not None:
        set_password(user, password)
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Store a hash of ``password``. Raises InvalidInput when it is too short."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            N_("A password needs at least %(min)s characters."),
            error_code="password_too_short",
            min=MIN_PASSWORD,
        )
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    user.locked_until = None
    # Other browsers signed in with the old password are signed out.
    user.session_version = (user.session_version or 0) + 1


def set_active(user: User, active: bool) -> bool:
    """Enable or disable ``user``; returns whether anything changed. A disabled user can no longer
    sign in or use a token, and every browser of theirs is signed out (their live connections are
    closed by ``app.live_identity``)."""
    if user.active == active:
        return False
    user.active = active
    if not active:
        user.session_version = (user.session_version or 0) + 1
    return True


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def password_matches(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def note_failure(session: Session, user: User, now: datetime) -> bool:
    """Count a wrong password for ``user``; the tenth in a row locks the account for a while.
    Returns whether the account is locked now.

    One UPDATE reads and writes the count, so wrong passwords sent in parallel are each counted
    (a read, then a write of read + 1, let twelve parallel attempts count as one).
    """
    counted = User.failed_logins + 1
    limit_reached = counted >= MAX_FAILURES
    locked_until = session.execute(
        update(User)
        .where(User.id == user.id)
        .values(
            failed_logins=case((limit_reached, 0), else_=counted),
            locked_until=case(
                (limit_reached, literal(now + LOCK_FOR, UTCDateTime())),
                else_=User.locked_until,
            ),
        )
        .returning(User.locked_until),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    return locked_until is not None and _aware(locked_until) > now


def note_success(session: Session, user: User, now: datetime) -> bool:
    """Record a sign-in with the right password, unless a lock was set meanwhile (by wrong
    passwords sent at the same moment). Returns whether the sign-in may go ahead."""
    signed_in = session.execute(
        update(User)
        .where(
            User.id == user.id,
            (User.locked_until.is_(None)) | (User.locked_until <= now),
        )
        .values(failed_logins=0, locked_until=None, last_login_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    return signed_in == 1


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
