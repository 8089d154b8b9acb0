"""Live updates over Socket.IO: the broadcaster (after commit) and the join handlers.

Room and event names are in ``printer.channels`` (shared with the print agent); the TV's call
payloads are ``display.announce``'s.

Events leave only after the database commit: domain functions record them on the session
(``app.domain.events``); a session ``after_commit`` hook hands them to the Broadcaster, and a
rollback drops them. The Broadcaster builds payloads with its own read-only session in a
background task, merging whatever queued up meanwhile (one board per office per batch), so a burst
of changes costs one board and never slows the request that made it. Other parts subscribe to
the events they act on (``Broadcaster.subscribe``: printing wakes its spooler on ``PrintQueued``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app, request
from flask_babel import gettext
from flask_login import current_user
from flask_socketio import SocketIO, emit, join_room, leave_room
from socketio.exceptions import ConnectionRefusedError as SocketRefused
from sqlalchemy import bindparam, select
from sqlalchemy import event as sa_event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from display.announce import called_payload, pickup_payload
from printer.channels import (
    BOARD,
    CALLED,
    ERROR,
    JOIN,
    LEAVE,
    PICKUP,
    STAFF,
    TICKET,
    office_room,
    staff_room,
    ticket_room,
)

from . import board_cache, domain, live_identity
from .auth import identity
from .board_cache import cached_board
from .db import DatabaseBusy, reading
from .domain.estimate import service_rate
from .domain.events import Announced, OfficeChanged, QueueMoved, TicketChanged, take
from .domain.snapshots import board, staff_view, track, waiting_queue, waiting_track
from .extensions import db
from .i18n import render_message
from .join_limits import JoinGuard
from .models import Office, Service, Ticket
from .security import storable

log = logging.getLogger(__name__)

MAX_KEY = 64
EXTENSION_KEY = "loket_broadcaster"
JOINS_KEY = "loket_join_guard"
HANG_UP_KEY = "loket_hang_up"

Subscriber = Callable[[Session, list[Any]], None]


class Broadcaster:
    """Publishes committed events to the Socket.IO rooms, inline (tests) or from a worker.

    Calls and ticket updates leave at once. Boards are built at most every BOARD_INTERVAL
    seconds per office: changes in between are merged into the next board, so a burst of
    tickets costs a few boards instead of one each. A board after a quiet spell leaves at once;
    in a rush a screen gets two a second (the call itself, with its sound, never waits), which
    keeps 2,000 screens on one process within the latency goal (bench.fanout). Staff views
    (few screens) go at most every STAFF_INTERVAL.

    A call never waits behind a board: each screen's connection sends its messages in order, so
    a call made while a board is on its way to 2,000 screens would reach the last of them only
    after all the boards. In one process a board therefore goes out BOARD_CHUNK screens at a time,
    letting those screens' writes happen in between, and a call queued meanwhile is sent to
    every screen before the rest of the board (which the TV reads as older than the call, as it
    is; the board after the call follows within BOARD_INTERVAL).
    """

    BOARD_INTERVAL = 0.5
    BOARD_CHUNK = 100
    STAFF_INTERVAL = 0.1  # a handful of staff screens: an operator sees their own move at once

    def __init__(self, app: Flask, socketio: SocketIO) -> None:
        self.app = app
        self.socketio = socketio
        self.inline = bool(app.config.get("BROADCAST_INLINE"))
        self._queue: queue.Queue | None = None
        self._worker_started = False
        # Across processes a publish can be lost (Redis away): boards are then sent again
        # regularly. In one process nothing is lost (a screen that reconnects joins again).
        self.resync = (
            float(app.config.get("BOARD_RESYNC_SECONDS") or 0)
            if app.config.get("MESSAGE_QUEUE_URL")
            else 0.0
        )
        self._subscribers: list[tuple[type, Subscriber]] = []
        self._slug_of: dict[int, str] = {}  # office id -> slug (fixed when the office is made)
        # Set when a batch with a call is queued; a board on its way stops for it (one bool,
        # read between chunks). The calls are sent then, the rest of their batches kept here
        # for the worker's next round.
        self._call_waiting = False
        self._held: list[Any] = []

    def subscribe(self, kind: type, handler: Subscriber) -> None:
        """Call ``handler(session, events)`` with the committed events of type ``kind`` of each
        batch (with the broadcaster's read-only session; after the screens' own events)."""
        self._subscribers.append((kind, handler))

    def submit(self, events: list[Any]) -> None:
        """Publish ``events`` (already committed)."""
        if self.inline:
            offices = _office_ids(events)
            self.deliver(events, offices, offices)
            return
        if self._queue is None:
            self._queue = queue.Queue()
        self._queue.put(events)
        if any(isinstance(e, Announced) for e in events):
            self._call_waiting = True
        if not self._worker_started:
            self._worker_started = True
            self.socketio.start_background_task(self._run)

    def _run(self) -> None:
        assert self._queue is not None
        # Per office: when its next TV board / staff view may go, and when the last one went.
        due = {BOARD: {}, STAFF: {}}
        last_sent: dict[str, dict[int, float]] = {BOARD: {}, STAFF: {}}
        interval = {BOARD: self.BOARD_INTERVAL, STAFF: self.STAFF_INTERVAL}
        while True:
            if self.resync:
                # Every office that has had a board gets one again once it is resync seconds old.
                for office_id, at in last_sent[BOARD].items():
                    due[BOARD].setdefault(office_id, at + self.resync)
            times = [*due[BOARD].values(), *due[STAFF].values()]
            timeout = max(0.0, min(times) - time.monotonic()) if times else None
            events, self._held = self._held, []
            try:
                events.extend(self._queue.get(timeout=0 if events else timeout))
            except queue.Empty:
                pass
            events.extend(self._take_queued())
            now = time.monotonic()
            ready: dict[str, set[int]] = {}
            for kind in (BOARD, STAFF):
                for office_id in _office_ids(events):
                    soonest = max(now, last_sent[kind].get(office_id, 0.0) + interval[kind])
                    due[kind][office_id] = min(due[kind].get(office_id, soonest), soonest)
                ready[kind] = {office_id for office_id, at in due[kind].items() if at <= now}
                for office_id in ready[kind]:
                    del due[kind][office_id]
                    last_sent[kind][office_id] = now
            try:
                self.deliver(events, ready[BOARD], ready[STAFF])
            except Exception:
                log.exception(
                    "could not publish %d events; screens resync on reconnect", len(events)
                )

    def _take_queued(self) -> list[Any]:
        """Every event queued now (without waiting)."""
        assert self._queue is not None
        self._call_waiting = False
        events: list[Any] = []
        while True:
            try:
                events.extend(self._queue.get_nowait())
            except queue.Empty:
                return events

    def _listened(self, room: str) -> bool:
        """Whether anyone may be in ``room`` (always true across processes)."""
        if self.app.config.get("MESSAGE_QUEUE_URL"):
            return True
        rooms = self.socketio.server.manager.rooms.get("/", {})
        return bool(rooms.get(room))

    def deliver(
        self, events: Iterable[Any], boards: set[int], staff: set[int] | None = None
    ) -> None:
        """Emit ``events``, the TV boards of the ``boards`` offices and the staff views of the
        ``staff`` offices (default: the same), built from the database."""
        events = list(events)
        staff = boards if staff is None else staff
        if not events and not boards and not staff:
            return
        with self.app.app_context(), reading(), Session(db.engine) as session:
            now = domain.utcnow()
            moved = {(e.office_id, e.service_id) for e in events if isinstance(e, QueueMoved)}
            if moved and not self._anyone_follows_a_ticket():
                moved = set()
            announced = _calls(events)
            # The offices' rooms first (two plain columns): an office is loaded whole only when
            # someone is there to receive its board, staff view or followers' places.
            office_ids = set(boards) | set(staff) | {e.office_id for e in announced}
            office_ids |= {office_id for office_id, _ in moved}
            slugs = self._slugs(session, office_ids)
            boards = {i for i in boards if i in slugs and self._listened(office_room(slugs[i]))}
            staff = {i for i in staff if i in slugs and self._listened(staff_room(slugs[i]))}
            needed = boards | staff | {office_id for office_id, _ in moved if office_id in slugs}
            offices = (
                {o.id: o for o in session.scalars(_OFFICES, {"ids": sorted(needed)})}
                if needed
                else {}
            )
            self._announce(slugs, announced)
            if announced and boards:
                self.socketio.sleep(0)  # the call's writes first, then the boards queue behind
            for office_id in sorted(boards):
                office = offices[office_id]
                payload = cached_board(session, office, now)
                self._send_board(session, office_room(office.slug), payload)
            for office_id in sorted(staff):
                office = offices[office_id]
                self.socketio.emit(
                    STAFF, staff_view(session, office, now), to=staff_room(office.slug)
                )
            sent: set[int] = set()
            for office_id, service_id in sorted(moved):
                if office_id in offices:
                    sent |= self._queue_moved(session, offices[office_id], service_id, now)
            for kind, handler in self._subscribers:
                mine = [e for e in events if isinstance(e, kind)]
                if mine:
                    handler(session, mine)
            changed = {
                e.ticket_id
                for e in events
                if isinstance(e, TicketChanged)
                and (e.token is None or self._listened(ticket_room(e.token)))
            } - sent
            for ticket_id in sorted(changed):
                ticket = session.get(Ticket, ticket_id)
                if ticket is not None and self._listened(ticket_room(ticket.token)):
                    self.socketio.emit(
                        TICKET, track(session, ticket, now), to=ticket_room(ticket.token)
                    )

    def _announce(self, slugs: dict[int, str], announced: list[Announced]) -> None:
        """Send each call or pickup to its office's room (``slugs``: office id -> slug)."""
        for item in announced:
            if item.office_id not in slugs:
                continue  # no such office (an event can only name one that exists)
            room = office_room(slugs[item.office_id])
            if item.kind == "pickup":
                self.socketio.emit(PICKUP, pickup_payload(item), to=room)
            else:
                self.socketio.emit(CALLED, called_payload(item), to=room)

    def _send_board(self, session: Session, room: str, payload: dict[str, Any]) -> None:
        """Send a board to ``room``: in one process BOARD_CHUNK screens at a time, and a call
        queued meanwhile goes to its screens before the rest (see the class)."""
        if self.app.config.get("MESSAGE_QUEUE_URL"):
            # Across processes each one sends to its own screens (the queue's subscriber).
            self.socketio.emit(BOARD, payload, to=room)
            return
        members = self.socketio.server.manager.rooms.get("/", {}).get(room)
        if not members or len(members) <= self.BOARD_CHUNK:
            self.socketio.emit(BOARD, payload, to=room)
            return
        sids = [sid for sid, _eio in self.socketio.server.manager.get_participants("/", room)]
        for start in range(0, len(sids), self.BOARD_CHUNK):
            if start:
                self.socketio.sleep(0)  # these screens' writes; a request may commit a call
                if self._call_waiting:  # set only once the queue exists
                    events = self._take_queued()
                    announced = _calls(events)
                    self._held.extend(e for e in events if not isinstance(e, Announced))
                    slugs = self._slugs(session, {e.office_id for e in announced})
                    self._announce(slugs, announced)
                    self.socketio.sleep(0)
            self.socketio.emit(BOARD, payload, to=sids[start : start + self.BOARD_CHUNK])

    def _slugs(self, session: Session, office_ids: set[int]) -> dict[int, str]:
        """The slugs (room names) of ``office_ids`` that exist. A slug never changes once the
        office is made (offices are never deleted), so each is read once per process."""
        missing = office_ids - self._slug_of.keys()
        if missing:
            self._slug_of.update(session.execute(_SLUGS, {"ids": sorted(missing)}).all())
        return {i: self._slug_of[i] for i in office_ids if i in self._slug_of}

    def _anyone_follows_a_ticket(self) -> bool:
        """Whether any status page may follow a ticket (always true across processes): one
        look over this process's rooms, far cheaper than reading a queue for nobody."""
        if self.app.config.get("MESSAGE_QUEUE_URL"):
            return True
        prefix = ticket_room("")
        rooms = self.socketio.server.manager.rooms.get("/", {})
        return any(
            members and isinstance(room, str) and room.startswith(prefix)
            for room, members in list(rooms.items())
        )

    def _queue_moved(self, session: Session, office: Office, service_id: int, now: Any) -> set[int]:
        """Send the waiting tickets of a service that someone follows their new place.

        One statement reads the whole queue in order (a few plain columns, no ticket loaded);
        each follower's payload is a plain dict (``waiting_track``, the same as ``track``), the
        service's rate read once. (``deliver`` reads nothing while no page follows any ticket.)
        """
        order = waiting_queue(session, service_id, domain.local_day(now, office.timezone))
        followed = [
            (position, row)
            for position, row in enumerate(order)
            if self._listened(ticket_room(row.token))
        ]
        if followed:
            service = session.get_one(Service, service_id)
            rate = service_rate(session, service, now)
            for position, row in followed:
                self.socketio.emit(
                    TICKET,
                    waiting_track(row, office, service, position, rate),
                    to=ticket_room(row.token),
                )
        return {row.id for row in order}


