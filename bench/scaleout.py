"""Scale-out: several server processes behind the nginx example, on PostgreSQL with Redis.

    python -m bench.scaleout [--processes 4] [--screens 5000] [--seconds 10] [--generators 4]

The README's city layout, measured: ``deploy/nginx-loket.conf`` (only its ports and upstream
list changed) in front of N ``python wsgi.py`` processes (eventlet) on one PostgreSQL database,
relaying events through a Redis of the bench's own (started on a free port, so restarting it
disturbs nobody). S lean Socket.IO screens join ``kupang`` through nginx, each from its own
loopback address (127.x.y.z) as TVs and phones on a network are, so nginx spreads them over the
processes; a desk calls next over HTTP through nginx every 100 ms.

The screens are dealt over ``--generators`` load-generator processes (spawned; default the
number of cores, at least 4), each reading its share on its own asyncio loop, so the figure is
not one event loop's queue. The desk stays in this process and stamps each call with
``time.perf_counter`` right before sending call-next; the generators stamp each ``called`` with
the same clock when they read it. On Linux that clock is CLOCK_MONOTONIC, one for every process
of the machine, so the two stamps subtract. Each generator's CPU during the calls is printed
(``gen_cpu_pct``, % of one core) with how late each answered a message from the desk's process
at the end of the calls (its loop's lag, a queue every latency it stamps includes), and who
used the machine's CPU meanwhile (servers, nginx, Redis, the rest).

1. Call to screen: latency from sending call-next to each screen receiving its ``called`` event.
2. Redis restart: a second after the measured calls Redis is stopped for a few seconds while
   the same desk goes on calling, then started again, and the calls go on for as long again.
   Events published while it is away reach only the screens of the process that made them;
   the others catch up from the boards every process re-sends (BOARD_RESYNC_SECONDS) and from
   the next call's board. Measured: how long after Redis is back until every screen has seen a
   board at least as new as the office was when Redis came back (``seq``), and how many screens
   were left behind (never did, or ended behind the office's last change).

Goals (issue 15): 4 processes, 5,000 screens, call to screen p99 <= 250 ms; after a Redis
restart every screen catches up (none left behind).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import math
import multiprocessing
import os
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
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
# Two generators on this 2-core machine still lagged 0.3-0.5 s behind their 2,500 screens
# each at the end of the calls; four, at most 41 ms.
GENERATORS = max(4, os.cpu_count() or 4)
# The one clock of every latency: the desk (bench.fanout.Driver, in this process) stamps a call
# with it right before sending call-next, each generator process stamps a screen's ``called``
# with it on reading it. On Linux it is CLOCK_MONOTONIC, one clock for the whole machine, so
# stamps from different processes subtract (check_clock stops the bench where it is not).
CLOCK = time.perf_counter


def check_clock() -> None:
    implementation = time.get_clock_info("perf_counter").implementation
    if "CLOCK_MONOTONIC" not in implementation:
        raise SystemExit(
            f"time.perf_counter is {implementation} here, not CLOCK_MONOTONIC: stamps taken in "
            "different processes cannot be compared"
        )


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


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


TICK = os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    """CPU seconds every core of the machine has been busy since boot (/proc/stat)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / TICK  # user .. steal (guest time is counted in user)


def _process_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of the processes ``pids`` (0 for one that is gone)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children


# --- a load-generator process: its share of the screens on one asyncio loop --------------------


def _generator(conn: Connection, port: int, indices: list[int], burst: int) -> None:
    """A load-generator process's body (spawned): connects the screens ``indices`` and answers the
    parent's commands on ``conn`` until told to stop."""
    raise_open_files()
    try:
        asyncio.run(_generate(conn, port, indices, burst))
    finally:
        conn.close()


