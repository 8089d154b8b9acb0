"""Join flood: anonymous Socket.IO clients looping on ``join`` while HTTP board requests and a
kiosk go on.

    python -m bench.join_flood [--modes eventlet,gevent,threading] [--seconds 10] [--flooders 4]
                               [--once]

For each async mode: the real server (``python wsgi.py``) with its default Socket.IO limits (10
joins a minute per connection, 300 joins and 300 connections a minute per address), then two
phases of the same probes from 127.0.0.1:

* baseline: HTTP ``GET /api/v1/offices/kupang/board`` from 4 threads, each every 100 ms (40/s),
  and a kiosk issuing a ticket every 500 ms (so the board's seq changes), for
  ``min(--seconds, 5)`` seconds;
* flood: the same, for ``--seconds``, while ``--flooders`` clients, each from its own loopback
  address (127.0.0.2, 127.0.0.3, ...; 127.0.0.1 is exempt from the limits), connect, send
  ``--repeat`` joins of ``kupang`` at once and reconnect as soon as the connection is closed or
  refused. The flooders run in a process of their own (raw WebSocket on asyncio, as the screens
  of bench.fanout), so they do not hold the GIL of the probes.

The HTTP rate limit for anonymous requests is raised for the benchmark's server so the probes
themselves are not refused (the Socket.IO limits, the subject here, stay at their defaults).
Latency is from sending a request to reading its whole answer. Per flooder: connections made,
joins sent, boards received, ``too_many_joins`` errors, connections closed by the server after
joining and connections refused (``rate_limited``, or reset before the namespace connected).

Goal (issue 10, hole 4): HTTP board p99 < 300 ms during the flood (it was 8.5 s when every join
built a board).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import queue as queue_module
import re
import resource
import shutil
import sys
import threading
import time
from collections import Counter
from typing import Any

from wsproto.events import CloseConnection, TextMessage

from bench.harness import Server, goal_row, percentile, raise_open_files, table
from bench.screens import LeanScreen

OFFICE = "kupang"
BOARD_PATH = f"/api/v1/offices/{OFFICE}/board"
PROBES = 4  # HTTP threads
PROBE_INTERVAL = 0.1  # seconds between one thread's board requests
ISSUE_INTERVAL = 0.5  # seconds between the kiosk's tickets
HTTP_TIMEOUT = 15.0
BASELINE_SECONDS = 5.0
GOAL_MS = 300
STAT_KEYS = ("connections", "joins_sent", "boards", "too_many_joins", "other_errors")
STAT_KEYS += ("closed", "refused")


# -- the flooders (in a process of their own) ------------------------------------------------


class ServerClosed(Exception):
    """The server sent a WebSocket close frame."""


class FloodScreen(LeanScreen):
    """A LeanScreen that remembers whether its joins went out (the namespace connected) and
    drops the connection as soon as the server sends a WebSocket close frame, to reconnect at
    once (the threading and gevent servers, on simple-websocket, wait for the client's close
    frame before they drop the socket; the eventlet server does not wait)."""

    joins_sent = 0

    def _handle(self, event: Any) -> bytes | None:
        if isinstance(event, CloseConnection):
            raise ServerClosed
        out = super()._handle(event)
        if out and isinstance(event, TextMessage) and event.data.startswith("40"):
            self.joins_sent = self.repeat
        return out


async def _flood_one(
    port: int,
    bind: str,
    repeat: int,
    stats: dict[str, Any],
    stopping: asyncio.Event,
    once: bool = False,
) -> None:
    """Connect, flood, and do it again as soon as the connection is closed, until stopped."""
    if once:
        await asyncio.sleep(1.0)  # into the probes' phase
    while not stopping.is_set():
        if once and stats["connections"]:
            await stopping.wait()  # the issue's flood: one connection, its joins sent once
            break
        refused = asyncio.Event()

        def on_event(screen: LeanScreen, name: str, payload: Any, refused=refused) -> None:
            if name == "board":
                stats["boards"] += 1
                stats["seqs"].add(payload.get("seq") if isinstance(payload, dict) else None)
            elif name == "error":
                code = payload.get("code") if isinstance(payload, dict) else None
                stats["too_many_joins" if code == "too_many_joins" else "other_errors"] += 1
            elif name == "connect_error":
                refused.set()

        screen = FloodScreen(port, {"office": OFFICE}, on_event, bind=bind, repeat=repeat)
        stats["connections"] += 1
        run = asyncio.create_task(screen.run())
        waits = [asyncio.create_task(refused.wait()), asyncio.create_task(stopping.wait())]
        done, pending = await asyncio.wait([run, *waits], return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        stats["joins_sent"] += screen.joins_sent
        if run not in done:
            if stopping.is_set():
                break  # still open when the phase ended: neither closed nor refused
            failed = None  # refused (connect_error): dropped by us
        else:
            failed = run.exception()  # None: the server closed the socket, or ServerClosed
            failed = None if isinstance(failed, ServerClosed) else failed
        if refused.is_set() or not screen.joins_sent:
            stats["refused"] += 1  # rate_limited, or refused or reset before the namespace
            if failed is not None:
                await asyncio.sleep(0.01)  # e.g. the connection itself refused: do not spin
        else:
            stats["closed"] += 1  # closed by the server after its joins


async def _flood_all(
    port: int, addresses: list[str], repeat: int, started: Any, stop: Any, once: bool
) -> list[dict[str, Any]]:
    stats = [{"address": a, **dict.fromkeys(STAT_KEYS, 0), "seqs": set()} for a in addresses]
    stopping = asyncio.Event()
    tasks = [
        asyncio.create_task(_flood_one(port, address, repeat, s, stopping, once))
        for address, s in zip(addresses, stats, strict=True)
    ]
    started.set()
    while not stop.is_set():
        await asyncio.sleep(0.05)
    stopping.set()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=30)
    for s in stats:
        s["seqs"] = len(s["seqs"])
    return stats


def _cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def _flood_process(
    port: int,
    addresses: list[str],
    repeat: int,
    started: Any,
    stop: Any,
    results: Any,
    once: bool,
) -> None:
    raise_open_files()
    cpu = _cpu_seconds()
    stats = asyncio.run(_flood_all(port, addresses, repeat, started, stop, once))
    results.put((stats, _cpu_seconds() - cpu))


# -- the probes (threads of this process) ----------------------------------------------------


class Paced(threading.Thread):
    """One keep-alive HTTP connection sending a request every ``interval`` seconds (a late
    request is sent at once and the slots it missed are skipped) until ``seconds`` are up."""

    def __init__(
        self,
        port: int,
        method: str,
        path: str,
        seconds: float,
        interval: float,
        offset: float = 0.0,
        token: str | None = None,
        body: Any = None,
        expect: int = 200,
    ) -> None:
        super().__init__(daemon=True)
        self.port, self.method, self.path = port, method, path
        self.seconds, self.interval, self.offset = seconds, interval, offset
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.body = json.dumps(body).encode() if body is not None else None
        self.expect = expect
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)

    def run(self) -> None:
        conn = self._connect()
        start = time.perf_counter()
        n = 0
        while True:
            now = time.perf_counter()
            due = start + self.offset + n * self.interval
            if due - start >= self.seconds:
                break
            if due > now:
                time.sleep(due - now)
            else:
                n += int((now - due) / self.interval)  # skip the slots already missed
            n += 1
            sent = time.perf_counter()
            try:
                conn.request(self.method, self.path, body=self.body, headers=self.headers)
                response = conn.getresponse()
                raw = response.read()
                if response.status != self.expect:
                    self.errors.append(f"{response.status} {raw[:120]!r}")
            except (OSError, http.client.HTTPException) as err:
                self.errors.append(repr(err))
                conn.close()
                conn = self._connect()
            self.latencies.append(time.perf_counter() - sent)
        conn.close()


def _probe(port: int, kiosk: str, seconds: float) -> dict[str, Any]:
    """Board requests from PROBES threads and a kiosk issuing, for ``seconds``."""
    boards = [
        Paced(port, "GET", BOARD_PATH, seconds, PROBE_INTERVAL, offset=i * PROBE_INTERVAL / PROBES)
        for i in range(PROBES)
    ]
    ticket = {"service": "A", "print": False}
    issues = Paced(
        port,
        "POST",
        f"/api/v1/offices/{OFFICE}/tickets",
        seconds,
        ISSUE_INTERVAL,
        token=kiosk,
        body=ticket,
        expect=201,
    )
    threads = [*boards, issues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    http_latencies = [t for probe in boards for t in probe.latencies]
    http_errors = [e for probe in boards for e in probe.errors]
    return {
        "http_n": len(http_latencies),
        "http_p50_ms": percentile(http_latencies, 0.5) * 1000,
        "http_p99_ms": percentile(http_latencies, 0.99) * 1000,
        "http_max_ms": max(http_latencies) * 1000 if http_latencies else float("nan"),
        "http_err": len(http_errors),
        "issue_n": len(issues.latencies),
        "issue_p99_ms": percentile(issues.latencies, 0.99) * 1000,
        "issue_err": len(issues.errors),
        "first_error": (http_errors or issues.errors or [""])[0],
    }


def _flood_phase(
    server: Server, kiosk: str, seconds: float, addresses: list[str], repeat: int, once: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ctx = multiprocessing.get_context("spawn")
    started, stop, results = ctx.Event(), ctx.Event(), ctx.Queue()
    flood = ctx.Process(
        target=_flood_process,
        args=(server.port, addresses, repeat, started, stop, results, once),
        daemon=True,
    )
    flood.start()
    try:
        if not started.wait(30):
            raise RuntimeError("the flooders did not start within 30 s")
        time.sleep(0.5)  # let the flood get going
        cpu = server.cpu_seconds()
        probed = _probe(server.port, kiosk, seconds)
        cpu = server.cpu_seconds() - cpu
        stop.set()
        try:
            per_flooder, flood_cpu = results.get(timeout=60)
        except queue_module.Empty:
            per_flooder, flood_cpu = [], float("nan")
        flood.join(10)
    finally:
        stop.set()
        if flood.is_alive():
            flood.terminate()
            flood.join(10)
    totals = {k: sum(f[k] for f in per_flooder) for k in STAT_KEYS}
    # The flooders' CPU is over their whole run (a little longer than the probes').
    cpus = {"server_cpu_pct": cpu / seconds * 100, "flood_cpu_pct": flood_cpu / seconds * 100}
    return {**probed, **totals, **cpus}, per_flooder


def _tracebacks(server: Server) -> int:
    """Tracebacks in the server's log so far."""
    return server.log().count("Traceback (most recent call last)")