# The broadcaster's statements, built once (building them cost more than running them).
_SLUGS = select(Office.id, Office.slug).where(Office.id.in_(bindparam("ids", expanding=True)))
_OFFICES = select(Office).where(Office.id.in_(bindparam("ids", expanding=True)))


def _calls(events: Iterable[Any]) -> list[Announced]:
    """The calls and pickups among ``events``, in the order they were made."""
    return sorted((e for e in events if isinstance(e, Announced)), key=lambda e: e.seq)


def _office_ids(events: Iterable[Any]) -> set[int]:
    return {e.office_id for e in events if isinstance(e, OfficeChanged)}


def _after_commit(session: Session) -> None:
    events = take(session)
    if not events:
        return
    broadcaster = current_app.extensions.get(EXTENSION_KEY) if current_app else None
    if broadcaster is not None:
        broadcaster.submit(events)


def _after_rollback(session: Session) -> None:
    take(session)


_hooks_installed = False


def _install_session_hooks() -> None:
    global _hooks_installed
    if not _hooks_installed:
        sa_event.listen(db.session, "after_commit", _after_commit)
        sa_event.listen(db.session, "after_rollback", _after_rollback)
        _hooks_installed = True


# ---- join handlers -------------------------------------------------------------------------


def _refuse(code: str, message: str) -> None:
    # Answers go straight to the client on this process, not round the message queue: they
    # arrive before a hang-up that follows, and also while Redis is away.
    emit(ERROR, {"code": code, "message": message}, ignore_queue=True)


