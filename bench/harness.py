"""Shared pieces of the benchmarks: a throw-away server process and a lean HTTP load generator."""

from __future__ import annotations

import http.client
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask(env: dict[str, str], *args: str) -> str:
    """Run ``flask --app wsgi ARGS`` with ``env`` and return its stdout."""
    result = subprocess.run(
        [PYTHON, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@dataclass
class Server:
    """``python wsgi.py`` in a subprocess with its own instance folder."""

    database_url: str | None = None
    async_mode: str = "eventlet"
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    instance: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="loket-bench-")))
    process: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "LOKET_INSTANCE_DIR": str(self.instance),
                "ASYNC_MODE": self.async_mode,
                "PORT": str(self.port),
                "HOST": "127.0.0.1",
                "PRINTER_URL": f"preview://{self.instance / 'tickets'}",
            }
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> dict[str, str]:
        """Migrate, seed the demo and return API tokens by role."""
        flask(self.env, "db", "upgrade")
        flask(self.env, "loket", "demo")
        return {
            role: flask(self.env, "loket", "token", role).strip()
            for role in ("kiosk", "operator", "admin")
        }

    def start(self) -> None:
        self.process = subprocess.Popen(
            [PYTHON, "wsgi.py"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read().decode()) from None
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def cpu_seconds(self) -> float:
        """User+system CPU time the server process has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0


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
