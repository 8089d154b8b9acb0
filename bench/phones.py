"""Phones: N residents' phones following their own tickets while the counters call.

    python -m bench.phones [--phones 5000] [--modes eventlet,gevent] [--seconds 20]

For each async mode: the real server (``python wsgi.py``, SQLite), N tickets issued over HTTP by
the kiosk (without paper) round the kupang office's eight services, then N lean Socket.IO phones
(bench.screens.LeanScreen, in a process of their own) each joining its own ticket's room as the
status page does (``{"ticket": token}``), 200 phones to a loopback address (127.0.2.1,
127.0.2.2, ...: an office's phones are as many devices behind the guest Wi-Fi, and the server's
per-address limits stay at their defaults). Once every phone has its ticket, a desk calls next
over HTTP (the operator's token) at counters 1 to 5 in turn, one every 100-200 ms (finishing the
counter's previous ticket first), for ``--seconds``.

Every call moves everyone behind the called ticket in its service one place up, so each phone of
that service must get a ``ticket`` event. Measured for every update a phone must get (each call:
its new ``ahead``, or ``called`` for the ticket called; each finish: ``done`` for that ticket):
the latency from sending the move's HTTP request to the phone receiving a payload that reflects
it (a later payload that reflects it as well counts, e.g. two calls merged into one update);
p50/p99/max, and updates never received. Once the phones have been quiet for 1.5 s, each
phone's last payload is compared with ``GET /api/v1/track/{token}``: ``wrong_end`` counts phones
whose last ``ahead`` or ``status`` differs (or that got nothing), ``stale_wait`` those whose
estimated wait differs only. Server CPU over the calling, the server's peak RSS (sampled every
0.5 s from the joins to the end; ``rss_joined_mb``: once every phone had joined), and the
phones' process CPU from the first call until they are quiet (a load generator near 100 % would
itself delay the figures).

The anonymous HTTP rate limit is raised for the benchmark's server so the final track requests
from 127.0.0.1 are not refused; the Socket.IO limits stay at their defaults.

Beside each row, the floor (bench.floor.fanout with ``groups``): as many phones on a bare
Flask-SocketIO app, each in a room of its own, a POST every 150 ms sending one event to every
phone of one service in turn (8 groups): the socket writes alone, at least as many as Loket's
calls make.

Goals (issue 15, point 2): 5,000 phones on one process, every update p99 <= 500 ms, server RSS
<= 400 MB, no phone wrong at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import random
import resource
import shutil
import threading
import time
from typing import Any

from bench import floor
from bench.harness import Server, beside_floor, goal_row, percentile, raise_open_files, table
from bench.screens import LeanScreen

OFFICE = "kupang"
SERVICES = "ABCDEFGH"
PER_ADDRESS = 200  # phones behind one address (MAX_CONNECTIONS_PER_ADDRESS is 300)
GOAL_P99_MS = 500
GOAL_RSS_MB = 400
QUIET_S = 1.5  # the phones are done once nothing arrived for this long
HTTP_TIMEOUT = 30


def _address(index: int) -> str:
    n = index // PER_ADDRESS
    return f"127.0.{2 + n // 250}.{1 + n % 250}"


# -- the phones (a process of their own) -----------------------------------------------------


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


async def _phones(
    port: int, tokens: list[str], flags: dict[str, Any], last: Any, failed: Any
) -> tuple[list[list[tuple[float, int | None, str, int | None]]], float]:
    """Connect and join every phone; record each ``ticket`` payload (time, ahead, status,
    estimated wait) per phone until ``stop``. Also this process's CPU share while ``calling``
    was set."""
    joined, calling, stop = flags["joined"], flags["calling"], flags["stop"]
    records: list[list[tuple[float, int | None, str, int | None]]] = [[] for _ in tokens]
    first = [0]

    def on_event(screen: LeanScreen, name: str, payload: Any) -> None:
        if name != "ticket":
            if name in ("error", "connect_error"):
                failed.value += 1
            return
        now = time.perf_counter()
        mine = records[screen.index]
        if not mine:
            first[0] += 1
            if first[0] == len(tokens):
                joined.set()
        mine.append((now, payload["ahead"], payload["status"], payload["estimated_wait_s"]))
        last.value = now

    async def run(screen: LeanScreen) -> None:
        try:
            await screen.run()
        except (OSError, asyncio.IncompleteReadError):
            failed.value += 1  # refused or reset by the server

    tasks = []
    for i, token in enumerate(tokens):
        screen = LeanScreen(port, {"ticket": token}, on_event, bind=_address(i))
        screen.index = i
        tasks.append(asyncio.create_task(run(screen)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)  # in bursts, as phones scanning their tickets do
    marks: list[tuple[float, float]] = []  # (time, CPU) when calling was set, then cleared
    while not stop.is_set():
        if calling.is_set() != (len(marks) == 1) and len(marks) < 2:
            marks.append((time.perf_counter(), _cpu()))
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    share = (
        (marks[1][1] - marks[0][1]) / (marks[1][0] - marks[0][0])
        if len(marks) == 2
        else float("nan")
    )
    return records, share


def _phones_process(
    port: int, tokens: list[str], flags: dict[str, Any], last: Any, failed: Any, results: Any
) -> None:
    raise_open_files()
    results.put(asyncio.run(_phones(port, tokens, flags, last, failed)))


# -- the desk and the kiosk (this process) ---------------------------------------------------


def _http(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)


def _issue(port: int, kiosk: str, count: int) -> list[dict[str, Any]]:
    """``count`` tickets round the services, without paper; (id, token, service) of each."""
    conn = _http(port)
    headers = {"Authorization": f"Bearer {kiosk}", "Content-Type": "application/json"}
    tickets = []
    for i in range(count):
        body = json.dumps({"service": SERVICES[i % len(SERVICES)], "print": False})
        conn.request("POST", f"/api/v1/offices/{OFFICE}/tickets", body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        if response.status != 201:
            raise RuntimeError(f"issuing ticket {i}: {response.status} {raw[:200]!r}")
        ticket = json.loads(raw)
        tickets.append({k: ticket[k] for k in ("id", "token", "service")})
    conn.close()
    return tickets


class Desk(threading.Thread):
    """Counters 1 to 5 in turn, one call-next every 100-200 ms (finishing the counter's previous
    ticket first), for ``seconds``. ``moves``: (sent, "call" | "finish", ticket id, service)."""

    def __init__(self, port: int, token: str, seconds: float) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.seconds = port, token, seconds
        self.moves: list[tuple[float, str, int, str]] = []
        self.errors: list[str] = []

    def _post(self, conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
        conn.request("POST", path, headers=self.headers)
        response = conn.getresponse()
        return response.status, response.read()

    def run(self) -> None:
        conn = _http(self.port)
        self.headers = {"Authorization": f"Bearer {self.token}"}
        conn.request("GET", f"/api/v1/offices/{OFFICE}/counters")
        counters = sorted(json.loads(conn.getresponse().read()), key=lambda c: c["number"])
        rng = random.Random(15)
        held: dict[int, tuple[int, str]] = {}
        start = due = time.perf_counter()
        n = 0
        while due - start < self.seconds:
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            due += rng.uniform(0.1, 0.2)
            counter = counters[n % len(counters)]["id"]
            n += 1
            if counter in held:
                ticket_id, service = held.pop(counter)
                sent = time.perf_counter()
                status, raw = self._post(conn, f"/api/v1/tickets/{ticket_id}/finish")
                if status == 200:
                    self.moves.append((sent, "finish", ticket_id, service))
                else:
                    self.errors.append(f"finish {status} {raw[:200]!r}")
            sent = time.perf_counter()
            status, raw = self._post(conn, f"/api/v1/counters/{counter}/call-next")
            if status == 200:
                ticket = json.loads(raw)
                self.moves.append((sent, "call", ticket["id"], ticket["service"]))
                held[counter] = (ticket["id"], ticket["service"])
            elif status != 204:
                self.errors.append(f"call-next {status} {raw[:200]!r}")
        conn.close()


def _track_all(port: int, tokens: list[str], threads: int = 4) -> dict[str, dict[str, Any]]:
    """``GET /api/v1/track/{token}`` of every token."""
    out: dict[str, dict[str, Any]] = {}

    def work(part: list[str]) -> None:
        conn = _http(port)
        for token in part:
            conn.request("GET", f"/api/v1/track/{token}")
            response = conn.getresponse()
            out[token] = json.loads(response.read())
        conn.close()

    workers = [
        threading.Thread(target=work, args=(tokens[i::threads],), daemon=True)
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return out


# -- the figures -----------------------------------------------------------------------------


def latencies(
    tickets: list[dict[str, Any]],
    records: list[list[tuple[float, int | None, str, int | None]]],
    moves: list[tuple[float, str, int, str]],
) -> tuple[list[float], int, int]:
    """(latency of every update a phone had to get, updates never received, calls that did
    not take the ticket first in its service's queue)."""
    index = {t["id"]: i for i, t in enumerate(tickets)}
    # Per service, the phones still waiting in queue order (by their ahead when they joined).
    queues: dict[str, list[int]] = {}
    for i, t in enumerate(tickets):
        if records[i] and records[i][0][2] == "waiting":
            queues.setdefault(t["service"], []).append(i)
    for phones in queues.values():
        phones.sort(key=lambda i: records[i][0][1])
    # What each phone must see after each move: (sent, check) in move order.
    must: dict[int, list[tuple[float, Any]]] = {}
    called: dict[str, int] = {}
    out_of_order = 0
    for sent, kind, ticket_id, service in moves:
        phone = index.get(ticket_id)
        if kind == "finish":
            if phone is not None:
                must.setdefault(phone, []).append((sent, lambda r: r[2] == "done"))
            continue
        j = called.get(service, 0)
        called[service] = j + 1
        waiting = queues.get(service, [])
        if j >= len(waiting) or waiting[j] != phone:
            out_of_order += 1
        for i in waiting[j:]:
            if i == phone:
                must.setdefault(i, []).append((sent, lambda r: r[2] != "waiting"))
            else:
                ahead = records[i][0][1] - (j + 1)
                must.setdefault(i, []).append(
                    (sent, lambda r, a=ahead: r[2] != "waiting" or (r[1] is not None and r[1] <= a))
                )
    found: list[float] = []
    missing = 0
    for i, checks in must.items():
        mine = records[i]
        k = 0
        for sent, check in checks:
            while k < len(mine) and (mine[k][0] < sent or not check(mine[k])):
                k += 1
            if k == len(mine):
                missing += 1
            else:
                found.append(mine[k][0] - sent)
    return found, missing, out_of_order


def _compare_end(
    tickets: list[dict[str, Any]],
    records: list[list[tuple[float, int | None, str, int | None]]],
    truth: dict[str, dict[str, Any]],
) -> tuple[int, int]:
    """(phones whose last ahead or status is wrong or missing, phones whose wait alone is)."""
    wrong = stale = 0
    for ticket, mine in zip(tickets, records, strict=True):
        real = truth[ticket["token"]]
        if not mine or (mine[-1][1], mine[-1][2]) != (real["ahead"], real["status"]):
            wrong += 1
        elif mine[-1][3] != real["estimated_wait_s"]:
            stale += 1
    return wrong, stale


def run(mode: str, count: int, seconds: float) -> dict[str, Any]:
    server = Server(async_mode=mode, extra_env={"ANONYMOUS_RATE_LIMIT": "1000000 per minute"})
    tokens = server.prepare(("kiosk", "operator"))
    server.start()
    ctx = multiprocessing.get_context("spawn")
    flags = {"joined": ctx.Event(), "calling": ctx.Event(), "stop": ctx.Event()}
    joined, stop, results = flags["joined"], flags["stop"], ctx.Queue()
    last, failed = ctx.Value("d", 0.0), ctx.Value("i", 0)
    phones = None
    try:
        started = time.perf_counter()
        tickets = _issue(server.port, tokens["kiosk"], count)
        issue_s = time.perf_counter() - started
        print(f"    {count} tickets issued in {issue_s:.0f} s", flush=True)
        phones = ctx.Process(
            target=_phones_process,
            args=(server.port, [t["token"] for t in tickets], flags, last, failed, results),
            daemon=True,
        )
        started = time.perf_counter()
        phones.start()
        peak = [0.0]
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.5):
                peak[0] = max(peak[0], server.rss_mb())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        if not joined.wait(180):
            raise RuntimeError(f"not every phone joined within 180 s ({failed.value} refused)")
        join_s = time.perf_counter() - started
        print(f"    joined in {join_s:.0f} s; calling for {seconds:.0f} s", flush=True)
        time.sleep(1.0)  # let the joins' stragglers settle
        rss_joined = server.rss_mb()
        cpu = server.cpu_seconds()
        flags["calling"].set()
        desk = Desk(server.port, tokens["operator"], seconds)
        desk.start()
        desk.join()
        server_cpu = server.cpu_seconds() - cpu
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline and time.perf_counter() - last.value < QUIET_S:
            time.sleep(0.1)
        flags["calling"].clear()
        drain_s = time.perf_counter() - desk.moves[-1][0] if desk.moves else 0.0
        sampling.set()
        sampler.join()
        rss = max(peak[0], server.rss_mb())
        truth = _track_all(server.port, [t["token"] for t in tickets])
        stop.set()
        time.sleep(0.2)  # the phones note their CPU
        records, phones_share = results.get(timeout=120)
        phones.join(30)
    finally:
        stop.set()
        if phones is not None and phones.is_alive():
            phones.terminate()
            phones.join(10)
        server.stop()
    found, missing, out_of_order = latencies(tickets, records, desk.moves)
    wrong, stale = _compare_end(tickets, records, truth)
    shutil.rmtree(server.instance, ignore_errors=True)  # kept (with its log) when a run fails
    return {
        "mode": mode,
        "phones": count,
        "calls": sum(1 for m in desk.moves if m[1] == "call"),
        "updates": len(found),
        "missing": missing,
        "p50_ms": percentile(found, 0.5) * 1000,
        "p99_ms": percentile(found, 0.99) * 1000,
        "max_ms": max(found) * 1000 if found else float("nan"),
        "wrong_end": wrong,
        "stale_wait": stale,
        "server_cpu_pct": server_cpu / seconds * 100,
        "rss_mb": rss,
        "rss_joined_mb": rss_joined,
        "phones_cpu_pct": phones_share * 100,
        "issue_s": issue_s,
        "join_s": join_s,
        "drain_s": drain_s,
        "refused": failed.value,
        "errors": len(desk.errors) + out_of_order,
        "first_error": (desk.errors or [""])[0],
    }