def _text(value: Any) -> str | None:
    """A slug or token as sent, or None for anything no office or ticket could be named by
    (not text, empty, too long, or characters no database stores)."""
    if isinstance(value, str) and 0 < len(value) <= MAX_KEY and storable(value):
        return value
    return None


def on_connect(auth: Any = None) -> None:
    """Remember a staff identity for this connection (browser session or ``auth.token``); it is
    checked again while the connection lives (``app.live_identity``)."""
    identities = current_app.extensions[live_identity.EXTENSION_KEY]
    address = client_address()
    with _joins().working, reading():
        caller = None
        if isinstance(auth, dict) and isinstance(auth.get("token"), str):
            caller = identity.by_token(db.session, auth["token"][:200], address)
        elif current_user.is_authenticated:
            caller = identity.by_session(current_user._get_current_object(), address)
        if caller is not None:
            identities.remember(request.sid, caller.actor, caller.credential)
        db.session.rollback()
    exempt = address in current_app.config["CONNECTION_LIMIT_EXEMPT"]
    if not _joins().connect(request.sid, address, identified=caller is not None or exempt):
        raise SocketRefused(
            gettext("Too many connections from your address; wait a minute."),
            {"code": "rate_limited"},
        )


def client_address() -> str:
    """The address of the Socket.IO client: behind TRUSTED_PROXIES reverse proxies, the one
    they forwarded (the Socket.IO layer sees the raw connection, not the app's ProxyFix)."""
    address = request.remote_addr or "?"
    proxies = int(current_app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        forwarded = [
            part.strip()
            for part in request.headers.get("X-Forwarded-For", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    return address


def _joins() -> JoinGuard:
    return current_app.extensions[JOINS_KEY]


def on_disconnect(*_args: Any) -> None:
    current_app.extensions[live_identity.EXTENSION_KEY].forget(request.sid)
    _joins().disconnect(request.sid)
    for hook in current_app.extensions[HANG_UP_KEY]:
        hook(request.sid)


def broadcaster(app: Flask) -> Broadcaster:
    return app.extensions[EXTENSION_KEY]


def on_hang_up(app: Flask, hook: Callable[[str], None]) -> None:
    """Call ``hook(sid)`` (in the request context of the disconnect) when a connection closes."""
    app.extensions[HANG_UP_KEY].append(hook)


def on_join(data: Any = None, *_extra: Any) -> None:
    """Join an office's, a ticket's or the staff room; extra arguments are ignored."""
    socketio = current_app.extensions["socketio"]
    # Let requests waiting on this process go first: a burst of joins on one connection is
    # handled one by one between them, not as one long stretch of work.
    socketio.sleep(0)
    if not socketio.server.manager.is_connected(request.sid, "/"):
        return  # closed meanwhile (e.g. for joining too often): nothing to answer
    # Counted against the limits before this context was built (_drop_joins_early): the join
    # that went over them arrives here to be told; the ones after it never do.
    if getattr(_verdict, "value", None) == JoinGuard.REFUSED:
        _refuse(
            "too_many_joins",
            gettext("This connection asked to join too often; it is closed. Reload the page."),
        )
        live_identity.hang_up(socketio, request.sid)
        return
    if not isinstance(data, dict) or len(data) != 1:
        _refuse("invalid_join", gettext('Join with {"office": "<slug>"} or {"ticket": "<token>"}.'))
        return
    key, value = next(iter(data.items()))
    text = _text(value)
    # At most a few joins use the database at once: a flood of joins waits here, not in the
    # connection pool where HTTP requests would time out behind it.
    with _joins().working, reading():
        try:
            if key == "office" and text is not None:
                office = domain.office_by_slug(db.session, text)
                if not _enter(office_room(office.slug)):
                    return
                emit(BOARD, cached_board(db.session, office, domain.utcnow()), ignore_queue=True)
            elif key == "ticket" and text is not None:
                ticket = domain.ticket_by_token(db.session, text)
                if not _enter(ticket_room(ticket.token)):
                    return
                emit(TICKET, track(db.session, ticket, domain.utcnow()), ignore_queue=True)
            elif key == "staff" and text is not None:
                _join_staff(text)
            else:
                _refuse(
                    "invalid_join",
                    gettext('Join with {"office": "<slug>"} or {"ticket": "<token>"}.'),
                )
        except domain.NotFound as err:
            code = "unknown_office" if key == "office" else err.code
            _refuse(code, render_message(err.template, err.params))
        except (DBAPIError, PoolTimeout, DatabaseBusy):
            # The database is away: say so and close the transport, so the client reconnects
            # (with its back-off) and joins again, instead of staying connected but in no room.
            log.warning("a join found the database away; the client will reconnect")
            _refuse(
                "unavailable",
                gettext("The server cannot answer right now; reconnecting in a moment."),
            )
            live_identity.drop_transport(socketio, request.sid)
        finally:
            db.session.rollback()


def _enter(room: str) -> bool:
    """Join ``room``; False when the connection closed while its join waited its turn."""
    try:
        join_room(room)
    except (ValueError, KeyError):
        # "sid is not connected to requested namespace", or (threading mode) the connection was
        # closed by another thread between that check and the room's entry.
        return False
    return True


def _join_staff(slug: str) -> None:
    actor = live_identity.identity(request.sid)
    try:
        office = domain.office_for(db.session, actor, slug, "staff_view") if actor else None
    except domain.Forbidden:
        office = None
    if office is None:
        _refuse("forbidden", gettext("Only staff of this office may join its staff room."))
        return
    if not _enter(staff_room(office.slug)):
        return
    emit(STAFF, staff_view(db.session, office, domain.utcnow()), ignore_queue=True)


def on_leave(data: Any = None) -> None:
    if isinstance(data, dict):
        if _text(data.get("office")):
            leave_room(office_room(data["office"]))
        if _text(data.get("ticket")):
            leave_room(ticket_room(data["ticket"]))


def init_app(app: Flask, socketio: SocketIO) -> None:
    board_cache.init_app(app, board)
    app.extensions[EXTENSION_KEY] = Broadcaster(app, socketio)
    app.extensions[HANG_UP_KEY] = []
    live_identity.init_app(app, socketio, ERROR)
    app.extensions[JOINS_KEY] = JoinGuard(
        app.config["SOCKET_JOINS_PER_CONNECTION"],
        app.config["SOCKET_JOINS_PER_ADDRESS"],
        app.config["SOCKET_CONNECTS_PER_ADDRESS"],
        app.config["SOCKET_DATABASE_WORKERS"],
    )
    _install_session_hooks()
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
    socketio.on_event(JOIN, on_join)
    socketio.on_event(LEAVE, on_leave)
    _drop_joins_early(app, socketio, app.extensions[JOINS_KEY])
    app.teardown_request(_forget_routing_exception)


def _forget_routing_exception(_error: BaseException | None) -> None:
    """Each Socket.IO event runs in a request context built from its connection's /socket.io/
    address, which no route matches: the context keeps a NotFound whose traceback holds the
    context itself, a cycle only the collector frees. With the collector's first threshold
    raised (wsgi.py), thousands of phones joining left ~2 KB each of such garbage (bench.phones:
    RSS). Any error handler has used the exception by now."""
    request.routing_exception = None


# The verdict on the join being handled, from _drop_joins_early to on_join (thread-local: under
# eventlet, green-thread-local).
_verdict = threading.local()


def _drop_joins_early(app: Flask, socketio: SocketIO, guard: JoinGuard) -> None:
    """Each join is counted against the limits before Flask-SocketIO builds a request context
    for it (that costs as much as a small request): a burst of joins sent at once is refused
    and dropped for the price of a dictionary lookup each, not of as many requests (measured
    by bench/join_flood.py). Only joins within the limits, and the one that is told it went
    over, reach ``on_join``."""
    handlers = socketio.server.handlers["/"]
    with_context = handlers[JOIN]
    manager = socketio.server.manager
    identities = app.extensions[live_identity.EXTENSION_KEY]
    exempt = app.config["CONNECTION_LIMIT_EXEMPT"]
    # Joins within the limits build their request contexts a few at a time: 2,000 screens
    # rejoining after a restart queue here instead of taking every turn of the event loop from
    # the HTTP requests meanwhile (bench/storm.py: eventlet's HTTP p99 232-358 ms -> 77-97 ms).
    admitted = threading.BoundedSemaphore(8)

    def join(sid: str, *args: Any) -> Any:
        if guard.closing(sid) or not manager.is_connected(sid, "/"):
            return None
        identified = identities.actor(sid) is not None or guard.addresses.get(sid) in exempt
        verdict = guard.join(sid, identified)
        if verdict == JoinGuard.CLOSING:
            return None
        _verdict.value = verdict  # read by on_join, in this same (green) thread
        try:
            with admitted:
                return with_context(sid, *args)
        finally:
            _verdict.value = None

    handlers[JOIN] = join
