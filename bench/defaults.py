"""`make run`'s defaults under the kiosks' load: tickets a second, latency, and the paper behind.

    python -m bench.defaults [--clients 8] [--seconds 20] [--no-floor]

The real server (``python wsgi.py``) as ``make run`` starts it: eventlet, the embedded SQLite
database, and no PRINTER_URL, so every ticket goes to the preview printer under the instance
folder (no message queue, no SMS, this process printing). ``--clients`` threads each keep one
HTTP/1.1 connection and issue tickets as the kiosk does (``POST /api/v1/offices/kupang/tickets``
with ``{"service", "priority": false}`` and an ``Idempotency-Key``; paper on, the default) as fast
as they are answered, for ``--seconds``. Measured: tickets a second, p50/p99, the server's CPU per
ticket (issuing and printing), and how long the print queue takes to drain once issuing stops
(``GET /api/v1/offices/kupang/printers`` every 50 ms until the server printer's queue is empty;
then every job is checked printed, and every ticket's bytes are in the preview folder).

Beside it the floor (bench.floor): the same clients posting one INSERT + commit to a bare
Flask app on the same server kind and database settings.

Goals (issue 15): p99 <= 50 ms and >= 280 tickets a second (3x the 86-93/s of the system it was
compared with); ``x_floor`` says how far from the floor each figure is.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sqlite3
import threading
import time
import uuid
from typing import Any

from bench import floor
from bench.harness import Server, goal_row, summary, table

OFFICE = "kupang"
ISSUE = f"/api/v1/offices/{OFFICE}/tickets?lang=id"
PRINTERS = f"/api/v1/offices/{OFFICE}/printers"
SERVICES = "ABCDEFGH"
RATE_GOAL = 280.0
P99_GOAL = 50.0
# What `make run` leaves unset: a value of these in this shell must not reach the server.
NOT_SET_BY_MAKE_RUN = (
    "PRINTER_URL",
    "PRINTER_PAPER",
    "TICKET_PREVIEW_DIR",
    "PRINT_SPOOLER",
    "MESSAGE_QUEUE_URL",
    "SMS_URL",
    "SMS_SPOOLER",
    "DATABASE_URL",
)


class DefaultsServer(Server):
    """bench.live's server with nothing but its own instance folder, port and host set."""

    @property
    def env(self) -> dict[str, str]:
        env = super().env
        for key in list(env):
            if key in NOT_SET_BY_MAKE_RUN or key.startswith("PRINTER_URL_"):
                del env[key]
        env["ASYNC_MODE"] = "eventlet"
        return env


class Kiosk:
    """One kiosk's keep-alive connection, issuing as the kiosk page does."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token = token

    def issue(self, service: str) -> tuple[dict[str, Any], float]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        body = json.dumps({"service": service, "priority": False})
        start = time.perf_counter()
        self.conn.request("POST", ISSUE, body=body, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - start
        ticket = json.loads(raw)
        if response.status != 201 or "print" not in ticket:
            raise AssertionError(f"{response.status} {raw[:300]!r}")
        return ticket, elapsed


def _queue(conn: http.client.HTTPConnection, token: str) -> int:
    conn.request("GET", PRINTERS, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    printers = json.loads(response.read())
    assert response.status == 200, printers
    return next(p["queue"] for p in printers if p["target"] == "server")


def _drain(port: int, token: str, timeout: float) -> float:
    """Seconds until the server printer's queue is empty (polled every 50 ms)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    while _queue(conn, token):
        if time.perf_counter() - start > timeout:
            raise AssertionError(f"the print queue did not drain within {timeout:.0f} s")
        time.sleep(0.05)
    return time.perf_counter() - start


def _jobs(server: DefaultsServer) -> dict[str, int]:
    with sqlite3.connect(server.instance / "loket.db") as conn:
        return dict(conn.execute("SELECT status, count(*) FROM print_jobs GROUP BY status"))