def _default_modes() -> str:
    from config import ASYNC_MODES

    return ",".join(m for m in ("eventlet", "gevent") if m in ASYNC_MODES)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=5000)
    parser.add_argument("--modes", default=_default_modes())
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--no-floor", action="store_true", help="skip the floor beside each row")
    args = parser.parse_args(argv)
    raise_open_files()
    rows = []
    for mode in args.modes.split(","):
        print(f"... {mode}, {args.phones} phones", flush=True)
        rows.append(run(mode, args.phones, args.seconds))
    if not args.no_floor:
        print(f"... the floor, {args.phones} phones", flush=True)
        bare = floor.fanout(args.phones, args.seconds, interval=0.15, groups=len(SERVICES))
        for row in rows:
            floor.compare(row, bare, "p99")
    print()
    print(
        table(
            rows,
            [
                "mode",
                "phones",
                "calls",
                "updates",
                "missing",
                "p50_ms",
                "p99_ms",
                "max_ms",
                "wrong_end",
                "stale_wait",
                "server_cpu_pct",
                "rss_mb",
                "rss_joined_mb",
                "phones_cpu_pct",
                "issue_s",
                "join_s",
                "drain_s",
                "refused",
                "errors",
                "floor",
                "x_floor",
            ],
        )
    )
    for row in rows:
        if row["first_error"]:
            print(f"{row['mode']}: first error {row['first_error']}")
    return rows


def goals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        name = f"{row['mode']}, {row['phones']:,} phones"
        out.append(
            goal_row(
                "phones",
                f"{name}: move to phone",
                f"p99 {row['p99_ms']:.0f} ms, {row['missing']} missing",
                f"p99 <= {GOAL_P99_MS} ms, none missing",
                row["p99_ms"] <= GOAL_P99_MS and row["missing"] == 0,
                beside_floor(row),
            )
        )
        out.append(
            goal_row(
                "phones",
                f"{name}: server memory",
                f"{row['rss_mb']:.0f} MB",
                f"<= {GOAL_RSS_MB} MB",
                row["rss_mb"] <= GOAL_RSS_MB,
            )
        )
        out.append(
            goal_row(
                "phones",
                f"{name}: phones wrong at the end",
                str(row["wrong_end"]),
                "0",
                row["wrong_end"] == 0,
            )
        )
    return out


if __name__ == "__main__":
    main()
