"""Fan-out: N screens joined to one office, a call every 100 ms.

    python -m bench.fanout [--clients 100,500,2000] [--modes eventlet,gevent,threading,redis]

For each async mode and N: the real server (``python wsgi.py``), N lean Socket.IO clients (raw
WebSocket with wsproto on one asyncio loop, so the load generator itself stays cheap) joined to
``kupang``, and a driver that sends call-next over HTTP every 100 ms (finishing the counter's
previous ticket first). Latency is from sending the call-next request to each client receiving
the ``called`` event. "redis" runs two eventlet processes on PostgreSQL with Redis, the clients
split between them and the calls made on the first.

Beside each row, the floor (bench.floor.fanout): the same clients on one room of a bare
Flask-SocketIO app, one event a POST, measured once per N after Loket's servers (``--no-floor``
skips it); ``x_floor`` is Loket's p99 over the floor's.

Goals on one process of this 2-core machine (issue 15): p99 <= 25 ms at 500 clients, <= 100 ms
at 2,000, server RSS <= 300 MB at 2,000; the summary (``goals``) gives them for eventlet and gevent.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import resource
import threading
import time
from typing import Any

from bench import floor
from bench.harness import Server, beside_floor, goal_row, percentile, raise_open_files, table
from bench.screens import LeanScreen

OFFICE = "kupang"
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/loket_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


class JoinFailed(Exception):
    """Not every client could connect and join."""


class Driver(threading.Thread):
    """Calls next every ``interval`` seconds over HTTP, alternating counters 1 and 2."""

    def __init__(self, port: int, token: str, seconds: float, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.seconds, self.interval = port, token, seconds, interval
        self.sent: dict[str, float] = {}
        self.errors: list[str] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        conn.request("GET", f"/api/v1/offices/{OFFICE}/counters")
        counters = [c["id"] for c in json.loads(conn.getresponse().read()) if "A" in c["services"]]
        held: dict[int, int] = {}
        start = time.perf_counter()
        n = 0
        while time.perf_counter() - start < self.seconds:
            due = start + n * self.interval
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            counter = counters[n % len(counters)]
            n += 1
            if counter in held:
                conn.request("POST", f"/api/v1/tickets/{held.pop(counter)}/finish", headers=headers)
                conn.getresponse().read()
            sent = time.perf_counter()
            conn.request("POST", f"/api/v1/counters/{counter}/call-next", headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                self.errors.append(f"{response.status} {body[:200]!r}")
                continue
            ticket = json.loads(body)
            self.sent[ticket["code"]] = sent
            held[counter] = ticket["id"]


async def _connect_all(
    ports: list[int], count: int, arrivals: dict[str, list[float]]
) -> tuple[list[asyncio.Task], float]:
    joined = asyncio.Event()
    counter = [0, 0]  # joined, failed

    def on_event(screen: LeanScreen, name: str, payload: Any) -> None:
        if name == "called":
            arrivals.setdefault(payload["code"], []).append(time.perf_counter())
        elif name == "board" and not getattr(screen, "counted", False):
            screen.counted = True
            counter[0] += 1
            if counter[0] >= count:
                joined.set()

    async def run(screen: LeanScreen) -> None:
        try:
            await screen.run()
        except (OSError, asyncio.IncompleteReadError):
            counter[1] += 1  # refused or reset by the server

    tasks = []
    started = time.perf_counter()
    for i in range(count):
        screen = LeanScreen(ports[i % len(ports)], {"office": OFFICE}, on_event)
        tasks.append(asyncio.create_task(run(screen)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)  # connect in bursts, as TVs and phones do
    try:
        await asyncio.wait_for(joined.wait(), timeout=120)
    except TimeoutError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise JoinFailed(
            f"{counter[0]} of {count} joined in 120 s, {counter[1]} refused or reset"
        ) from None
    return tasks, time.perf_counter() - started


async def _measure(servers: list[Server], token: str, count: int, seconds: float) -> dict:
    arrivals: dict[str, list[float]] = {}
    tasks, join_s = await _connect_all([s.port for s in servers], count, arrivals)
    cpu_server = sum(s.cpu_seconds() for s in servers)
    cpu_self = resource.getrusage(resource.RUSAGE_SELF)
    driver = Driver(servers[0].port, token, seconds)
    driver.start()
    while driver.is_alive():
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # let the last calls arrive
    used_self = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = sum(s.cpu_seconds() for s in servers) - cpu_server
    rss = sum(s.rss_mb() for s in servers)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = []
    missing = 0
    for code, sent in driver.sent.items():
        got = arrivals.get(code, [])
        missing += count - len(got)
        latencies += [t - sent for t in got]
    load_cpu = (used_self.ru_utime + used_self.ru_stime) - (cpu_self.ru_utime + cpu_self.ru_stime)
    return {
        "calls": len(driver.sent),
        "deliveries": len(latencies),
        "missing": missing,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "server_cpu_pct": server_cpu / seconds * 100,
        "rss_mb": rss,
        "loadgen_cpu_pct": load_cpu / seconds * 100,
        "join_s": join_s,
        "errors": len(driver.errors),
    }


def _servers(mode: str) -> list[Server]:
    if mode == "redis":
        from bench.core import reset_postgres

        reset_postgres()
        env = {"MESSAGE_QUEUE_URL": REDIS_URL}
        return [
            Server(database_url=PG_URL, extra_env=env),
            Server(database_url=PG_URL, extra_env=env),
        ]
    return [Server(async_mode=mode)]


def run(mode: str, count: int, seconds: float) -> dict[str, Any]:
    servers = _servers(mode)
    tokens = servers[0].prepare()
    for server in servers:
        server.start()
    try:
        # Enough waiting tickets for a call every 100 ms.
        conn = http.client.HTTPConnection("127.0.0.1", servers[0].port, timeout=30)
        headers = {"Authorization": f"Bearer {tokens['kiosk']}", "Content-Type": "application/json"}
        for _ in range(int(seconds * 10) + 20):
            conn.request(
                "POST",
                f"/api/v1/offices/{OFFICE}/tickets",
                body='{"service": "A"}',
                headers=headers,
            )
            conn.getresponse().read()
        result = asyncio.run(_measure(servers, tokens["operator"], count, seconds))
    except JoinFailed as err:
        result = {"note": str(err), "rss_mb": sum(s.rss_mb() for s in servers)}
    finally:
        for server in servers:
            server.stop()
    label = "2 x eventlet + Redis" if mode == "redis" else mode
    return {"mode": label, "clients": count, **result}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", default="100,500,2000")
    parser.add_argument("--modes", default="eventlet,gevent,threading,redis")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--no-floor", action="store_true", help="skip the floor beside each row")
    args = parser.parse_args(argv)
    raise_open_files()
    rows = []
    for mode in args.modes.split(","):
        for count in (int(c) for c in args.clients.split(",")):
            print(f"... {mode}, {count} clients", flush=True)
            rows.append(run(mode, count, args.seconds))
    if not args.no_floor:
        floors: dict[int, dict[str, float]] = {}
        for row in rows:
            if "p99_ms" not in row:
                continue
            if row["clients"] not in floors:
                print(f"... the floor, {row['clients']} clients", flush=True)
                floors[row["clients"]] = floor.fanout(row["clients"], args.seconds)
            floor.compare(row, floors[row["clients"]], "p99")
    print()
    print(
        table(
            rows,
            [
                "mode",
                "clients",
                "calls",
                "deliveries",
                "missing",
                "p50_ms",
                "p99_ms",
                "max_ms",
                "server_cpu_pct",
                "rss_mb",
                "loadgen_cpu_pct",
                "join_s",
                "floor",
                "x_floor",
            ],
        )
    )
    return rows


def goals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        if row["mode"] not in ("eventlet", "gevent"):  # the green modes, side by side
            continue
        name = f"{row['mode']}, {row['clients']:,} screens"
        if "p99_ms" not in row:  # not every screen joined
            out.append(goal_row("fanout", f"{name}: joined", row.get("note", ""), "all", False))
            continue
        out.append(
            goal_row(
                "fanout",
                f"{name}: calls missing a screen",
                str(row["missing"]),
                "0",
                row["missing"] == 0,
            )
        )
        if row["clients"] == 500:
            out.append(
                goal_row(
                    "fanout",
                    f"{name}: call to screen",
                    f"p99 {row['p99_ms']:.0f} ms",
                    "p99 <= 25 ms",
                    row["p99_ms"] <= 25,
                    beside_floor(row),
                )
            )
        if row["clients"] == 2000:
            out.append(
                goal_row(
                    "fanout",
                    f"{name}: call to screen",
                    f"p99 {row['p99_ms']:.0f} ms",
                    "p99 <= 100 ms",
                    row["p99_ms"] <= 100,
                    beside_floor(row),
                )
            )
            out.append(
                goal_row(
                    "fanout",
                    f"{name}: server memory",
                    f"{row['rss_mb']:.0f} MB",
                    "<= 300 MB",
                    row["rss_mb"] <= 300,
                )
            )
    return out


if __name__ == "__main__":
    main()
