"""Configuration from environment variables.

Every setting is optional: with none set, Loket runs on an embedded SQLite database under
``instance/`` and prints tickets as previews under ``instance/tickets/`` (the ESC/POS bytes and
the text; a PNG drawn when someone opens it).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("LOKET_INSTANCE_DIR", BASE_DIR / "instance")).resolve()

# How the server (wsgi.py) serves many connections at once: eventlet (the default) or gevent,
# green threads in one OS thread, or threading, an OS thread per connection. Only wsgi.py knows.
ASYNC_MODES = ("eventlet", "gevent", "threading")


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _secret_key(instance_dir: Path) -> str:
    """SECRET_KEY from the environment, or one generated once and kept in the instance folder."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created with 0600 so other users of the office PC cannot read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


class Config:
    """Settings read from the environment when the app is created."""

    def __init__(self) -> None:
        self.INSTANCE_DIR = INSTANCE_DIR
        self.SECRET_KEY = _secret_key(INSTANCE_DIR)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or (
            f"sqlite:///{INSTANCE_DIR / 'loket.db'}"
        )
        self.MESSAGE_QUEUE_URL = os.environ.get("MESSAGE_QUEUE_URL") or None
        self.PRINTER_URL = os.environ.get("PRINTER_URL") or "preview://"
        # Paper width in mm: 80 (48 columns, TM-T20II profile) or 58 (32 columns, POS-5890).
        self.PRINTER_PAPER = os.environ.get("PRINTER_PAPER") or "80"
        # An office with its own printer: PRINTER_URL_<SLUG> (the slug in capitals, "-" as "_"),
        # e.g. PRINTER_URL_OEBOBO=tcp://192.168.1.60:9100. Other offices print on PRINTER_URL.
        self.OFFICE_PRINTER_URLS = {
            key: value
            for key, value in os.environ.items()
            if key.startswith("PRINTER_URL_") and value
        }
        # A ticket taken at arrival that could not print within this many minutes leaves the
        # paper queue (its owner has gone on with the number on the screen; staff can reprint).
        self.ARRIVAL_PAPER_MINUTES = float(os.environ.get("ARRIVAL_PAPER_MINUTES") or 3)
        # Any other paper (a reprint, a group ticket) that could not print within this many
        # minutes leaves the paper queue too, failed with its reason.
        self.PRINT_EXPIRE = timedelta(minutes=float(os.environ.get("PRINT_EXPIRE_MINUTES") or 30))
        # Where the preview printer (no PRINTER_URL) keeps its tickets (bytes, text, and a PNG
        # once opened); empty: instance/tickets.
        self.TICKET_PREVIEW_DIR = os.environ.get("TICKET_PREVIEW_DIR") or ""
        # Whether this process prints the server's jobs; with several processes, only one should.
        self.PRINT_SPOOLER = _env_bool("PRINT_SPOOLER", True)
        # Card-ready text messages (README: "Card ready: one SMS"): where they go, log:///path,
        # gammu://[/path/to/gammurc], gammu-smsd://[/path/to/smsdrc] or http(s)://user:pw@host/...
        # (an SMS gateway app on the LAN). Empty: no messages, and nobody is offered one.
        self.SMS_URL = (os.environ.get("SMS_URL") or "").strip()
        # Whether this process sends them; by default the process that prints (PRINT_SPOOLER).
        self.SMS_SPOOLER = _env_bool("SMS_SPOOLER", self.PRINT_SPOOLER)
        mode = os.environ.get("ASYNC_MODE") or "eventlet"
        if mode not in ASYNC_MODES:
            raise ValueError(f"ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}, not {mode!r}")
        self.ASYNC_MODE = mode
        self.HOST = os.environ.get("HOST") or "0.0.0.0"
        self.PORT = int(os.environ.get("PORT") or 5000)
        # Connection limits of the server (wsgi.py). A request head (request line and headers)
        # must arrive within HEADER_TIMEOUT seconds; a kept-alive connection idle for
        # KEEPALIVE_TIMEOUT is closed; a socket that neither sends nor takes data for
        # IO_TIMEOUT is closed (Socket.IO pings every 20 s, so live screens never hit it).
        self.HEADER_TIMEOUT = float(os.environ.get("HEADER_TIMEOUT") or 10)
        self.KEEPALIVE_TIMEOUT = float(os.environ.get("KEEPALIVE_TIMEOUT") or 30)
        self.IO_TIMEOUT = float(os.environ.get("IO_TIMEOUT") or 60)
        # Socket.IO pings each connection this often (seconds) and closes it when the answer
        # does not come within as long again.
        self.SOCKET_PING_INTERVAL = float(os.environ.get("SOCKET_PING_INTERVAL") or 20)
        # Open connections at once: in all, and from one client address. The per-address cap
        # leaves room for a guest Wi-Fi of phones behind one router; addresses in
        # CONNECTION_LIMIT_EXEMPT (this machine, where nginx runs) are not capped.
        self.MAX_CONNECTIONS = int(os.environ.get("MAX_CONNECTIONS") or 10_000)
        self.MAX_CONNECTIONS_PER_ADDRESS = int(os.environ.get("MAX_CONNECTIONS_PER_ADDRESS") or 300)
        self.CONNECTION_LIMIT_EXEMPT = tuple(
            (os.environ.get("CONNECTION_LIMIT_EXEMPT") or "127.0.0.1 ::1").replace(",", " ").split()
        )
        # Socket.IO clients, per minute: joins on one connection; joins and new connections
        # from one address (anonymous ones; addresses in CONNECTION_LIMIT_EXEMPT are free).
        self.SOCKET_JOINS_PER_CONNECTION = int(os.environ.get("SOCKET_JOINS_PER_CONNECTION") or 10)
        self.SOCKET_JOINS_PER_ADDRESS = int(os.environ.get("SOCKET_JOINS_PER_ADDRESS") or 300)
        self.SOCKET_CONNECTS_PER_ADDRESS = int(os.environ.get("SOCKET_CONNECTS_PER_ADDRESS") or 300)
        # Socket.IO connects and joins that use the database at once (fewer than the pool's
        # connections, so HTTP requests always find one).
        self.SOCKET_DATABASE_WORKERS = int(os.environ.get("SOCKET_DATABASE_WORKERS") or 4)
        # How often live connections (staff screens, print agents) are checked against their
        # user and token, so a disabled user or a revoked device is cut off within seconds.
        self.SOCKET_RECHECK_SECONDS = float(os.environ.get("SOCKET_RECHECK_SECONDS") or 2)
        # Seconds a stop (Ctrl-C, SIGTERM) gives requests in progress before connections close.
        self.STOP_GRACE = float(os.environ.get("STOP_GRACE") or 2)
        # Request bodies larger than this are refused with 413 before they are read.
        self.MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH") or 1024 * 1024)
        # Base of links printed in QR codes; empty means "the address the request came to".
        # Number of reverse proxies (nginx) in front whose X-Forwarded-* headers are trusted.
        self.TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES") or 0)
        self.PUBLIC_URL = (os.environ.get("PUBLIC_URL") or "").rstrip("/")
        # Without PUBLIC_URL, links follow the address a request came to only when its host is
        # one of these names, localhost, this machine's name or one of its IP addresses; any
        # other Host header gets this machine's own LAN address (app/public_url.py).
        self.ALLOWED_HOSTS = tuple(
            (os.environ.get("ALLOWED_HOSTS") or "").replace(",", " ").lower().split()
        )
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE  # as the session cookie
        self.REMEMBER_COOKIE_DURATION = 400 * 24 * 3600  # kiosk and TV devices stay logged in
        self.WTF_CSRF_CHECK_DEFAULT = False  # checked in app.auth for browser requests only
        self.WTF_CSRF_TIME_LIMIT = None  # a counter console stays open all day
        self.BABEL_DEFAULT_LOCALE = "id"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Makassar"
        self.LANGUAGES = ("id", "en")  # every screen's languages; Indonesian first (the default)
        # Anonymous requests per client address (TVs, phones, the status page; the contract
        # asks for at least 300 a minute), and sign-in attempts per address and per user name.
        self.ANONYMOUS_RATE_LIMIT = os.environ.get("ANONYMOUS_RATE_LIMIT") or "600 per minute"
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT") or "30 per minute"
        # Above the lockout (10 wrong passwords), so a user is told the account is locked.
        self.LOGIN_USER_RATE_LIMIT = "20 per minute"
        # Staff notes about tickets and cards are erased after this many days (loket purge).
        self.NOTE_RETENTION_DAYS = int(os.environ.get("NOTE_RETENTION_DAYS") or 30)
        self.SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS") or 15000)
        # Events are built and sent by a background worker; tests can ask for inline delivery.
        self.BROADCAST_INLINE = False
        # Whether `flask db ...` (Alembic) is set up; wsgi.py turns it off for the server.
        self.MIGRATIONS = True
        # With a message queue, boards are sent again this often even when nothing changed, so
        # a board lost while Redis was away is made good without anyone touching the queue.
        self.BOARD_RESYNC_SECONDS = float(os.environ.get("BOARD_RESYNC_SECONDS") or 30)
        self.TESTING = False


class TestingConfig(Config):
    """Settings for the test suite: a throw-away database given by the test, inline events."""

    def __init__(self, database_url: str, instance_dir: Path | None = None) -> None:
        super().__init__()
        self.TESTING = True
        self.SQLALCHEMY_DATABASE_URI = database_url
        if instance_dir is not None:
            self.INSTANCE_DIR = Path(instance_dir)
        self.PRINTER_URL = f"preview://{self.INSTANCE_DIR / 'tickets'}"
        self.OFFICE_PRINTER_URLS = {}  # tests give an office its own printer when they want
        self.PRINT_SPOOLER = False  # tests start a spooler when they want one
        # Messages go to a file of the test's own; tests start a sender when they want one.
        self.SMS_URL = f"log://{self.INSTANCE_DIR / 'sms.jsonl'}"
        self.SMS_SPOOLER = False
        self.MESSAGE_QUEUE_URL = None
        self.ASYNC_MODE = "threading"
        self.BROADCAST_INLINE = True
        self.SOCKET_RECHECK_SECONDS = 0.0  # tests re-check live connections when they want
