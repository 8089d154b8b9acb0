"""Shared pieces of the benchmarks: the live server of the tests and a lean HTTP load generator."""

from __future__ import annotations

import http.client
import json
import math
import os
import resource
import statistics
import threading
import time
from typing import Any

from bench.live import LiveServer

SERVICES = {
    "TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
    "TEST_REDIS_URL": "redis://127.0.0.1:6379/0",
}


def service_url(variable: str) -> str:
    """The URL of a service a benchmark needs (the same variables as the tests), or a stop with
    a sentence saying what to set."""
    url = os.environ.get(variable, "")
    if not url:
        raise SystemExit(f"this benchmark needs {variable} (e.g. {SERVICES[variable]})")
    return url


# The benchmarks run the same real server the end-to-end tests use.
Server = LiveServer


class Client:
    """One keep-alive HTTP connection."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        data = json.dumps(body).encode() if body is not None else None
        start = time.perf_counter()
        self.conn.request(method, path, body=data, headers=self.headers)
        response = self.conn.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - start
        payload = json.loads(raw) if raw else None
        return response.status, payload, elapsed


def raise_open_files() -> None:
    """Let this process open as many files as the hard limit allows (thousands of sockets)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))  # nearest rank
    return ordered[index]


def summary(latencies: list[float], seconds: float) -> dict[str, float]:
    return {
        "n": len(latencies),
        "per_s": len(latencies) / seconds if seconds else float("nan"),
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
    }


def run_threads(count: int, target, *args: Any) -> None:
    threads = [threading.Thread(target=target, args=(i, *args)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A plain text table."""

    def fmt(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.1f}"
        return str(value)

    widths = {c: max(len(c), *(len(fmt(r.get(c, ""))) for r in rows)) for c in columns}
    lines = [
        "  ".join(c.ljust(widths[c]) for c in columns),
        "  ".join("-" * widths[c] for c in columns),
    ]
    for row in rows:
        lines.append("  ".join(fmt(row.get(c, "")).ljust(widths[c]) for c in columns))
    return "\n".join(lines)


def goal_row(
    bench: str, measure: str, result: str, goal: str, met: bool | None, floor: str = ""
) -> dict[str, Any]:
    """One line of the summary table that ``make bench`` prints at the end; ``floor``: the same
    load's figure on the bare stack (bench.floor) and how many times it Loket's figure is."""
    return {
        "bench": bench,
        "measure": measure,
        "result": result,
        "floor": floor,
        "goal": goal,
        "met": "" if met is None else ("yes" if met else "NO"),
    }


def beside_floor(row: dict[str, Any]) -> str:
    """The ``floor`` of a summary line from a row that bench.floor.compare filled ("" if not)."""
    if "floor" not in row:
        return ""
    return f"{row['floor']} (x{row['x_floor']:.2f})"