def run(clients: int, seconds: float) -> dict[str, Any]:
    server = DefaultsServer()
    tokens = server.prepare(("kiosk", "admin"))
    server.start()
    try:
        warm = Kiosk(server.port, tokens["kiosk"])
        for i in range(40):
            warm.issue(SERVICES[i % len(SERVICES)])
        _drain(server.port, tokens["admin"], 120)
        before = sum(_jobs(server).values())
        latencies: list[float] = []
        lock = threading.Lock()
        cpu = server.cpu_seconds()
        start = time.perf_counter()
        deadline = start + seconds

        def kiosk(index: int) -> None:
            me = Kiosk(server.port, tokens["kiosk"])
            mine, n = [], index
            while time.perf_counter() < deadline:
                _ticket, elapsed = me.issue(SERVICES[n % len(SERVICES)])
                mine.append(elapsed)
                n += 1
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        issued_s = time.perf_counter() - start
        cpu_issuing = server.cpu_seconds() - cpu
        drain_s = _drain(server.port, tokens["admin"], 600)
        cpu_all = server.cpu_seconds() - cpu
        jobs = _jobs(server)
        folder = server.instance / "tickets"
        kept = len(list(folder.glob("*.bin")))
        pictures = len(list(folder.glob("*.png")))
        rss = server.rss_mb()
    finally:
        server.stop()
    n = len(latencies)
    if jobs.get("printed", 0) != before + n or kept != before + n:
        raise AssertionError(f"{n} tickets: jobs {jobs}, {kept} previews kept (before: {before})")
    result = summary(latencies, issued_s)
    return {
        "measure": f"make run defaults: issue with paper, {clients} clients flat out",
        **result,
        "cpu_ms": cpu_issuing / max(1, n) * 1000,
        "cpu_print_ms": cpu_all / max(1, n) * 1000,
        "drain_s": drain_s,
        "pngs": pictures,
        "rss_mb": rss,
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--no-floor", action="store_true", help="skip the floor beside it")
    args = parser.parse_args(argv)
    print(f"... make run's defaults, {args.clients} clients, {args.seconds:.0f} s", flush=True)
    row = run(args.clients, args.seconds)
    rows = [row]
    if not args.no_floor:
        print("... the floor: one INSERT + commit per request, same clients", flush=True)
        bare = floor.http_commit(args.clients, args.seconds, "sqlite")
        row["floor_per_s"], row["floor_p99_ms"] = bare["per_s"], bare["p99_ms"]
        floor.compare(row, bare, "rate")
        row["x_floor_p99"] = row["p99_ms"] / bare["p99_ms"]
        rows.append({"measure": f"floor: INSERT + commit, {args.clients} clients", **bare})
    print()
    print(
        table(
            rows,
            ["measure", "n", "per_s", "p50_ms", "p99_ms", "cpu_ms", "cpu_print_ms", "drain_s"],
        )
    )
    if "floor" in row:
        print(
            f"x_floor (times worse than the floor): rate x{row['x_floor']:.2f}, "
            f"p99 x{row['x_floor_p99']:.2f}"
        )
    return rows


def goals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        if not row["measure"].startswith("make run defaults"):
            continue
        rate_floor = latency_floor = ""
        if "floor_per_s" in row:
            rate_floor = f"{row['floor_per_s']:.0f}/s (x{row['x_floor']:.2f})"
            latency_floor = f"p99 {row['floor_p99_ms']:.0f} ms (x{row['x_floor_p99']:.2f})"
        out.append(
            goal_row(
                "defaults",
                f"{row['measure']}: rate",
                f"{row['per_s']:.0f}/s",
                f">= {RATE_GOAL:.0f}/s",
                row["per_s"] >= RATE_GOAL,
                rate_floor,
            )
        )
        out.append(
            goal_row(
                "defaults",
                f"{row['measure']}: latency",
                f"p99 {row['p99_ms']:.0f} ms",
                f"p99 <= {P99_GOAL:.0f} ms",
                row["p99_ms"] <= P99_GOAL,
                latency_floor,
            )
        )
    return out


if __name__ == "__main__":
    main()
