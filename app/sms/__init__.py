"""Card-ready messages leaving the office: the way out (``transports``, chosen by ``SMS_URL``),
the queue in the database (``store``) and the sender that works through it (``sender``), started
by the server process that has ``SMS_SPOOLER`` on. What a message is and when it is queued is
the domain's (``app.domain.notices``)."""

from __future__ import annotations

import logging

from flask import Flask
from flask_babel import gettext
from flask_socketio import SocketIO
from sqlalchemy.orm import Session

from .. import domain, realtime
from ..domain.events import NoticeQueued
from .sender import Sender
from .store import DatabaseNotices
from .transports import SmsError, Transport, open_transport

EXTENSION_KEY = "loket_sms"
log = logging.getLogger(__name__)

__all__ = [
    "EXTENSION_KEY",
    "SmsError",
    "SmsService",
    "enabled",
    "init_app",
    "reason_text",
    "sms_service",
]


def enabled(app: Flask) -> bool:
    """Whether messages can be asked for (``SMS_URL`` is set)."""
    return bool(app.config.get("SMS_URL"))


class SmsService:
    """Owns the sender (in the process that has SMS_SPOOLER on)."""

    def __init__(self, app: Flask, socketio: SocketIO) -> None:
        self.app = app
        self.socketio = socketio
        url = app.config.get("SMS_URL") or ""
        # A malformed address stops the start with its reason, as a bad PRINTER_URL does.
        self.transport: Transport | None = open_transport(url) if url else None
        self.sender: Sender | None = None
        self.running = False

    def build_sender(self) -> Sender:
        if self.transport is None:
            raise RuntimeError("SMS_URL is not set")
        return Sender(
            DatabaseNotices(self.app),
            self.transport,
            run_blocking=self.app.config.get("BLOCKING_EXECUTOR"),
            clock=lambda: domain.utcnow(),  # looked up at each call (tests freeze it)
        )

    def start(self) -> None:
        """Start sending (the server does this); messages left "sending" by a crash or a power
        cut are sent again now."""
        if self.running or self.transport is None or not self.app.config.get("SMS_SPOOLER"):
            return
        self.running = True
        released = DatabaseNotices(self.app).release()
        if released:
            log.warning(
                "%d card-ready message(s) cut off by a restart will be sent again", released
            )
        self.sender = self.build_sender()
        log.info("card-ready messages go to %s", self.transport.describe())
        self.socketio.start_background_task(self.sender.run_forever)

    def wake(self) -> None:
        if self.sender is not None:
            self.sender.wake()

    def stop(self) -> None:
        self.running = False
        if self.sender is not None:
            self.sender.stop()

    def queued(self, _session: Session, _events: list[NoticeQueued]) -> None:
        """Committed messages: wake the sender (the broadcaster calls this after the commit;
        a sender in another process finds them at its next poll)."""
        self.wake()


# What the sender records (English, as in the log), in words for the administrator: the known
# beginnings are translated, details after them are kept (they never hold a number).
_REASONS = (
    ("cannot reach the SMS gateway", lambda: gettext("cannot reach the SMS gateway")),
    ("the SMS gateway answered", lambda: gettext("the SMS gateway answered")),
    ("cannot write", lambda: gettext("cannot write the message file")),
    ("gave up after", lambda: gettext("gave up after")),
    ("unexpected error", lambda: gettext("unexpected error")),
    ("no number or no text to send", lambda: gettext("no number or no text to send")),
    ("the day ended first", lambda: gettext("the day ended first")),
    ("handed over first", lambda: gettext("the card was handed over first")),
)


def reason_text(text: str | None) -> str:
    """A message's recorded reason in the page's language."""
    if not text:
        return ""
    for prefix, words in _REASONS:
        if text.startswith(prefix):
            return words() + text[len(prefix) :]
    return text


def sms_service(app: Flask) -> SmsService:
    return app.extensions[EXTENSION_KEY]


def init_app(app: Flask, socketio: SocketIO) -> None:
    """Register the service and its hook on the broadcaster (after ``realtime.init_app``)."""
    service = app.extensions[EXTENSION_KEY] = SmsService(app, socketio)
    realtime.broadcaster(app).subscribe(NoticeQueued, service.queued)
