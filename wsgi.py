"""The entry point: picks the async mode, creates the app, serves.

    python wsgi.py                 serve on HOST:PORT (default 0.0.0.0:5000) in ASYNC_MODE
    flask --app wsgi db upgrade    any CLI command (no server, no eventlet)

eventlet is imported and monkey-patched here and only here, first, before anything else loads
sockets or threads; the rest of the code runs unchanged in either mode.
"""

from __future__ import annotations

import os
import signal
import sys

SERVING = __name__ == "__main__"
ASYNC_MODE = os.environ.get("ASYNC_MODE") or "eventlet"

if SERVING and ASYNC_MODE == "eventlet":
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated", category=Warning)
    import eventlet

    eventlet.monkey_patch()

from app import create_app  # noqa: E402
from app.extensions import socketio  # noqa: E402
from config import Config  # noqa: E402

# Python's default collector thresholds cause 40-65 ms pauses with thousands of live sockets;
# freezing start-up objects and raising the first threshold keeps pauses short.
if SERVING:
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)

_config = Config()
if not SERVING:
    # Command-line use: deliver events before the command exits (via Redis when configured).
    _config.BROADCAST_INLINE = True
app = create_app(_config, async_mode=ASYNC_MODE if SERVING else "threading")


def _blocking_executor():
    """How blocking calls (USB printer writes) leave the event loop in this mode."""
    if ASYNC_MODE == "eventlet":
        from eventlet import tpool

        return tpool.execute
    return None


app.config["BLOCKING_EXECUTOR"] = _blocking_executor() if SERVING else None


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def serve() -> None:
    # Ctrl-C and `systemctl stop` both stop cleanly, also when SIGINT was inherited as ignored
    # (a process started in the background by a non-interactive shell).
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    host, port = app.config["HOST"], app.config["PORT"]
    printing = app.extensions["loket_printing"]
    printing.start()
    print(f"Loket serving on http://{host}:{port} ({ASYNC_MODE} mode). Ctrl-C stops.", flush=True)
    try:
        if ASYNC_MODE == "eventlet":
            import eventlet
            import eventlet.wsgi

            listener = eventlet.listen((host, port), backlog=2048)
            # max_size: eventlet's default of 1,024 connections would stop answering HTTP when
            # that many TVs and phones are connected.
            eventlet.wsgi.server(listener, app, max_size=10_000, log_output=False)
        else:
            socketio.run(
                app,
                host=host,
                port=port,
                allow_unsafe_werkzeug=True,
                use_reloader=False,
                log_output=False,
            )
    except KeyboardInterrupt:
        pass
    finally:
        printing.stop()
        print("Loket stopped.", flush=True)


if SERVING:
    if len(sys.argv) > 1:
        sys.exit("usage: python wsgi.py (settings come from the environment; see README)")
    serve()