async def _generate(conn: Connection, port: int, indices: list[int], burst: int) -> None:
    count = len(indices)
    arrivals: dict[str, list[float]] = {}  # called code -> CLOCK() at each screen that got it
    newest_seq: dict[int, int] = {}  # screen index -> newest board seq seen
    caught_up: dict[int, float] = {}
    target: dict[str, int | None] = {"seq": None}
    joined, all_caught = asyncio.Event(), asyncio.Event()
    failed = [0]

    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue = asyncio.Queue()

    def on_command() -> None:
        try:
            inbox.put_nowait(conn.recv())
        except (EOFError, OSError):  # the parent is gone
            loop.remove_reader(conn.fileno())
            inbox.put_nowait(("stop",))

    loop.add_reader(conn.fileno(), on_command)

    def handler(index: int):
        def on_event(screen: LeanScreen, name: str, payload: Any) -> None:
            if name == "called":
                arrivals.setdefault(payload["code"], []).append(CLOCK())
            elif name == "board":
                if index not in newest_seq:
                    newest_seq[index] = payload["seq"]
                    if len(newest_seq) >= count:
                        joined.set()
                newest_seq[index] = max(newest_seq[index], payload["seq"])
                want = target["seq"]
                if want is not None and index not in caught_up and newest_seq[index] >= want:
                    caught_up[index] = CLOCK()
                    if len(caught_up) >= count:
                        all_caught.set()

        return on_event

    async def run(screen: LeanScreen) -> None:
        try:
            await screen.run()
        except (OSError, asyncio.IncompleteReadError):
            failed[0] += 1

    tasks = []
    for n, i in enumerate(indices):
        screen = LeanScreen(port, {"office": OFFICE}, handler(i), bind=source_address(i))
        tasks.append(asyncio.create_task(run(screen)))
        if n % burst == burst - 1:
            await asyncio.sleep(0.05)  # the generators together: 100 screens every 50 ms
    try:
        await asyncio.wait_for(joined.wait(), timeout=180)
    except TimeoutError:
        pass
    conn.send(("joined", len(newest_seq), failed[0]))
    while True:
        command, *args = await inbox.get()
        if command == "cpu":
            conn.send((CLOCK(), _cpu_seconds()))
        elif command == "target":  # the office's seq when Redis came back
            target["seq"] = args[0]
            now = CLOCK()
            for index, seq in newest_seq.items():
                if seq >= args[0]:
                    caught_up.setdefault(index, now)
            if len(caught_up) >= count:
                all_caught.set()
            conn.send(len(caught_up))
        elif command == "wait":  # until every screen has caught up, at most args[0] seconds
            try:
                await asyncio.wait_for(all_caught.wait(), timeout=args[0])
            except TimeoutError:
                pass
            conn.send(len(caught_up))
        else:  # stop
            break
    loop.remove_reader(conn.fileno())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    conn.send(
        {
            "arrivals": arrivals,
            "caught_up": caught_up,  # screen index -> CLOCK() when it reached the target
            "newest_seq": newest_seq,
            "joined": len(newest_seq),
            "failed": failed[0],
            "cpu_s": _cpu_seconds(),
        }
    )


# --- the parent: the desk (call-next over HTTP), Redis, and the generators ---------------------


