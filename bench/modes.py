"""Modes: one request at a time on a kept-alive connection, in every async mode side by side.

    python -m bench.modes [--modes eventlet,gevent,threading] [--requests 500]

For each mode, the real server (``python wsgi.py``, SQLite) and one keep-alive HTTP/1.1 client,
as a browser or the kiosk page holds one: ``--requests`` tickets issued without paper, then as
many reads of the office's board, one after the other. What a single person at a counter or a
kiosk waits, with no other load: the least each mode adds to a request. A server that writes an
answer's head and body in two packets without TCP_NODELAY shows here as 40 ms a request (the
client's delayed ACK); gevent's did until wsgi.py set it.

Beside it the floor (bench.floor.http_commit with one client): one INSERT + commit a request on
the bare stack.

Goal: p99 <= 10 ms for issuing in every mode.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench import floor
from bench.harness import Client, Server, beside_floor, goal_row, summary, table

GOAL_P99_MS = 10.0


def run(mode: str, requests: int) -> list[dict[str, Any]]:
    server = Server(async_mode=mode)
    tokens = server.prepare()
    server.start()
    try:
        kiosk = Client(server.port, tokens["kiosk"])
        rows = []
        for measure, method, path, body in (
            ("issue", "POST", "/api/v1/offices/kupang/tickets", {"service": "A", "print": False}),
            ("board", "GET", "/api/v1/offices/kupang/board", None),
        ):
            for _ in range(20):  # warm up
                kiosk.request(method, path, body)
            latencies = []
            for _ in range(requests):
                status, _payload, elapsed = kiosk.request(method, path, body)
                if status not in (200, 201):
                    raise RuntimeError(f"{mode} {method} {path}: {status}")
                latencies.append(elapsed)
            rows.append({"mode": mode, "measure": measure, **summary(latencies, sum(latencies))})
    finally:
        server.stop()
    return rows


def _default_modes() -> str:
    from config import ASYNC_MODES

    return ",".join(ASYNC_MODES)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modes", default=_default_modes())
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--no-floor", action="store_true", help="skip the floor beside it")
    args = parser.parse_args(argv)
    rows = []
    for mode in args.modes.split(","):
        print(f"... {mode}", flush=True)
        rows.extend(run(mode, args.requests))
    if not args.no_floor:
        print("... the floor: one INSERT + commit a request, one client", flush=True)
        bare = floor.http_commit(1, 5.0, "sqlite")
        for row in rows:
            if row["measure"] == "issue":
                floor.compare(row, bare, "p99")
    print()
    print(table(rows, ["mode", "measure", "n", "p50_ms", "p99_ms", "mean_ms", "floor", "x_floor"]))
    return rows


def goals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        goal_row(
            "modes",
            f"{row['mode']}: issue, one kept-alive client",
            f"p99 {row['p99_ms']:.1f} ms",
            f"p99 <= {GOAL_P99_MS:.0f} ms",
            row["p99_ms"] <= GOAL_P99_MS,
            beside_floor(row),
        )
        for row in rows
        if row["measure"] == "issue"
    ]


if __name__ == "__main__":
    main()
