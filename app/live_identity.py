"""Who is behind each Socket.IO connection, checked again while the connection lives.

An HTTP request proves its user every time; a Socket.IO connection proves it once, at connect.
So every few seconds each process looks up the users and tokens behind its identified
connections, and closes those whose user was disabled, signed out everywhere, changed role or
office, or whose token was revoked: within SOCKET_RECHECK_SECONDS, also when the change was made
by another process (the command line, another server) because the database is what is checked.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app
from flask_babel import force_locale, gettext
from flask_socketio import SocketIO
from sqlalchemy import select
from sqlalchemy.orm import Session

from .auth.identity import Credential
from .db import reading
from .domain import Actor
from .extensions import db
from .models import ApiToken, User

log = logging.getLogger(__name__)

EXTENSION_KEY = "loket_live_identity"


class LiveIdentities:
    """The identified connections of this process, and the loop that re-checks them."""

    def __init__(self, app: Flask, socketio: SocketIO, error_event: str) -> None:
        self.app, self.socketio, self.error_event = app, socketio, error_event
        self.interval = float(app.config.get("SOCKET_RECHECK_SECONDS") or 0)
        self._by_sid: dict[str, tuple[Actor, Credential]] = {}
        self._lock = threading.Lock()
        self._checking = False

    def remember(self, sid: str, actor: Actor, credential: Credential) -> None:
        with self._lock:
            self._by_sid[sid] = (actor, credential)
            start = self.interval > 0 and not self._checking
            self._checking = self._checking or start
        if start:
            self.socketio.start_background_task(self._loop)

    def forget(self, sid: str) -> None:
        with self._lock:
            self._by_sid.pop(sid, None)

    def actor(self, sid: str) -> Actor | None:
        found = self._by_sid.get(sid)
        return found[0] if found else None

    def _loop(self) -> None:
        """Runs while this process has identified connections; ends with the last of them."""
        while True:
            self.socketio.sleep(self.interval)
            with self._lock:
                if not self._by_sid:
                    self._checking = False
                    return
            try:
                self.recheck()
            except Exception:  # a database outage: try again next round
                log.warning("could not re-check live connections", exc_info=True)

    def stale(self, session: Session) -> list[str]:
        """The connections whose credential no longer holds."""
        with self._lock:
            current = dict(self._by_sid)
        if not current:
            return []
        user_ids = {cred.user_id for _actor, cred in current.values()}
        users = {
            row.id: row
            for row in session.execute(
                select(User.id, User.active, User.role, User.office_id, User.session_version).where(
                    User.id.in_(user_ids)
                )
            )
        }
        digests = {cred.token_digest for _actor, cred in current.values() if cred.token_digest}
        live_tokens = (
            set(
                session.scalars(
                    select(ApiToken.token_hash).where(
                        ApiToken.token_hash.in_(digests), ApiToken.revoked_at.is_(None)
                    )
                )
            )
            if digests
            else set()
        )
        stale = []
        for sid, (_actor, cred) in current.items():
            user = users.get(cred.user_id)
            valid = (
                user is not None
                and user.active
                and user.role == cred.role
                and user.office_id == cred.office_id
                and (
                    cred.token_digest in live_tokens
                    if cred.token_digest
                    else user.session_version == cred.session_version
                )
            )
            if not valid:
                stale.append(sid)
        return stale

    def recheck(self) -> list[str]:
        """Close the connections whose credential no longer holds; returns their ids."""
        with self.app.app_context(), reading(), Session(db.engine) as session:
            stale = self.stale(session)
        for sid in stale:
            self.forget(sid)
            with self.app.app_context(), force_locale(self.app.config["BABEL_DEFAULT_LOCALE"]):
                message = gettext(
                    "You were signed out (the account was disabled or changed, or the token "
                    "revoked). Sign in again."
                )
            self.socketio.emit(self.error_event, {"code": "signed_out", "message": message}, to=sid)
            hang_up(self.socketio, sid)
        if stale:
            log.info("closed %d live connection(s) whose sign-in no longer holds", len(stale))
        return stale


def identity(sid: str) -> Actor | None:
    """The signed-in user behind the Socket.IO connection ``sid`` (None when anonymous)."""
    return current_app.extensions[EXTENSION_KEY].actor(sid)


def hang_up(socketio: SocketIO, sid: str) -> None:
    """Disconnect ``sid`` and close its Engine.IO transport too: a namespace disconnect alone
    leaves the WebSocket open, and a client that ignores it could go on sending."""
    server = socketio.server
    eio_sid = server.manager.eio_sid_from_sid(sid, "/")
    # This process holds the connection: disconnect it here and now, not through the message
    # queue (which may be away, and would leave the client sending meanwhile).
    server.disconnect(sid, ignore_queue=True)
    if eio_sid is not None:
        server.eio.disconnect(eio_sid)


def drop_transport(socketio: SocketIO, sid: str) -> None:
    """Close the connection of ``sid`` as a network drop would: the client's Socket.IO library
    reconnects by itself (after a namespace disconnect it would not)."""
    server = socketio.server
    eio_sid = server.manager.eio_sid_from_sid(sid, "/")
    if eio_sid is not None:
        server.eio.disconnect(eio_sid)


def init_app(app: Flask, socketio: SocketIO, error_event: str) -> LiveIdentities:
    identities = LiveIdentities(app, socketio, error_event)
    app.extensions[EXTENSION_KEY] = identities
    return identities
