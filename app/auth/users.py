"""Creating users and checking passwords, with a lock after repeated failures."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ROLES, Office, User
from ..queue.errors import N_, InvalidInput

MAX_FAILURES = 10
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 8
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


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


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def password_matches(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def note_failure(user: User, now: datetime) -> None:
    """Count a wrong password; the tenth in a row locks the account for a while."""
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILURES:
        user.locked_until = now + LOCK_FOR
        user.failed_logins = 0


def note_success(user: User, now: datetime) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
