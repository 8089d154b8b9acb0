"""Reconnect storm: N screens joined to one server process, and the server restarted.

    python -m bench.storm [--clients 2000] [--modes eventlet,gevent] [--after 30]
                          [--before 5] [--per-address 1] [--dump PATH]

For each async mode: the real server (``python wsgi.py``), N screens joined to ``kupang``, each
from its own loopback address (127.1.x.y: an office's screens are as many machines), that
reconnect as the pages' Socket.IO client does (the back-off and jitter of the client that the
TV, the counter display and the status page share, read from app/static/js/live-socket.js and
the vendored socket.io-client, see ``client_settings``). Once every screen has a board, a desk
(call-next every second, finishing the counter's ticket first), a kiosk (a ticket a second) and
a TV page GET every 250 ms run over HTTP; after ``--before`` seconds the server is stopped with
SIGTERM and started again on the same port, as ``systemctl restart`` does.

Measured, from the moment the server listens again (the earliest of its "serving" line and the
first connection any client made to it):

* per screen, the time until it holds a board that shows the latest call: a board arriving at
  time t is current when it contains every call whose call-next answer the desk had by t (a
  call answered between a join's board and its arrival is caught up by the next broadcast
  board, at most 0.5 s later); p50/p99/max over the screens, how many had none within 10 s and
  within ``--after`` seconds (stuck), and how many do not show the last calls at the end;
* the HTTP latency (p50/p99/max) of the desk's, kiosk's and page's requests sent within
  ``--after`` seconds of the server listening again; requests refused while no server
  listened are counted apart (refused while down), as are errors;
* the server's CPU in the first 10 s (storm_cpu_pct) and over the whole ``--after``.

A screen the server refuses (too many connections from its address this minute) or hangs up
on does what the pages do: connect again after live-socket.js's RETRY_MS, randomised (a client
without one gives up: counted in gave_up, and stuck). ``--per-address N`` puts N screens on
each address (phones behind one router); ``--dump PATH`` keeps every screen's boards and every
request, for a closer look.

Goals (issue 15, point 3): every screen current within 10 s of the server listening again,
HTTP p99 <= 300 ms meanwhile, no screen stuck offline.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import http.client
import json
import math
import multiprocessing
import pickle
import queue as queue_module
import random
import re
import resource
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wsproto.events import CloseConnection, TextMessage

from bench.harness import Server, goal_row, percentile, raise_open_files, table
from bench.screens import LeanScreen

ROOT = Path(__file__).resolve().parents[1]
OFFICE = "kupang"
SERVICE = "A"
GOAL_REJOIN_S = 10.0
GOAL_HTTP_MS = 300.0
DESK_INTERVAL = 1.0  # seconds between the desk's call-next (each after a finish)
KIOSK_INTERVAL = 1.0  # seconds between the kiosk's tickets
PAGE_INTERVAL = 0.25  # seconds between GETs of the TV page
PAGE_PATH = f"/display/{OFFICE}"
HTTP_TIMEOUT = 30.0
PRE_ISSUED = 40  # tickets waiting before the desk starts, so it never finds the queue empty

# The script that makes the live pages' Socket.IO client (its settings are what the screens
# copy), the global function it defines, and the pages that follow the server live through it
# (a TV, a counter's display, a resident's status page): none makes its own ``io(...)`` client.
LIVE_SOCKET_JS = ROOT / "app" / "static" / "js" / "live-socket.js"
LIVE_SOCKET_FUNCTION = "loketLiveSocket"
PAGES_JS = (
    ROOT / "display" / "static" / "tv.js",
    ROOT / "display" / "static" / "counter.js",
    ROOT / "app" / "static" / "js" / "status.js",
)
MANAGER_JS = ROOT / "node_modules" / "socket.io-client" / "build" / "esm" / "manager.js"


# -- the browser client's reconnection ---------------------------------------------------------


@dataclass(frozen=True)
class ClientSettings:
    """The back-off of a page's Socket.IO client (socket.io-client's Manager options)."""

    delay_ms: float  # reconnectionDelay: the first wait
    delay_max_ms: float  # reconnectionDelayMax: waits never longer
    jitter: float  # randomizationFactor
    timeout_ms: float  # timeout: an open that takes longer fails and is retried
    # What the page does when the server refuses the namespace (Socket.IO "connect_error"
    # packet) or disconnects it: socket.io-client gives up; a page may call connect() again
    # after ``retry_ms`` (None: it does not, and the screen stays offline).
    retry_ms: float | None = None


def _manager_defaults() -> dict[str, float]:
    """socket.io-client's own defaults, from the vendored Manager (1000, 5000, 0.5, 20000 in
    4.8)."""
    text = MANAGER_JS.read_text()
    found = {
        "reconnectionDelay": re.search(r"opts\.reconnectionDelay \|\| (\d+)", text),
        "reconnectionDelayMax": re.search(r"opts\.reconnectionDelayMax \|\| (\d+)", text),
        "randomizationFactor": re.search(r"randomizationFactor\)[^;]*?: ([\d.]+)\)", text),
        "timeout": re.search(r"opts\.timeout \? (\d+)", text),
    }
    missing = [name for name, match in found.items() if match is None]
    if missing:
        raise SystemExit(f"cannot read socket.io-client's defaults {missing} in {MANAGER_JS}")
    return {name: float(match[1]) for name, match in found.items() if match}


def page_options(path: Path = LIVE_SOCKET_JS) -> dict[str, Any]:
    """The options a script passes to ``io({...})`` (the live pages': live-socket.js): numbers
    as floats, anything else as text."""
    text = path.read_text()
    call = re.search(r"\bio\(\{(.*?)\}\)", text, re.S)
    if call is None:
        raise SystemExit(f"no io({{...}}) call in {path}")
    options: dict[str, Any] = {}
    for name, value in re.findall(r"(\w+)\s*:\s*([^,]+?)\s*(?:,|$)", call[1].strip()):
        try:
            options[name] = float(value)
        except ValueError:
            options[name] = value
    return options


def page_retry_ms(path: Path = LIVE_SOCKET_JS) -> float | None:
    """The wait a script gives before it calls ``socket.connect()`` again after the server
    refused or dropped its namespace, from a ``RETRY_MS = <ms>`` constant beside such a call
    (None when the script does not do it)."""
    text = path.read_text()
    if "socket.connect()" not in text:
        return None
    match = re.search(r"RETRY_MS\s*=\s*(\d+)", text)
    return float(match[1]) if match else None


def client_settings(path: Path = LIVE_SOCKET_JS) -> ClientSettings:
    """The back-off of the client made by ``path`` (by default the live pages' shared one)."""
    defaults = _manager_defaults()
    options = {**defaults, **page_options(path)}
    return ClientSettings(
        delay_ms=options["reconnectionDelay"],
        delay_max_ms=options["reconnectionDelayMax"],
        jitter=options["randomizationFactor"],
        timeout_ms=options["timeout"],
        retry_ms=page_retry_ms(path),
    )


def uses_live_socket(path: Path) -> bool:
    """The page's script gets its client from live-socket.js and makes none of its own."""
    text = path.read_text()
    return f"{LIVE_SOCKET_FUNCTION}(" in text and re.search(r"\bio\(", text) is None


class Backoff:
    """socket.io-client's back-off (contrib/backo2.js): min * 2^attempt, the same random number
    both sizing a deviation of up to ``jitter`` of it and choosing its sign, then capped."""

    def __init__(self, settings: ClientSettings, rand=random.random) -> None:
        self.ms, self.max, self.jitter = settings.delay_ms, settings.delay_max_ms, settings.jitter
        self.attempts = 0
        self.rand = rand

    def duration(self) -> float:
        """The next wait in seconds."""
        ms = self.ms * 2**self.attempts
        self.attempts += 1
        if self.jitter:
            rand = self.rand()
            deviation = math.floor(rand * self.jitter * ms)
            ms = ms - deviation if math.floor(rand * 10) & 1 == 0 else ms + deviation
        return int(min(ms, self.max)) / 1000

    def reset(self) -> None:
        self.attempts = 0


# -- the screens (in a process of their own) ---------------------------------------------------


class Refused(Exception):
    """The server refused the Socket.IO namespace ("connect_error") or disconnected it ("io
    server disconnect"): socket.io-client does not reconnect by itself after either."""


class Closed(Exception):
    """The server sent a WebSocket close frame: the transport closed, the client reconnects."""


def highest_call(board: Any) -> int:
    """The highest number of the service's tickets among a board's recent calls."""
    best = 0
    if isinstance(board, dict):
        for row in board.get("recent") or []:
            if row.get("service") == SERVICE:
                digits = re.search(r"(\d+)$", row.get("code") or "")
                if digits:
                    best = max(best, int(digits[1]))
    return best


@dataclass
class Record:
    """What one screen saw; times are time.monotonic() (one clock for all processes)."""

    address: str
    boards: list[tuple[float, int]] = field(default_factory=list)  # (arrival, highest call)
    opened: list[float] = field(default_factory=list)  # Engine.IO sessions opened
    attempts: int = 0
    refused: int = 0  # TCP connection refused (no server)
    failed: int = 0  # connected but closed before the session opened (e.g. a 503)
    timeouts: int = 0  # the session did not open within the client's timeout
    denied: int = 0  # namespace refused or dropped by the server
    errors: dict[str, int] = field(default_factory=dict)  # "error" events by code
    gave_up: float | None = None  # when the page's client stopped reconnecting


class StormScreen(LeanScreen):
    """A LeanScreen that says when its session opened and ends its run on a refusal, a
    namespace disconnect or a close frame (the browser's client closes then too)."""

    def __init__(self, *args: Any, record: Record, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.record = record
        self.open_or_end: asyncio.Future = asyncio.get_running_loop().create_future()

    def _handle(self, event: Any) -> bytes | None:
        if isinstance(event, CloseConnection):
            raise Closed
        if isinstance(event, TextMessage) and event.message_finished and not self.buffer:
            text = event.data
            if text.startswith("0") and not self.open_or_end.done():
                self.record.opened.append(time.monotonic())
                self.open_or_end.set_result(True)
            elif text.startswith(("44", "41")):  # connect_error, io server disconnect
                raise Refused
        return super()._handle(event)


async def _attempt(port: int, record: Record, settings: ClientSettings, on_event) -> str:
    """One connection: "refused", "failed", "timeout", "closed" (was open), "denied"."""
    record.attempts += 1
    screen = StormScreen(port, {"office": OFFICE}, on_event, bind=record.address, record=record)
    task = asyncio.create_task(screen.run())

    def ended(_task: asyncio.Task) -> None:
        if not screen.open_or_end.done():
            screen.open_or_end.set_result(False)

    task.add_done_callback(ended)
    try:
        opened = await asyncio.wait_for(
            asyncio.shield(screen.open_or_end), settings.timeout_ms / 1000
        )
    except TimeoutError:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        record.timeouts += 1
        return "timeout"
    if not opened:
        error = task.exception() if not task.cancelled() else None
        if isinstance(error, ConnectionRefusedError):
            record.refused += 1
            return "refused"
        if isinstance(error, Refused):
            record.denied += 1
            return "denied"
        record.failed += 1
        return "failed"
    try:
        await task
    except Refused:
        record.denied += 1
        return "denied"
    except (Closed, OSError, asyncio.IncompleteReadError):
        pass  # closed or reset by the server
    return "closed"


async def _browser(
    port: int, record: Record, settings: ClientSettings, on_event, first_delay: float
) -> None:
    """A page's Socket.IO client: open at once; on a failed open wait the back-off and try
    again; after a session closes reset the back-off and wait its first step; when the server
    refuses or disconnects the namespace, give up, or (a page with a retry) connect again after
    the page's retry wait, randomised by half as the pages do."""
    await asyncio.sleep(first_delay)
    backoff = Backoff(settings)
    wait = 0.0
    while True:
        if wait:
            await asyncio.sleep(wait)
        outcome = await _attempt(port, record, settings, on_event)
        if outcome == "closed":
            backoff.reset()  # onreconnect and onclose both reset it
            wait = backoff.duration()
        elif outcome == "denied":
            if settings.retry_ms is None:
                record.gave_up = time.monotonic()
                return
            backoff.reset()
            wait = settings.retry_ms * (0.5 + random.random()) / 1000
        else:
            wait = backoff.duration()


def _addresses(count: int, per_address: int) -> list[str]:
    """127.1.x.y, ``per_address`` screens on each."""
    hosts = math.ceil(count / per_address)
    names = [f"127.1.{i // 250}.{1 + i % 250}" for i in range(hosts)]
    return [names[i // per_address] for i in range(count)]


async def _screens(
    port: int, addresses: list[str], settings: ClientSettings, joined: Any, stop: Any
) -> list[Record]:
    records = [Record(address) for address in addresses]

    def on_event(screen: LeanScreen, name: str, payload: Any) -> None:
        record = screen.record  # type: ignore[attr-defined]
        if name == "board":
            if not record.boards:
                with joined.get_lock():
                    joined.value += 1
            record.boards.append((time.monotonic(), highest_call(payload)))
        elif name == "error":
            code = payload.get("code") if isinstance(payload, dict) else None
            record.errors[str(code)] = record.errors.get(str(code), 0) + 1

    # The screens switch on in bursts of 100 every 50 ms (as fanout's do), then live their own
    # lives.
    tasks = [
        asyncio.create_task(_browser(port, record, settings, on_event, (i // 100) * 0.05))
        for i, record in enumerate(records)
    ]
    while not stop.is_set():
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return records


def _screens_process(
    port: int, addresses: list[str], settings: ClientSettings, joined: Any, stop: Any, out: Any
) -> None:
    raise_open_files()
    used = resource.getrusage(resource.RUSAGE_SELF)
    records = asyncio.run(_screens(port, addresses, settings, joined, stop))
    now = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (now.ru_utime + now.ru_stime) - (used.ru_utime + used.ru_stime)
    out.put((records, cpu))


# -- the desk, the kiosk and the page (threads of this process) -------------------------------


@dataclass
class Sample:
    kind: str
    sent: float
    elapsed: float
    outcome: str  # "ok", "status NNN", "refused", "error <name>"


class Prober:
    """One keep-alive HTTP connection of one kind of user; each request is a Sample."""

    def __init__(self, port: int, kind: str, samples: list[Sample], token: str | None = None):
        self.port, self.kind, self.samples = port, kind, samples
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn: http.client.HTTPConnection | None = None
        self.connected_at: list[float] = []
        self.last = ""  # the last request's outcome

    def request(
        self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200,)
    ) -> tuple[int | None, Any]:
        data = json.dumps(body).encode() if body is not None else None
        sent = time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
                self.conn.connect()
                self.connected_at.append(time.monotonic())
            self.conn.request(method, path, body=data, headers=self.headers)
            response = self.conn.getresponse()
            raw = response.read()
        except ConnectionRefusedError:
            self._close()
            self._note(Sample(self.kind, sent, time.monotonic() - sent, "refused"))
            return None, None
        except (OSError, http.client.HTTPException) as err:
            self._close()
            self._note(
                Sample(self.kind, sent, time.monotonic() - sent, f"error {type(err).__name__}")
            )
            return None, None
        elapsed = time.monotonic() - sent
        outcome = "ok" if response.status in expect else f"status {response.status}"
        self._note(Sample(self.kind, sent, elapsed, outcome))
        try:
            payload = json.loads(raw) if raw and raw[:1] in b"[{" else None
        except ValueError:
            payload = None
        return response.status, payload

    def _note(self, sample: Sample) -> None:
        self.samples.append(sample)
        self.last = sample.outcome

    def _close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Paced(threading.Thread):
    """Runs ``step`` every ``interval`` seconds (a late step runs at once and the slots it
    missed are skipped) until ``stop`` is set."""

    def __init__(self, interval: float, offset: float, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.interval, self.offset, self.stop = interval, offset, stop

    def step(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        start = time.monotonic() + self.offset
        n = 0
        while not self.stop.is_set():
            due = start + n * self.interval
            now = time.monotonic()
            if due > now:
                if self.stop.wait(due - now):
                    break
            else:
                n += int((now - due) / self.interval)
            n += 1
            self.step()


class Desk(Paced):
    """Counters serving the service in turn: finish the counter's ticket, call the next one."""

    def __init__(self, port: int, token: str, counters: list[int], samples, stop) -> None:
        super().__init__(DESK_INTERVAL, 0.0, stop)
        self.http = Prober(port, "desk", samples, token)
        self.counters = list(counters)
        self.held: dict[int, int] = {}
        self.unsure: set[int] = set()  # counters whose last call-next's answer was lost
        self.calls: list[tuple[float, int]] = []  # (answer received, ticket number)
        self.notes: list[str] = []
        self.n = 0

    def step(self) -> None:
        counter = self.counters[self.n % len(self.counters)]
        self.n += 1
        if counter in self.unsure and not self._look(counter):
            return
        if counter in self.held:
            status, _ = self.http.request(
                "POST", f"/api/v1/tickets/{self.held[counter]}/finish", expect=(200,)
            )
            if status is None:
                return  # the server is away: the same counter's ticket next time
            del self.held[counter]  # finished, or (a lost answer) finished already
        status, ticket = self.http.request(
            "POST", f"/api/v1/counters/{counter}/call-next", expect=(200, 204)
        )
        if status == 200 and isinstance(ticket, dict):
            self._called(counter, ticket)
        elif status == 409 or (status is None and self.http.last != "refused"):
            self.unsure.add(counter)  # the answer was lost: a ticket may have been called

    def _called(self, counter: int, ticket: dict[str, Any]) -> None:
        number = re.search(r"(\d+)$", ticket["code"])
        self.calls.append((time.monotonic(), int(number[1]) if number else 0))
        self.held[counter] = ticket["id"]

    def _look(self, counter: int) -> bool:
        """Which ticket the counter holds, as the console reads it when it reconnects."""
        status, view = self.http.request("GET", f"/api/v1/offices/{OFFICE}/queue")
        if status != 200 or not isinstance(view, dict):
            return False
        self.unsure.discard(counter)
        for row in view["counters"]:
            if row["id"] == counter and row["ticket"]:
                self.notes.append(f"counter {counter} held {row['ticket']['code']} unawares")
                self._called(counter, row["ticket"])
        return True


class Kiosk(Paced):
    def __init__(self, port: int, token: str, samples, stop) -> None:
        super().__init__(KIOSK_INTERVAL, KIOSK_INTERVAL / 2, stop)
        self.http = Prober(port, "kiosk", samples, token)

    def step(self) -> None:
        self.http.request(
            "POST",
            f"/api/v1/offices/{OFFICE}/tickets",
            {"service": SERVICE, "print": False},
            expect=(201,),
        )


class Page(Paced):
    def __init__(self, port: int, samples, stop) -> None:
        super().__init__(PAGE_INTERVAL, PAGE_INTERVAL / 3, stop)
        self.http = Prober(port, "page", samples)

    def step(self) -> None:
        self.http.request("GET", PAGE_PATH)


# -- one run -----------------------------------------------------------------------------------


class JoinFailed(Exception):
    """Not every screen had a board before the restart."""


def _restart(server: Server) -> tuple[float, float, float]:
    """SIGTERM (systemd's stop), wait for the exit, start again on the same port; the times of
    the signal, of the exit and of the server's "serving" line being seen."""
    assert server.process is not None
    terminated = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(60)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(10)
    exited = time.monotonic()
    server.start(timeout=60)
    return terminated, exited, time.monotonic()


def _count(samples: list[Sample], outcome: str) -> int:
    return sum(1 for s in samples if s.outcome == outcome)


def _http_row(samples: list[Sample]) -> dict[str, Any]:
    ok = [s.elapsed for s in samples if s.outcome == "ok"]
    errors = [s for s in samples if s.outcome not in ("ok", "refused")]
    return {
        "n": len(ok),
        "p50_ms": percentile(ok, 0.5) * 1000,
        "p99_ms": percentile(ok, 0.99) * 1000,
        "max_ms": max(ok) * 1000 if ok else float("nan"),
        "refused": _count(samples, "refused"),
        "errors": len(errors),
        "first_error": errors[0].outcome if errors else "",
    }


def _rejoin_times(
    records: list[Record], calls: list[tuple[float, int]], since: float
) -> list[float]:
    """Per screen, seconds from ``since`` to the arrival of its first board that shows every
    call answered before it arrived (inf when none did)."""
    calls = sorted(calls)
    answered = [t for t, _ in calls]
    latest, best = [], 0
    for _, number in calls:
        best = max(best, number)
        latest.append(best)
    times = []
    for record in records:
        found = math.inf
        for arrival, highest in record.boards:
            if arrival < since:
                continue
            k = bisect.bisect_right(answered, arrival)
            if highest >= (latest[k - 1] if k else 0):
                found = arrival - since
                break
        times.append(found)
    return times


def run(
    mode: str,
    clients: int,
    per_address: int,
    before: float,
    after: float,
    settings: ClientSettings,
    dump: str | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    server = Server(async_mode=mode)
    tokens = server.prepare(("kiosk", "operator"))
    server.start()
    ctx = multiprocessing.get_context("spawn")
    joined, stop_screens, results = ctx.Value("i", 0), ctx.Event(), ctx.Queue()
    screens = None
    stop_http = threading.Event()
    samples: list[Sample] = []
    try:
        setup = Prober(server.port, "setup", [], tokens["kiosk"])
        for _ in range(PRE_ISSUED):
            ticket = {"service": SERVICE, "print": False}
            setup.request("POST", f"/api/v1/offices/{OFFICE}/tickets", ticket, expect=(201,))
        _status, listed = setup.request("GET", f"/api/v1/offices/{OFFICE}/counters")
        counters = [c["id"] for c in listed or [] if SERVICE in c["services"]]
        setup._close()

        addresses = _addresses(clients, per_address)
        screens = ctx.Process(
            target=_screens_process,
            args=(server.port, addresses, settings, joined, stop_screens, results),
            daemon=True,
        )
        screens.start()
        started = time.monotonic()
        while joined.value < clients:
            if time.monotonic() - started > 180 or not screens.is_alive():
                raise JoinFailed(f"{joined.value} of {clients} screens had a board in 180 s")
            time.sleep(0.1)
        join_s = time.monotonic() - started

        desk = Desk(server.port, tokens["operator"], counters, samples, stop_http)
        probes = [desk, Kiosk(server.port, tokens["kiosk"], samples, stop_http)]
        probes.append(Page(server.port, samples, stop_http))
        for probe in probes:
            probe.start()
        time.sleep(before)
        terminated, exited, seen = _restart(server)
        cpu = server.cpu_seconds()
        time.sleep(max(0.0, seen + min(after, GOAL_REJOIN_S) - time.monotonic()))
        storm_cpu = server.cpu_seconds() - cpu
        time.sleep(max(0.0, seen + after - time.monotonic()))
        server_cpu = server.cpu_seconds() - cpu
        rss = server.rss_mb()
        stop_http.set()
        for probe in probes:
            probe.join(HTTP_TIMEOUT + 5)
        ended = time.monotonic()
        time.sleep(1.0)  # the last board reaches the screens
        stop_screens.set()
        try:
            records, screens_cpu = results.get(timeout=120)
        except queue_module.Empty as err:
            raise RuntimeError("the screens process sent no results") from err
        screens.join(30)
    except JoinFailed as err:
        return {"mode": mode, "clients": clients, "note": str(err)}, []
    finally:
        stop_http.set()
        stop_screens.set()
        if screens is not None and screens.is_alive():
            screens.terminate()
            screens.join(10)
        server.stop()

    # The server listened again at the earliest of its "serving" line (polled every 50 ms), a
    # session a screen opened and a connection the probes (trying every 250 ms) made.
    firsts = [t for r in records for t in r.opened if t > exited]
    firsts += [t for p in probes for t in p.http.connected_at if t > exited]
    listening = min([seen, *firsts])
    rejoin = _rejoin_times(records, desk.calls, listening)
    # At the end, every screen should show the calls answered a couple of seconds before.
    settled = [n for t, n in desk.calls if t <= ended - 2.0]
    last_call = max(settled, default=0)
    stale = sum(1 for r in records if not r.boards or r.boards[-1][1] < last_call)

    after_samples = [s for s in samples if listening <= s.sent < listening + after]
    before_samples = [s for s in samples if s.sent < terminated]
    down_samples = [s for s in samples if terminated <= s.sent < listening]
    overall = _http_row(after_samples)
    finite = [t for t in rejoin if math.isfinite(t)]
    # Where the time went: the session opened again, then any board arrived.
    opened = [min((t for t in r.opened if t >= listening), default=math.inf) for r in records]
    boards = [min((t for t, _ in r.boards if t >= listening), default=math.inf) for r in records]
    row = {
        "mode": mode,
        "clients": clients,
        "addresses": len(set(addresses)),
        "join_s": join_s,
        "down_s": listening - terminated,
        "start_s": listening - exited,
        "open_p50_s": percentile(opened, 0.5) - listening,
        "open_p99_s": percentile(opened, 0.99) - listening,
        "board_p50_s": percentile(boards, 0.5) - listening,
        "board_p99_s": percentile(boards, 0.99) - listening,
        "rejoin_p50_s": percentile(rejoin, 0.5),
        "rejoin_p99_s": percentile(rejoin, 0.99),
        "rejoin_max_s": max(rejoin) if rejoin else math.nan,
        "within_10s": sum(1 for t in rejoin if t <= GOAL_REJOIN_S),
        "stuck_10s": sum(1 for t in rejoin if t > GOAL_REJOIN_S),
        "stuck_end": sum(1 for t in rejoin if not math.isfinite(t)),
        "stale_end": stale,
        "gave_up": sum(1 for r in records if r.gave_up is not None),
        "attempts": sum(r.attempts for r in records),
        "tcp_refused": sum(r.refused for r in records),
        "failed": sum(r.failed for r in records),
        "timeouts": sum(r.timeouts for r in records),
        "denied": sum(r.denied for r in records),
        "join_errors": sum(sum(r.errors.values()) for r in records),
        "http_n": overall["n"],
        "http_p50_ms": overall["p50_ms"],
        "http_p99_ms": overall["p99_ms"],
        "http_max_ms": overall["max_ms"],
        "http_err": overall["errors"],
        "http_refused_after": overall["refused"],
        "http_refused_down": _count(down_samples, "refused"),
        "http_err_down": len([s for s in down_samples if s.outcome.startswith("error")]),
        "before_http_p99_ms": _http_row(before_samples)["p99_ms"],
        "storm_cpu_pct": storm_cpu / min(after, GOAL_REJOIN_S) * 100,
        "server_cpu_pct": server_cpu / after * 100,
        "rss_mb": rss,
        "screens_cpu_s": screens_cpu,
        "after_s": after,
        "rejoin_finite_max_s": max(finite) if finite else math.nan,
        "first_error": overall["first_error"],
        "notes": "; ".join(desk.notes),
        "error_codes": _error_codes(records),
    }
    if dump:
        what = {"records": records, "samples": samples, "calls": desk.calls, "row": row}
        what |= {"terminated": terminated, "exited": exited, "listening": listening}
        with open(f"{dump}-{mode}.pickle", "wb") as fh:
            pickle.dump(what, fh)
    kinds = []
    for kind in ("desk", "kiosk", "page"):
        for phase, chosen in (("before", before_samples), ("after", after_samples)):
            mine = [s for s in chosen if s.kind == kind]
            kinds.append({"mode": mode, "kind": kind, "phase": phase, **_http_row(mine)})
    if not (row["stuck_end"] or row["stale_end"] or row["http_err"]):
        shutil.rmtree(server.instance, ignore_errors=True)  # kept, with its log, otherwise
    else:
        row["notes"] = f"{row['notes']} server's folder kept: {server.instance}".strip()
    return row, kinds


def _error_codes(records: list[Record]) -> str:
    codes: dict[str, int] = {}
    for record in records:
        for code, n in record.errors.items():
            codes[code] = codes.get(code, 0) + n
    return ", ".join(f"{code} x{n}" for code, n in sorted(codes.items()))


def _default_modes() -> str:
    from config import ASYNC_MODES

    return ",".join(m for m in ("eventlet", "gevent") if m in ASYNC_MODES)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument(
        "--modes", default=None, help="default: those of eventlet, gevent that config lists"
    )
    parser.add_argument("--per-address", type=int, default=1, help="screens per address")
    parser.add_argument("--before", type=float, default=5.0, help="seconds before the restart")
    parser.add_argument("--after", type=float, default=30.0, help="seconds measured after it")
    parser.add_argument(
        "--dump", help="write each mode's screens and requests to DUMP-<mode>.pickle"
    )
    args = parser.parse_args(argv)
    modes = (args.modes or _default_modes()).split(",")
    settings = client_settings()
    print(f"screens reconnect as {LIVE_SOCKET_JS.relative_to(ROOT)}: {settings}", flush=True)
    for path in PAGES_JS:
        if not uses_live_socket(path):
            print(f"!!! {path.name} does not reconnect through {LIVE_SOCKET_JS.name}", flush=True)
    raise_open_files()
    rows, kinds = [], []
    for mode in modes:
        print(f"... {mode}, {args.clients} screens, restart after {args.before:g} s", flush=True)
        row, mode_kinds = run(
            mode, args.clients, args.per_address, args.before, args.after, settings, args.dump
        )
        rows.append(row)
        kinds += mode_kinds
    print()
    print(
        table(
            rows,
            [
                "mode",
                "clients",
                "addresses",
                "down_s",
                "start_s",
                "open_p50_s",
                "open_p99_s",
                "board_p50_s",
                "board_p99_s",
                "rejoin_p50_s",
                "rejoin_p99_s",
                "rejoin_max_s",
                "within_10s",
                "stuck_10s",
                "stuck_end",
                "stale_end",
                "gave_up",
                "attempts",
                "tcp_refused",
                "failed",
                "timeouts",
                "denied",
                "join_errors",
            ],
        )
    )
    print()
    print(
        table(
            rows,
            [
                "mode",
                "http_n",
                "http_p50_ms",
                "http_p99_ms",
                "http_max_ms",
                "http_err",
                "http_refused_after",
                "http_refused_down",
                "http_err_down",
                "before_http_p99_ms",
                "storm_cpu_pct",
                "server_cpu_pct",
                "rss_mb",
                "screens_cpu_s",
            ],
        )
    )
    print()
    print(table(kinds, ["mode", "kind", "phase", "n", "p50_ms", "p99_ms", "max_ms", "errors"]))
    for row in rows:
        for key in ("note", "first_error", "notes", "error_codes"):
            if row.get(key):
                print(f"{row['mode']}: {key}: {row[key]}")
    return rows


def goals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        name = f"{row['mode']}, {row['clients']:,} screens restarted"
        if "note" in row:
            out.append(goal_row("storm", f"{name}: joined before", row["note"], "all", False))
            continue
        out.append(
            goal_row(
                "storm",
                f"{name}: current board within 10 s of listening",
                f"{row['within_10s']:,} (p99 {row['rejoin_p99_s']:.1f} s)",
                f"all {row['clients']:,}",
                row["stuck_10s"] == 0,
            )
        )
        out.append(
            goal_row(
                "storm",
                f"{name}: HTTP desk/kiosk/page meanwhile",
                f"p99 {row['http_p99_ms']:.0f} ms, {row['http_err']} errors",
                f"p99 <= {GOAL_HTTP_MS:.0f} ms",
                row["http_p99_ms"] <= GOAL_HTTP_MS and not row["http_err"],
            )
        )
        out.append(
            goal_row(
                "storm",
                f"{name}: screens stuck offline after {row['after_s']:g} s",
                f"{row['stuck_end']} without a board, {row['stale_end']} behind at the end",
                "0",
                row["stuck_end"] == 0 and row["stale_end"] == 0,
            )
        )
    return out


if __name__ == "__main__":
    main()
