"""Floors: what the bare stack (Flask and Flask-SocketIO on eventlet's WSGI server, SQLite or
PostgreSQL) does under the same load as a Loket benchmark, so each Loket figure can be read
against the least any app on this stack and this machine could do.

    python -m bench.floor [--clients 8] [--seconds 10] [--db sqlite,postgresql]
                          [--screens 500] [--rate 300]

The floor's server is bench/floor_server.py in a process of its own on a free port: ``POST
/commit`` is one INSERT and its commit into a one-table database (SQLite with Loket's pragmas,
or a fresh PostgreSQL database next to TEST_DATABASE_URL's), ``POST /emit`` sends one Socket.IO
event to a room. Other benchmarks call:

* ``http_commit(clients=8, seconds=10, db="sqlite", rate=None)``: ``clients`` keep-alive HTTP
  clients posting as fast as answered (with ``rate``: that many a second offered in all, latency
  counted from when each was due, as bench.core's open loop); returns n, per_s, p50_ms, p99_ms,
  cpu_ms (the server's CPU per request);
* ``fanout(clients=500, seconds=10, interval=0.1, groups=0)``: ``clients`` lean Socket.IO
  screens (bench.screens.LeanScreen) joined to one room, one HTTP POST every ``interval``
  seconds that emits ``called`` to it; latency from sending the POST to each screen receiving
  the event; returns calls, deliveries, missing, p50_ms, p99_ms, server_cpu_pct, rss_mb. With
  ``groups`` (bench.phones's load): each client in a room of its own, as a phone following its
  ticket, split into that many groups (a service's phones); each POST emits one event to every
  room of the next group in turn;
* ``beside_core(rows, seconds)``: adds ``floor`` and ``x_floor`` to bench.core's rows.

``x_floor`` is how many times worse than the floor a figure is: for a rate, the floor's rate over
Loket's; for a latency, Loket's p99 over the floor's; 1.0 is the floor itself.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.harness import SERVICES, Client, percentile, raise_open_files, summary, table
from bench.live import ROOT
from bench.screens import LeanScreen

ROOM = "kupang"


class FloorServer:
    """bench/floor_server.py in a subprocess: ``db`` is "sqlite" (a file in a folder of its own)
    or a PostgreSQL URL (a fresh database is made next to it and dropped at ``stop``)."""

    def __init__(self, db: str = "sqlite") -> None:
        self.db = db
        self.folder = Path(tempfile.mkdtemp(prefix="loket-floor-"))
        self.database_url = ""
        self.port = 0
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> FloorServer:
        if self.db == "sqlite":
            self.database_url = f"sqlite:///{self.folder / 'floor.db'}"
        else:
            from bench.databases import fresh_database

            self.database_url = fresh_database(self.db, "loket_floor")
        log = (self.folder / "server.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.floor_server", "--db", self.database_url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        log.close()
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode()
            if line.startswith("floor serving on "):
                self.port = int(line.split()[-1])
                return self
            if not line and self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"the floor server did not start:\n{self.log()}")

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process and self.process.stdout:
            self.process.stdout.close()
        if self.database_url.startswith("postgresql"):
            from bench.databases import drop_database

            drop_database(self.db, self.database_url)
            self.database_url = ""
        shutil.rmtree(self.folder, ignore_errors=True)

    def cpu_seconds(self) -> float:
        assert self.process is not None
        with open(f"/proc/{self.process.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        assert self.process is not None
        with open(f"/proc/{self.process.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0


@contextmanager
def floor_server(db: str = "sqlite") -> Iterator[FloorServer]:
    server = FloorServer(db).start()
    try:
        yield server
    finally:
        server.stop()


def _database(db: str) -> str:
    """ "sqlite", a PostgreSQL URL, or "postgresql": TEST_DATABASE_URL's server (default the
    local one the tests use)."""
    if db == "postgresql":
        return os.environ.get("TEST_DATABASE_URL") or SERVICES["TEST_DATABASE_URL"]
    return db


# ---------- one INSERT + commit over HTTP ----------


def _commit_closed(server: FloorServer, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        me = Client(server.port)
        mine = []
        n = index
        while time.perf_counter() < deadline:
            status, body, elapsed = me.request("POST", "/commit", {"service": "ABCDEFGH"[n % 8]})
            assert status == 201, body
            mine.append(elapsed)
            n += 1
        with lock:
            latencies.extend(mine)

    cpu = server.cpu_seconds()
    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = summary(latencies, time.perf_counter() - start)
    result["cpu_ms"] = (server.cpu_seconds() - cpu) / max(1, len(latencies)) * 1000
    return result


def _commit_open(server: FloorServer, clients: int, seconds: float, rate: float) -> dict:
    total = int(rate * seconds)
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    due = [start + i / rate for i in range(total)]
    cursor = iter(range(total))
    cursor_lock = threading.Lock()

    def worker(_: int) -> None:
        me = Client(server.port)
        mine = []
        while True:
            with cursor_lock:
                index = next(cursor, None)
            if index is None:
                break
            wait = due[index] - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            status, body, _elapsed = me.request("POST", "/commit", {"service": "A"})
            assert status == 201, body
            mine.append(time.perf_counter() - due[index])
        with lock:
            latencies.extend(mine)

    cpu = server.cpu_seconds()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = summary(latencies, time.perf_counter() - start)
    result["cpu_ms"] = (server.cpu_seconds() - cpu) / max(1, len(latencies)) * 1000
    return result


def http_commit(
    clients: int = 8,
    seconds: float = 10.0,
    db: str = "sqlite",
    rate: float | None = None,
    server: FloorServer | None = None,
) -> dict[str, float]:
    """The floor of issuing over HTTP: ``clients`` keep-alive clients each posting one INSERT +
    commit as soon as the last was answered (closed loop), or with ``rate`` that many a second
    offered in all through ``clients`` workers (open loop, latency from when each was due).
    ``db``: "sqlite", "postgresql" (TEST_DATABASE_URL's server) or a PostgreSQL URL. Returns n,
    per_s, p50_ms, p99_ms, mean_ms, cpu_ms. Pass a running ``server`` to reuse one."""
    if server is None:
        with floor_server(_database(db)) as own:
            return http_commit(clients, seconds, db, rate, own)
    # Half a second's warm-up: the pool's connections made, the file's first pages touched.
    _commit_closed(server, clients, 0.5)
    if rate:
        return _commit_open(server, clients, seconds, rate)
    return _commit_closed(server, clients, seconds)


# ---------- one HTTP POST -> one emit to a room of screens ----------


async def _fanout(
    server: FloorServer, count: int, seconds: float, interval: float, groups: int = 0
) -> dict:
    arrivals: dict[str, list[float]] = {}
    rooms = [f"p{i}" for i in range(count)] if groups else [ROOM] * count
    members = [rooms[g::groups] for g in range(groups)] if groups else [[ROOM]]
    joined = asyncio.Event()
    tally = [0, 0]  # joined, refused

    def on_event(screen: LeanScreen, name: str, payload: Any) -> None:
        if name == "called":
            arrivals.setdefault(payload["code"], []).append(time.perf_counter())
        elif name == "board" and not getattr(screen, "counted", False):
            screen.counted = True
            tally[0] += 1
            if tally[0] >= count:
                joined.set()

    async def run(screen: LeanScreen) -> None:
        try:
            await screen.run()
        except (OSError, asyncio.IncompleteReadError):
            tally[1] += 1

    tasks = []
    for i in range(count):
        screen = LeanScreen(server.port, {"office": rooms[i]}, on_event)
        tasks.append(asyncio.create_task(run(screen)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)  # in bursts, as bench.fanout connects them
    try:
        await asyncio.wait_for(joined.wait(), timeout=120)
    except TimeoutError:
        raise RuntimeError(f"{tally[0]} of {count} screens joined in 120 s") from None

    sent: dict[str, tuple[float, int]] = {}  # code -> (sent at, screens it is for)
    errors: list[str] = []

    def drive() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        start = time.perf_counter()
        n = 0
        while time.perf_counter() - start < seconds:
            wait = start + n * interval - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            code = f"A-{n + 1:03d}"
            group = members[n % len(members)]
            n += 1
            body = {"rooms": group, "code": code} if groups else {"room": ROOM, "code": code}
            at = time.perf_counter()
            conn.request("POST", "/emit", json.dumps(body), headers)
            response = conn.getresponse()
            response.read()
            if response.status != 204:
                errors.append(str(response.status))
                continue
            sent[code] = (at, count if not groups else len(group))

    cpu = server.cpu_seconds()
    driver = threading.Thread(target=drive, daemon=True)
    driver.start()
    while driver.is_alive():
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # the last calls arrive
    server_cpu = server.cpu_seconds() - cpu
    rss = server.rss_mb()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies, missing = [], 0
    for code, (at, expected) in sent.items():
        got = arrivals.get(code, [])
        missing += expected - len(got)
        latencies += [t - at for t in got]
    return {
        "calls": len(sent),
        "deliveries": len(latencies),
        "missing": missing,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "server_cpu_pct": server_cpu / seconds * 100,
        "rss_mb": rss,
        "errors": len(errors),
    }


def fanout(
    clients: int = 500,
    seconds: float = 10.0,
    interval: float = 0.1,
    server: FloorServer | None = None,
    groups: int = 0,
) -> dict[str, float]:
    """The floor of bench.fanout's load: ``clients`` screens joined to one room, a POST every
    ``interval`` seconds that emits one event to the room. Returns calls, deliveries, missing,
    p50_ms, p99_ms, server_cpu_pct, rss_mb, errors. Raises RuntimeError when not every screen
    joined within 120 s."""
    if server is None:
        with floor_server("sqlite") as own:
            return fanout(clients, seconds, interval, own, groups)
    raise_open_files()
    return asyncio.run(_fanout(server, clients, seconds, interval, groups))


# ---------- beside bench.core's rows ----------

# bench.core's measure -> the floor of its load shape: (clients, offered rate, figure compared).
# A call-next row counts calls, and each call is a call-next and a finish: two commits.
CORE_SHAPES: dict[str, tuple[int, float | None, str]] = {
    "issue, 4 kiosks flat out": (4, None, "rate"),
    "issue, 300/s offered": (16, 300, "p99"),
    "call-next, 5 counters flat out": (5, None, "rate/2"),
    "call-next, 25/s + 100 issues/s": (21, 125, "p99"),
}


def compare(row: dict[str, Any], floor: dict[str, float], figure: str) -> None:
    """Put the floor's figure and ``x_floor`` in ``row`` (a Loket row with per_s / p99_ms)."""
    if figure.startswith("rate"):
        rate = floor["per_s"] / (2 if figure == "rate/2" else 1)
        row["floor"] = f"{rate:,.0f}/s"
        row["x_floor"] = rate / row["per_s"] if row.get("per_s") else float("nan")
    else:
        row["floor"] = f"p99 {floor['p99_ms']:.1f} ms"
        row["x_floor"] = row["p99_ms"] / floor["p99_ms"] if floor["p99_ms"] else float("nan")


def beside_core(
    rows: list[dict[str, Any]], seconds: float, pg_url: str | None = None
) -> list[dict[str, Any]]:
    """Add ``floor`` and ``x_floor`` to each of bench.core's rows: the floor measured once per
    database and load shape, after Loket's servers have stopped. ``pg_url``: a PostgreSQL server
    to make the floor's database on (default TEST_DATABASE_URL's)."""
    by_db: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("measure") in CORE_SHAPES:
            by_db.setdefault(row["case"].split(", ", 1)[0], []).append(row)
    for database, mine in by_db.items():
        db = "sqlite" if database == "sqlite" else (pg_url or _database("postgresql"))
        print(f"... the floor on {database}", flush=True)
        measured: dict[str, dict[str, float]] = {}
        with floor_server(db) as server:
            for row in mine:
                clients, rate, figure = CORE_SHAPES[row["measure"]]
                if row["measure"] not in measured:
                    measured[row["measure"]] = http_commit(clients, seconds, db, rate, server)
                compare(row, measured[row["measure"]], figure)
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="HTTP clients (closed loop)")
    parser.add_argument("--rate", type=float, default=300, help="offered rate (open loop)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--screens", default="500", help="fan-out screens, e.g. 100,500,2000")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for database in args.db.split(","):
        with floor_server(_database(database)) as server:
            print(f"... {database}: one INSERT + commit per request", flush=True)
            closed = http_commit(args.clients, args.seconds, database, None, server)
            opened = http_commit(16, args.seconds, database, args.rate, server)
        rows.append({"floor": f"{database}: {args.clients} clients flat out", **closed})
        rows.append({"floor": f"{database}: {args.rate:.0f}/s offered", **opened})
    print(table(rows, ["floor", "n", "per_s", "p50_ms", "p99_ms", "cpu_ms"]))
    fan_rows = []
    for count in (int(c) for c in args.screens.split(",") if c):
        print(f"... fan-out to {count} screens", flush=True)
        fan_rows.append({"screens": count, **fanout(count, args.seconds)})
    if fan_rows:
        print()
        print(
            table(
                fan_rows,
                [
                    "screens",
                    "calls",
                    "deliveries",
                    "missing",
                    "p50_ms",
                    "p99_ms",
                    "server_cpu_pct",
                    "rss_mb",
                ],
            )
        )
    return rows + fan_rows


if __name__ == "__main__":
    main()