def run(
    mode: str, seconds: float, flooders: int, repeat: int, once: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    server = Server(async_mode=mode, extra_env={"ANONYMOUS_RATE_LIMIT": "1000000 per minute"})
    tokens = server.prepare(("kiosk",))
    server.start()
    addresses = [f"127.0.0.{2 + i}" for i in range(flooders)]
    try:
        baseline_s = min(seconds, BASELINE_SECONDS)
        cpu = server.cpu_seconds()
        baseline = _probe(server.port, tokens["kiosk"], baseline_s)
        baseline["server_cpu_pct"] = (server.cpu_seconds() - cpu) / baseline_s * 100
        baseline["tracebacks"] = _tracebacks(server)
        flood, per_flooder = _flood_phase(server, tokens["kiosk"], seconds, addresses, repeat, once)
        flood["tracebacks"] = _tracebacks(server) - baseline["tracebacks"]
        if flood["tracebacks"]:
            kinds = Counter(
                line.strip()[:160]
                for line in server.log().splitlines()
                if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b", line.strip())
            )
            print(f"--- exceptions in the log of {mode}: {dict(kinds)}", file=sys.stderr)
    finally:
        server.stop()
    shutil.rmtree(server.instance, ignore_errors=True)  # kept (with its log) when a run fails
    rows = [
        {"mode": mode, "phase": "baseline", **baseline},
        {"mode": mode, "phase": f"flood {flooders}x{repeat}", **flood},
    ]
    return rows, [{"mode": mode, **f} for f in per_flooder]


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modes", default="eventlet,gevent,threading")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--flooders", type=int, default=4, help="flooding addresses, max 8")
    parser.add_argument("--repeat", type=int, default=600, help="joins sent at once")
    parser.add_argument(
        "--once",
        action="store_true",
        help="each flooder connects once, 1 s into the flood, and sends its joins once (the "
        "flood of issue 10) instead of reconnecting for the whole phase",
    )
    args = parser.parse_args(argv)
    flooders = max(1, min(args.flooders, 8))  # 127.0.0.2 .. 127.0.0.9
    raise_open_files()
    rows: list[dict[str, Any]] = []
    detail: list[dict[str, Any]] = []
    for mode in args.modes.split(","):
        print(f"... {mode}, {flooders} flooders x {args.repeat} joins", flush=True)
        mode_rows, mode_detail = run(mode, args.seconds, flooders, args.repeat, args.once)
        rows += mode_rows
        detail += mode_detail
    print()
    print(
        table(
            rows,
            [
                "mode",
                "phase",
                "http_n",
                "http_p50_ms",
                "http_p99_ms",
                "http_max_ms",
                "http_err",
                "issue_n",
                "issue_p99_ms",
                "joins_sent",
                "boards",
                "too_many_joins",
                "closed",
                "refused",
                "server_cpu_pct",
                "flood_cpu_pct",
                "tracebacks",
            ],
        )
    )
    errors = [r for r in rows if r.get("first_error")]
    for row in errors:
        print(f"{row['mode']} {row['phase']}: first error {row['first_error']}")
    print()
    print("per flooder:")
    print(
        table(
            detail,
            ["mode", "address", *STAT_KEYS, "seqs"],
        )
    )
    return rows


def goals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        if not row["phase"].startswith("flood"):
            continue
        p99 = row["http_p99_ms"]
        out.append(
            goal_row(
                "join_flood",
                f"{row['mode']}: HTTP board p99 during a join flood",
                f"p99 {p99:.0f} ms",
                f"< {GOAL_MS} ms",
                p99 < GOAL_MS and not row["http_err"],
            )
        )
    return out


if __name__ == "__main__":
    main()
