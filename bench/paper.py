"""Paper: from the tap to the last byte at the printer, and issuing with a broken printer.

    python -m bench.paper [--taps 200]

The real server (eventlet) prints to a fake network printer on 127.0.0.1 (it answers the paper
query, takes the bytes and closes). Measured:

* tap to paper: the time from sending the POST that issues a ticket to the printer holding the
  whole ticket (goal p99 <= 300 ms), taps five a second;
* issuing latency with a healthy, a dead (connection refused) and a hung (accepts, never reads)
  printer, 20 taps a second (goal p99 <= 50 ms in every case, as with a healthy printer).
"""

from __future__ import annotations

import argparse
import time

from bench.fake_printer import FakePrinter
from bench.harness import Client, Server, goal_row, percentile, table
from printer.decode import decode


def _code(paper: bytes) -> str:
    return next(t for t in decode(paper).texts if t[:1].isalpha() and t[1:2] == "-")


def _taps(server: Server, token: str, count: int, rate: float) -> list[tuple[str, float, float]]:
    """Issue ``count`` tickets at ``rate``/s: (code, sent at, answer latency)."""
    client = Client(server.port, token)
    out = []
    start = time.perf_counter()
    for i in range(count):
        due = start + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        sent = time.perf_counter()
        status, body, elapsed = client.request(
            "POST", "/api/v1/offices/kupang/tickets", {"service": "ACDE"[i % 4]}
        )
        assert status == 201, body
        out.append((body["code"], sent, elapsed))
    return out


def tap_to_paper(taps: int) -> dict:
    printer = FakePrinter()
    server = Server(extra_env={"PRINTER_URL": printer.url})
    tokens = server.prepare()
    server.start()
    try:
        issued = _taps(server, tokens["kiosk"], taps, 5.0)
        printer.wait_for_jobs(taps, timeout=60)
        arrived = {
            _code(paper): at for paper, at in zip(printer.jobs, printer.received_at, strict=True)
        }
    finally:
        server.stop()
        printer.stop()
    latencies = [arrived[code] - sent for code, sent, _ in issued if code in arrived]
    return {
        "measure": "tap to last byte at the printer",
        "n": len(latencies),
        "missing": taps - len(latencies),
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "goal": "p99 <= 300 ms",
    }


def issue_latency(mode: str, taps: int) -> dict:
    printer = FakePrinter("ok" if mode == "healthy" else "hung")
    if mode == "dead":
        printer.stop()
    server = Server(extra_env={"PRINTER_URL": printer.url})
    tokens = server.prepare()
    server.start()
    try:
        issued = _taps(server, tokens["kiosk"], taps, 20.0)
    finally:
        server.stop()
        printer.stop()
    latencies = [elapsed for _, _, elapsed in issued]
    return {
        "measure": f"issue, {mode} printer",
        "n": len(latencies),
        "missing": 0,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "goal": "p99 <= 50 ms",
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--taps", type=int, default=200)
    args = parser.parse_args(argv)
    rows = [tap_to_paper(args.taps)]
    for mode in ("healthy", "dead", "hung"):
        rows.append(issue_latency(mode, args.taps))
    print(table(rows, ["measure", "n", "missing", "p50_ms", "p99_ms", "goal"]))
    return rows


def goals(rows: list[dict]) -> list[dict]:
    out = []
    for row in rows:
        limit = 300 if row["measure"].startswith("tap") else 50
        met = row["p99_ms"] <= limit and not row.get("missing")
        out.append(
            goal_row("paper", row["measure"], f"p99 {row['p99_ms']:.0f} ms", row["goal"], met)
        )
    return out


if __name__ == "__main__":
    main()
