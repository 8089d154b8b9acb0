"""Scale-out: several server processes behind the nginx example, on PostgreSQL with Redis.

    python -m bench.scaleout [--processes 4] [--screens 5000] [--seconds 10]

The README's city layout, measured: ``deploy/nginx-loket.conf`` (only its ports and upstream
list changed) in front of N ``python wsgi.py`` processes (eventlet) on one PostgreSQL database,
relaying events through a Redis of the bench's own (started on a free port, so restarting it
disturbs nobody). S lean Socket.IO screens join ``kupang`` through nginx, each from its own
loopback address (127.x.y.z) as TVs and phones on a network are, so nginx spreads them over the
processes; a desk calls next over HTTP through nginx every 100 ms.

1. Call to screen: latency from sending call-next to each screen receiving its ``called`` event.
2. Redis restart: Redis is stopped for a few seconds while calls go on, then started again.
   Events published while it is away reach only the screens of the process that made them;
   the others catch up from the boards every process re-sends (BOARD_RESYNC_SECONDS) and from
   the next call's board. Measured: how long after Redis is back until every screen has seen a
   board at least as new as the office's last change (``seq``), and how many never did.

Goals (issue 15): 4 processes, 5,000 screens, call to screen p99 <= 250 ms; after a Redis
restart every screen catches up (none left behind).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.fanout import PG_URL, Driver
from bench.harness import Server, goal_row, percentile, raise_open_files, table
from bench.live import ROOT, free_port
from bench.screens import LeanScreen

OFFICE = "kupang"
EXAMPLE = ROOT / "deploy" / "nginx-loket.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
OUTAGE_S = 4.0


def source_address(i: int) -> str:
    """The i-th screen's own loopback address (Linux answers all of 127.0.0.0/8)."""
    return f"127.{1 + i // 62500}.{(i // 250) % 250 + 1}.{i % 250 + 1}"


def nginx_config(folder: Path, port: int, upstreams: list[int]) -> Path:
    """The example with its ports and upstreams replaced, in a main configuration with room
    for every screen (two descriptors each: the screen and its upstream)."""
    site = EXAMPLE.read_text()
    lines = [line for line in site.splitlines() if "server 127.0.0.1:500" not in line]
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("upstream loket"))
    lines[at + 1 : at + 1] = [f"    server 127.0.0.1:{p};" for p in upstreams]
    site = "\n".join(lines).replace("listen 80;", f"listen 127.0.0.1:{port} backlog=4096;")
    (folder / "loket.conf").write_text(site)
    main = folder / "nginx.conf"
    main.write_text(
        f"""daemon off;
worker_processes 1;
worker_rlimit_nofile 65536;
pid {folder}/nginx.pid;
error_log {folder}/error.log error;
events {{ worker_connections 30000; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/loket.conf;
}}
"""
    )
    return main