class Generators:
    """``n`` load-generator processes, the screens dealt among them in turn (screen i to
    generator i % n, so each spans the addresses nginx spreads over the processes)."""

    def __init__(self, port: int, count: int, n: int) -> None:
        context = multiprocessing.get_context("spawn")
        burst = max(1, math.ceil(100 / n))
        self.stopped = False
        self.pipes: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        for k in range(n):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_generator,
                args=(theirs, port, list(range(k, count, n)), burst),
                name=f"scaleout-generator-{k}",
                daemon=True,
            )
            process.start()
            theirs.close()
            self.pipes.append(ours)
            self.processes.append(process)

    def gather(self, timeout: float) -> list[Any]:
        """Every generator's next answer (in order)."""
        answers = []
        for k, pipe in enumerate(self.pipes):
            if not pipe.poll(timeout):
                raise RuntimeError(f"load generator {k} did not answer in {timeout:.0f} s")
            answers.append(pipe.recv())
        return answers

    def send(self, message: tuple) -> None:
        """The same command to every generator; gather() their answers."""
        for pipe in self.pipes:
            pipe.send(message)
        if message[0] == "stop":
            self.stopped = True

    def ask(self, message: tuple, timeout: float = 30) -> list[Any]:
        self.send(message)
        return self.gather(timeout)

    def close(self) -> None:
        """Stop (if not yet told to) and wait for every generator; kill one that hangs."""
        if not self.stopped:
            for pipe in self.pipes:
                try:
                    pipe.send(("stop",))
                except OSError:
                    pass
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.terminate()
                process.join(10)
        for pipe in self.pipes:
            pipe.close()


def _measure(
    port: int,
    count: int,
    seconds: float,
    token: str,
    redis: Redis,
    n: int,
    probe: Callable[[], dict[str, float]],
) -> dict:
    n = max(1, min(n, count))
    started = CLOCK()
    gens = Generators(port, count, n)
    try:
        return _measure_with(gens, port, count, seconds, token, redis, started, probe)
    finally:
        gens.close()


def _measure_with(
    gens: Generators,
    port: int,
    count: int,
    seconds: float,
    token: str,
    redis: Redis,
    started: float,
    probe: Callable[[], dict[str, float]],
) -> dict:
    joined = gens.gather(240)
    join_s = CLOCK() - started
    if sum(j for _, j, _ in joined) < count:
        gens.ask(("stop",), 60)
        return {
            "note": f"{sum(j for _, j, _ in joined)} of {count} joined in 180 s, "
            f"{sum(f for _, _, f in joined)} failed"
        }

    # One desk calls all along (a second one would find both counters still busy with the first
    # one's last tickets): the calls of the first ``seconds`` are measured with Redis up, a
    # second later Redis is stopped for OUTAGE_S while calls go on, then started again, and the
    # calls go on for as long again.
    t0, probe0, self0 = CLOCK(), probe(), _cpu_seconds()
    cpu0 = gens.ask(("cpu",))
    driver = Driver(port, token, seconds + 1 + 2 * OUTAGE_S + 2)
    driver.start()
    time.sleep(seconds + 1)  # the calls measured, and a second for the last to arrive
    # A generator answers between two rounds of its screens' reads: how late it answers is how
    # far behind its loop was (its queue, which every latency it stamps includes). The answers
    # are read after the outage, so a generator far behind does not move Redis's stop.
    t1, probe1, self1 = CLOCK(), probe(), _cpu_seconds()
    asked = CLOCK()
    gens.send(("cpu",))
    time.sleep(1.0)
    down = CLOCK()
    redis.stop()
    time.sleep(OUTAGE_S)
    redis.start()
    back = CLOCK()
    # Caught up: a board at least as new as the office when Redis came back, i.e. every change
    # made while it was away. The screens of the process that made a change saw it at once;
    # the others get it from the next event Redis relays or from their process's resync.
    target = _office_seq(port)
    cpu1 = gens.gather(120)
    lag = [stamp - asked for stamp, _ in cpu1]
    gens.ask(("target", target))
    driver.join()
    caught = sum(gens.ask(("wait", 45), 60))
    final_seq = _office_seq(port)
    if caught == count:
        time.sleep(1.0)  # the last call's board arrives
    results = gens.ask(("stop",), 120)

    arrivals: dict[str, list[float]] = {}
    for result in results:
        for code, times in result["arrivals"].items():
            arrivals.setdefault(code, []).extend(times)
    latencies, missing = [], 0
    measured = {code: sent for code, sent in driver.sent.items() if sent < t0 + seconds}
    for code, sent in measured.items():
        got = arrivals.get(code, [])
        missing += count - len(got)
        latencies += [t - sent for t in got]
    catch_up = sorted(t - back for result in results for t in result["caught_up"].values())
    # Left behind: never caught up with Redis's outage, or behind the office at the end.
    behind = {i for result in results for i, seq in result["newest_seq"].items() if seq < final_seq}
    behind |= set(range(count)) - {i for result in results for i in result["caught_up"]}
    busy = [(b[1] - a[1]) / (b[0] - a[0]) * 100 for a, b in zip(cpu0, cpu1, strict=True)]
    # During the calls, in % of one core: who used the machine.
    window = t1 - t0
    used = {k: (probe1[k] - probe0[k]) / window * 100 for k in probe0}
    used["desk"] = (self1 - self0) / window * 100
    used["generators"] = sum(busy)
    used["rest"] = used["machine"] - sum(v for k, v in used.items() if k != "machine")
    return {
        "calls": len(measured),
        "deliveries": len(latencies),
        "missing": missing,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "join_s": join_s,
        "errors": len(driver.errors),
        "outage_calls": sum(1 for sent in driver.sent.values() if down <= sent < back),
        "redis_catch_up_p99_s": percentile(catch_up, 0.99),
        "redis_catch_up_max_s": catch_up[-1] if catch_up else float("nan"),
        "left_behind": len(behind),
        "generators": len(results),
        "gen_cpu_pct": "/".join(f"{b:.0f}" for b in busy),
        "gen_cpu_s": "/".join(f"{r['cpu_s']:.1f}" for r in results),
        "gen_lag_ms": "/".join(f"{x * 1000:.0f}" for x in lag),
        "cpu_during_calls": used,
    }


