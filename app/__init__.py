"""The Loket Flask application."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from config import BASE_DIR, Config

from .db import configure_engine, engine_options, normalise_url
from .extensions import babel, csrf, db, login, socketio
from .files import secure_instance


class _CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions with the signer built once per set of keys (Flask builds
    one for every request, a device's token request included)."""

    def __init__(self) -> None:
        self._signers: dict[tuple, Any] = {}

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        signer = self._signers.get(keys)
        if signer is None and app.secret_key:
            signer = self._signers[keys] = super().get_signing_serializer(app)
        return signer


class Loket(Flask):
    """Flask, with two things it works out on every request worked out once: the session
    cookie's signer, and whether each hook and view is a coroutine (none is)."""

    _MAX_KNOWN = 1024  # hooks, views and handlers are registered once; a bound on the memo

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_interface = _CookieSessions()
        self._sync: dict[Any, Any] = {}

    def ensure_sync(self, func: Any) -> Any:
        try:
            known = self._sync.get(func)
        except TypeError:  # an unhashable callable: asked each time, as Flask does
            return super().ensure_sync(func)
        if known is None:
            known = super().ensure_sync(func)
            if len(self._sync) < self._MAX_KNOWN:
                self._sync[func] = known
        return known


def create_app(config: Any = None, async_mode: str | None = None) -> Flask:
    """Create the app. ``config`` is a Config instance (default: from the environment);
    ``async_mode`` overrides ``ASYNC_MODE`` (the CLI uses "threading").
    """
    cfg = config or Config()
    app = Loket(__name__, instance_path=str(cfg.INSTANCE_DIR))
    app.config.from_object(cfg)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    secure_instance(Path(app.instance_path))  # files 0600, folders 0700 (umask 0077)
    _load_printer_profiles(Path(app.instance_path) / "cache")
    url = normalise_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(url, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    )
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    if app.config.get("MIGRATIONS", True):
        # `flask db ...` and the tests migrate; the server never does (make run and the
        # installer run `flask db upgrade` first), so Alembic's 9 MB stay out of its process.
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)

    from . import i18n

    i18n.init_app(app, babel)

    from . import security
    from .auth import init_app as init_auth

    security.init_app(app)  # first: marks read-only requests before anything queries
    init_auth(app, login)

    mode = async_mode or app.config["ASYNC_MODE"]
    # Flask-SocketIO keeps the message-queue manager of an earlier init_app in its options;
    # an app built later in the same process (tests, the CLI) must get its own or none.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode=mode,
        message_queue=app.config["MESSAGE_QUEUE_URL"],
        ping_interval=app.config["SOCKET_PING_INTERVAL"],
        ping_timeout=app.config["SOCKET_PING_INTERVAL"],
        max_http_buffer_size=64 * 1024,
        logger=False,
        engineio_logger=False,
    )

    from . import errors, pings, realtime
    from .websockets import PlainWebSockets

    pings.init_app(socketio.server.eio)  # one task pings every connection
    # Outside Flask-SocketIO's middleware: its WebSocket handshake sees no compression offer.
    app.wsgi_app = PlainWebSockets(app.wsgi_app)  # type: ignore[method-assign]

    errors.init_app(app)
    realtime.init_app(app, socketio)

    from . import print_jobs

    print_jobs.init_app(app, socketio)

    from . import sms

    sms.init_app(app, socketio)

    from . import routing

    routing.init_app(app)

    from display import bp as display_bp

    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .booking import bp as booking_bp
    from .counter import bp as counter_bp
    from .kiosk import bp as kiosk_bp
    from .main import bp as main_bp
    from .phone import bp as phone_bp
    from .station import bp as station_bp
    from .survey import bp as survey_bp
    from .track import bp as track_bp

    blueprints = (
        api_bp,
        main_bp,
        display_bp,
        kiosk_bp,
        track_bp,
        booking_bp,
        phone_bp,
        survey_bp,
        counter_bp,
        station_bp,
        admin_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    from . import limits

    limits.init_app(app)  # after the authentication hook: signed-in requests are not limited

    from . import cli

    cli.init_app(app)
    return app


ESCPOS_CACHE = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def _load_printer_profiles(folder: Path) -> None:
    """Import python-escpos with its printer profiles cached in the instance folder.

    At import it parses a 1 MB YAML of printer profiles (about half a second of CPU at every
    start of the server and of every CLI command) and keeps the result as a pickle in
    ``ESCPOS_CAPABILITIES_PICKLE_DIR``, by default a new temporary folder each time: never
    reused, and one folder left in /tmp per process (a month of restarts and CLI runs, or a test
    run, leaves hundreds). Here the folder is the instance's own
    (0700, this user's: a pickle is only ever read from a private folder); the variable is set
    for that import only.
    """
    if "escpos.capabilities" in sys.modules or os.environ.get(ESCPOS_CACHE):
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        return  # not private: python-escpos keeps its default
    # python-escpos also calls tempfile.mkdtemp() for its default even when the variable is set
    # (a default argument): for this one import, that call returns the same folder.
    make_temporary = tempfile.mkdtemp
    os.environ[ESCPOS_CACHE] = str(folder)
    tempfile.mkdtemp = lambda *_args, **_kwargs: str(folder)
    try:
        import escpos.capabilities  # noqa: F401
    finally:
        tempfile.mkdtemp = make_temporary
        os.environ.pop(ESCPOS_CACHE, None)