class Redis:
    """A redis-server of the bench's own, keeping nothing on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import socket

                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _office_seq(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"/api/v1/offices/{OFFICE}/board")
    return json.loads(conn.getresponse().read())["seq"]


async def _run_screens(
    port: int, count: int, seconds: float, token: str, redis: Redis
) -> dict[str, Any]:
    arrivals: dict[str, list[float]] = {}
    newest_seq: dict[int, int] = {}  # screen index -> newest board seq seen
    caught_up: dict[int, float] = {}
    target = {"seq": None}
    joined = asyncio.Event()
    state = {"joined": 0, "failed": 0}

    def handler(index: int):
        def on_event(screen: LeanScreen, name: str, payload: Any) -> None:
            if name == "called":
                arrivals.setdefault(payload["code"], []).append(time.perf_counter())
            elif name == "board":
                if index not in newest_seq:
                    state["joined"] += 1
                    if state["joined"] >= count:
                        joined.set()
                newest_seq[index] = max(newest_seq.get(index, 0), payload["seq"])
                want = target["seq"]
                if want is not None and index not in caught_up and newest_seq[index] >= want:
                    caught_up[index] = time.perf_counter()

        return on_event

    async def run(screen: LeanScreen) -> None:
        try:
            await screen.run()
        except (OSError, asyncio.IncompleteReadError):
            state["failed"] += 1

    tasks = []
    started = time.perf_counter()
    for i in range(count):
        screen = LeanScreen(port, {"office": OFFICE}, handler(i), bind=source_address(i))
        tasks.append(asyncio.create_task(run(screen)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    try:
        await asyncio.wait_for(joined.wait(), timeout=180)
    except TimeoutError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return {"note": f"{state['joined']} of {count} joined in 180 s, {state['failed']} failed"}
    join_s = time.perf_counter() - started

    # 1. Calls with Redis up.
    driver = Driver(port, token, seconds)
    driver.start()
    while driver.is_alive():
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    latencies, missing = [], 0
    for code, sent in driver.sent.items():
        got = arrivals.get(code, [])
        missing += count - len(got)
        latencies += [t - sent for t in got]

    # 2. Redis away for OUTAGE_S while calls go on, then back; calls go on for as long again.
    outage = Driver(port, token, 2 * OUTAGE_S + 2)
    outage.start()
    await asyncio.sleep(1.0)
    redis.stop()
    await asyncio.sleep(OUTAGE_S)
    redis.start()
    back = time.perf_counter()
    while outage.is_alive():
        await asyncio.sleep(0.05)
    target["seq"] = await asyncio.to_thread(_office_seq, port)
    for index, seq in newest_seq.items():
        if seq >= target["seq"]:
            caught_up.setdefault(index, time.perf_counter())
    deadline = time.perf_counter() + 45
    while len(caught_up) < count and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    catch_up = sorted(t - back for t in caught_up.values())
    return {
        "calls": len(driver.sent),
        "deliveries": len(latencies),
        "missing": missing,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "join_s": join_s,
        "errors": len(driver.errors) + len(outage.errors),
        "redis_catch_up_p99_s": percentile(catch_up, 0.99),
        "redis_catch_up_max_s": catch_up[-1] if catch_up else float("nan"),
        "left_behind": count - len(caught_up),
    }


def run(processes: int, screens: int, seconds: float) -> dict[str, Any]:
    from bench.core import reset_postgres

    reset_postgres()
    redis = Redis()
    redis.start()
    env = {
        "MESSAGE_QUEUE_URL": redis.url,
        "TRUSTED_PROXIES": "1",
        "ANONYMOUS_RATE_LIMIT": "1000000 per minute",
    }
    servers = [
        Server(database_url=PG_URL, extra_env=env if i == 0 else {**env, "PRINT_SPOOLER": "0"})
        for i in range(processes)
    ]
    tokens = servers[0].prepare()
    folder = Path(tempfile.mkdtemp(prefix="loket-nginx-"))
    nginx = None
    try:
        for server in servers:
            server.start()
        port = free_port()
        conf = nginx_config(folder, port, [s.port for s in servers])
        nginx = subprocess.Popen(
            [NGINX, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError((folder / "error.log").read_text()) from None
                time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {tokens['kiosk']}", "Content-Type": "application/json"}
        for _ in range(int((seconds + 2 * OUTAGE_S + 4) * 10) + 40):
            conn.request(
                "POST",
                f"/api/v1/offices/{OFFICE}/tickets",
                body='{"service": "A", "print": false}',
                headers=headers,
            )
            conn.getresponse().read()
        cpu0 = sum(s.cpu_seconds() for s in servers)
        started = time.perf_counter()
        result = asyncio.run(_run_screens(port, screens, seconds, tokens["operator"], redis))
        elapsed = time.perf_counter() - started
        result["server_cpu_pct"] = (sum(s.cpu_seconds() for s in servers) - cpu0) / elapsed * 100
        result["rss_mb"] = sum(s.rss_mb() for s in servers)
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
        for server in servers:
            server.stop()
        redis.stop()
    return {"setup": f"{processes} x eventlet + nginx + Redis", "screens": screens, **result}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--screens", default="5000")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    raise_open_files()
    rows = []
    for count in (int(c) for c in args.screens.split(",")):
        print(f"... {args.processes} processes, {count} screens", flush=True)
        rows.append(run(args.processes, count, args.seconds))
    print()
    print(
        table(
            rows,
            [
                "setup",
                "screens",
                "calls",
                "missing",
                "p50_ms",
                "p99_ms",
                "max_ms",
                "server_cpu_pct",
                "rss_mb",
                "join_s",
                "redis_catch_up_p99_s",
                "redis_catch_up_max_s",
                "left_behind",
            ],
        )
    )
    for row in rows:
        if "note" in row:
            print(f"{row['screens']} screens: {row['note']}")
    return rows


def goals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        name = f"{row['setup']}, {row['screens']:,} screens"
        if "note" in row:
            out.append(goal_row("scaleout", name, row["note"], "all join", False))
            continue
        out.append(
            goal_row(
                "scaleout",
                f"{name}: call to screen",
                f"p99 {row['p99_ms']:.0f} ms, {row['missing']} missing",
                "p99 <= 250 ms, 0 missing",
                row["p99_ms"] <= 250 and row["missing"] == 0,
            )
        )
        out.append(
            goal_row(
                "scaleout",
                f"{name}: after a Redis restart",
                f"all caught up in {row['redis_catch_up_max_s']:.1f} s, "
                f"{row['left_behind']} left behind",
                "0 left behind",
                row["left_behind"] == 0,
            )
        )
    return out


if __name__ == "__main__":
    main()