def run(
    processes: int, screens: int, seconds: float, generators: int = GENERATORS
) -> dict[str, Any]:
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
        nginx_pids = [nginx.pid, *_children(nginx.pid)]
        server_pids = [s.pid() for s in servers]

        def probe() -> dict[str, float]:
            return {
                "machine": _machine_busy(),
                "servers": _process_cpu(server_pids),
                "nginx": _process_cpu(nginx_pids),
                "redis": _process_cpu([redis.process.pid] if redis.process else []),
            }

        result = _measure(port, screens, seconds, tokens["operator"], redis, generators, probe)
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
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "setup": f"{processes} x eventlet + nginx + Redis",
        "processes": processes,
        "screens": screens,
        **result,
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--screens", default="5000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--generators",
        type=int,
        default=GENERATORS,
        help=f"load-generator processes the screens are spread over (default {GENERATORS})",
    )
    args = parser.parse_args(argv)
    check_clock()
    raise_open_files()
    rows = []
    for count in (int(c) for c in args.screens.split(",")):
        print(
            f"... {args.processes} processes, {count} screens, {args.generators} generators",
            flush=True,
        )
        rows.append(run(args.processes, count, args.seconds, args.generators))
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
                "generators",
                "gen_cpu_pct",
            ],
        )
    )
    for row in rows:
        if "note" in row:
            print(f"{row['screens']} screens: {row['note']}")
        else:
            used = row["cpu_during_calls"]
            print(
                f"{row['screens']} screens, during the calls, CPU in % of one core: "
                f"generators {row['gen_cpu_pct']} ({used['generators']:.0f} together), "
                f"servers {used['servers']:.0f} ({row['processes']} together), "
                f"nginx {used['nginx']:.0f}, Redis {used['redis']:.0f}, "
                f"the desk {used['desk']:.0f}, the rest (PostgreSQL, anything else running) "
                f"{used['rest']:.0f}; the machine {used['machine']:.0f} of "
                f"{100 * (os.cpu_count() or 1)}. Generators' CPU over the whole run: "
                f"{row['gen_cpu_s']} s; their loops' lag after the calls: {row['gen_lag_ms']} ms. "
                f"{row['outage_calls']} calls made while Redis was down, "
                f"{row['errors']} call errors."
            )
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
