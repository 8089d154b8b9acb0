"""A real Loket server in a subprocess (``python wsgi.py``), for end-to-end tests and benchmarks.

It gets its own instance folder (SQLite file, secret key, ticket previews) unless a
``database_url`` is given, is migrated and seeded with the demo offices through the real CLI,
and can be killed and restarted on the same port and database.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
ROLES = ("kiosk", "operator", "clerk", "admin")
# (instance folder, tokens) of a migrated, seeded SQLite database, made once per process.
_template: tuple[Path, dict] | None = None


# ``flask --app wsgi`` commands run one after another in one process (bench.live.flask_many):
# the real CLI (the same click commands, Flask-Migrate's included), the app imported once.
_CLI_BATCH = r"""
import json, sys
import flask.cli
from wsgi import app
runner = app.test_cli_runner()
outputs = []
for args in json.loads(sys.argv[1]):
    result = runner.invoke(flask.cli.cli, args)
    if result.exit_code != 0:
        sys.stderr.write(f"flask {' '.join(args)} failed ({result.exit_code}):\n{result.output}")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            import traceback
            traceback.print_exception(result.exception, file=sys.stderr)
        sys.exit(1)
    outputs.append(result.output)
with app.app_context():  # close the connections: SQLite folds its write-ahead log in
    from app.extensions import db
    db.engine.dispose()
print(json.dumps(outputs))
"""


_SERVING = re.compile(r"Loket serving on http://[^:]+:(\d+) ")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """``python wsgi.py`` with its own instance folder and port."""

    async_mode: str = "eventlet"
    database_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    # 0: the server binds a port the system chooses and says which (no other process can take
    # it between choosing and binding); a restart binds the same one again.
    port: int = 0
    instance: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="loket-live-")))
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    # An open-files limit (soft = hard) for the server process, as a small system would have.
    open_files: int | None = None

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
        env.pop("DATABASE_URL", None)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def flask(self, *args: str) -> str:
        """Run ``flask --app wsgi ARGS`` against this server's database; return stdout."""
        result = subprocess.run(
            [PYTHON, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def flask_many(self, *commands: tuple[str, ...]) -> list[str]:
        """Run several ``flask --app wsgi`` commands in one interpreter (importing the app once
        instead of once a command, about 3 s each); returns each one's output."""
        result = subprocess.run(
            [PYTHON, "-c", _CLI_BATCH, json.dumps([list(c) for c in commands])],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"flask {commands} failed:\n{result.stderr}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def prepare(self, roles: tuple[str, ...] = ROLES) -> dict:
        """Migrate, seed the demo offices and return an API token per role.

        On SQLite this is done once per test run through the real CLI; later servers start from
        a copy of that database (the tokens stay valid).
        """
        if self.database_url:
            return self._prepare_with_cli(roles)
        global _template
        if _template is None:
            model = LiveServer(instance=Path(tempfile.mkdtemp(prefix="loket-template-")))
            _template = (model.instance, model._prepare_with_cli(ROLES))
        folder, tokens = _template
        for name in ("loket.db", "secret_key", "demo-credentials.txt"):
            shutil.copy(folder / name, self.instance / name)
        return {role: tokens[role] for role in roles}

    def _prepare_with_cli(self, roles: tuple[str, ...]) -> dict:
        outputs = self.flask_many(
            ("db", "upgrade"), ("loket", "demo"), *(("loket", "token", role) for role in roles)
        )
        return {role: out.strip() for role, out in zip(roles, outputs[2:], strict=True)}

    def password(self, username: str) -> str:
        """The demo password of ``username`` (``loket demo`` prints and keeps it)."""
        for line in (self.instance / "demo-credentials.txt").read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == username:
                return parts[1]
        raise KeyError(username)

    def start(self, timeout: float = 30) -> LiveServer:
        self.log_path = self.instance / "server.log"
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [PYTHON, "wsgi.py"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=self._limit_open_files if self.open_files else None,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log()}")
            with self.log_path.open("rb") as fh:
                fh.seek(offset)
                said = _SERVING.search(fh.read().decode(errors="replace"))
            if said:
                self.port = int(said[1])
                return self
            time.sleep(0.05)
        raise RuntimeError(f"server did not listen within {timeout}s:\n{self.log()}")

    def _limit_open_files(self) -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def kill(self) -> None:
        """SIGKILL, as a power cut would."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        """Ctrl-C, as an operator would."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used."""
        with open(f"/proc/{self.pid()}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        with open(f"/proc/{self.pid()}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0


def wait_for(check, what: str, timeout: float = 15.0) -> None:
    """Poll ``check`` until it is true; fail saying ``what`` did not happen in time."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.05)
