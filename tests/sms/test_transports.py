"""The ways out for card-ready messages: a log file (idempotent on a retry), an SMS gateway app
over HTTP (a real local HTTP server here), and Gammu (a fake ``gammu`` program on PATH that
records its arguments: the edge of the system)."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from app.sms.transports import (
    GammuTransport,
    HttpTransport,
    LogTransport,
    SmsError,
    open_transport,
    scrub,
)

TO = "+6281234567890"
TEXT = "KTP-el Anda (A-012) sudah siap diambil di loket pengambilan, Dukcapil Kota Kupang"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# ---- log:// ------------------------------------------------------------------------------


def test_log_appends_one_json_line_per_message(tmp_path):
    path = tmp_path / "out" / "sms.jsonl"
    transport = open_transport(f"log://{path}")
    assert isinstance(transport, LogTransport) and transport.blocking
    transport.send(1, TO, TEXT)
    transport.send(2, "+628111111111", "kedua")
    assert _lines(path) == [
        {"id": 1, "to": TO, "text": TEXT},
        {"id": 2, "to": "+628111111111", "text": "kedua"},
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds numbers: its owner's only


def test_log_does_not_write_a_message_again_that_is_already_in_its_tail(tmp_path):
    path = tmp_path / "sms.jsonl"
    transport = LogTransport(f"log://{path}", path=path)
    transport.send(7, TO, TEXT)
    transport.send(8, TO, "lain")
    transport.send(7, TO, TEXT)  # a retry after a crash between the write and its record
    assert [line["id"] for line in _lines(path)] == [7, 8]


def test_log_finds_its_line_behind_a_long_history(tmp_path):
    path = tmp_path / "sms.jsonl"
    path.write_text(
        "".join(json.dumps({"id": i, "to": TO, "text": "x" * 80}) + "\n" for i in range(2000))
    )
    transport = LogTransport(f"log://{path}", path=path)
    transport.send(1999, TO, "x")
    transport.send(2000, TO, "x")
    ids = [line["id"] for line in _lines(path)]
    assert ids[-2:] == [1999, 2000] and len(ids) == 2001


def test_log_that_cannot_be_written_is_an_error_with_its_reason(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    transport = LogTransport(f"log://{blocker}/sms.jsonl", path=blocker / "sms.jsonl")
    with pytest.raises(SmsError) as info:
        transport.send(1, TO, TEXT)
    assert "cannot write" in str(info.value) and "0812" not in str(info.value)


@pytest.mark.parametrize(
    "url", ["log://", "log://relative/path", "ftp://x", "sms://x", "http://", "nonsense"]
)
def test_malformed_addresses_are_refused_with_a_sentence(url):
    with pytest.raises(ValueError) as info:
        open_transport(url)
    assert "log://" in str(info.value) or "http" in str(info.value)


# ---- http:// and https:// ------------------------------------------------------------------


class Gateway:
    """A local HTTP server standing in for an SMS gateway app: records each request and
    answers with ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                gateway.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length).decode(),
                    }
                )
                self.send_response(gateway.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    server = Gateway()
    yield server
    server.stop()


def test_http_posts_json_with_basic_auth_from_the_address(gateway):
    transport = open_transport(f"http://loket:rahasia%21@127.0.0.1:{gateway.port}/send?key=1")
    assert isinstance(transport, HttpTransport) and not transport.blocking
    transport.send(5, TO, TEXT)
    (request,) = gateway.requests
    assert request["path"] == "/send?key=1"
    assert json.loads(request["body"]) == {"to": TO, "text": TEXT}
    assert request["headers"]["Content-Type"] == "application/json"
    expected = base64.b64encode(b"loket:rahasia!").decode()
    assert request["headers"]["Authorization"] == f"Basic {expected}"
    assert transport.describe() == f"http://127.0.0.1:{gateway.port}/send"  # no password


def test_http_can_post_a_form(gateway):
    open_transport(f"http://127.0.0.1:{gateway.port}/?format=form").send(5, TO, TEXT)
    (request,) = gateway.requests
    assert request["path"] == "/"
    assert "Authorization" not in request["headers"]
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request["body"]) == {"to": [TO], "text": [TEXT]}


@pytest.mark.parametrize("status", [400, 401, 500, 302])
def test_http_answer_other_than_2xx_is_an_error_with_the_status(gateway, status):
    gateway.status = status
    with pytest.raises(SmsError) as info:
        open_transport(f"http://127.0.0.1:{gateway.port}/").send(5, TO, TEXT)
    assert str(info.value) == f"the SMS gateway answered {status}"


def test_http_gateway_away_is_an_error_without_the_number():
    closed = Gateway()
    port = closed.port
    closed.stop()
    with pytest.raises(SmsError) as info:
        open_transport(f"http://127.0.0.1:{port}/").send(5, TO, TEXT)
    assert "cannot reach the SMS gateway" in str(info.value)
    assert "81234567890" not in str(info.value)


# ---- gammu:// ------------------------------------------------------------------------------

FAKE = """#!{python}
import json, os, sys
with open(os.environ["FAKE_GAMMU_LOG"], "a") as fh:
    fh.write(json.dumps([os.path.basename(sys.argv[0])] + sys.argv[1:]) + "\\n")
code = int(os.environ.get("FAKE_GAMMU_EXIT", "0"))
if code:
    sys.stderr.write("Sending SMS to " + sys.argv[-3] + " failed: No network (12)\\n")
else:
    print("Sending SMS 1/1....waiting for network answer..OK, message reference=13")
sys.exit(code)
"""


@pytest.fixture
def fake_gammu(tmp_path, monkeypatch):
    """``gammu`` and ``gammu-smsd-inject`` on PATH: record their arguments, exit with
    FAKE_GAMMU_EXIT."""
    import sys

    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("gammu", "gammu-smsd-inject"):
        program = folder / name
        program.write_text(FAKE.format(python=sys.executable))
        program.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_GAMMU_LOG", str(log))
    monkeypatch.delenv("FAKE_GAMMU_EXIT", raising=False)
    return log


def _calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_gammu_sends_with_sendsms(fake_gammu):
    transport = open_transport("gammu://")
    assert isinstance(transport, GammuTransport) and transport.blocking
    transport.send(3, TO, TEXT)
    assert _calls(fake_gammu) == [["gammu", "sendsms", "TEXT", TO, "-text", TEXT]]


def test_gammu_with_its_configuration_file_and_a_text_beyond_ascii(fake_gammu):
    open_transport("gammu:///etc/gammurc-modem").send(3, TO, "Kantor Dukcapil \u2013 siap")
    assert _calls(fake_gammu) == [
        [
            "gammu",
            "-c",
            "/etc/gammurc-modem",
            "sendsms",
            "TEXT",
            TO,
            "-unicode",
            "-text",
            "Kantor Dukcapil \u2013 siap",
        ]
    ]


def test_gammu_smsd_inject_when_the_daemon_holds_the_modem(fake_gammu):
    open_transport("gammu-smsd:///etc/gammu-smsdrc").send(3, TO, TEXT)
    assert _calls(fake_gammu) == [
        ["gammu-smsd-inject", "-c", "/etc/gammu-smsdrc", "TEXT", TO, "-text", TEXT]
    ]


def test_gammu_failing_is_an_error_with_its_words_but_not_the_number(fake_gammu, monkeypatch):
    monkeypatch.setenv("FAKE_GAMMU_EXIT", "3")
    with pytest.raises(SmsError) as info:
        open_transport("gammu://").send(3, TO, TEXT)
    said = str(info.value)
    assert said.startswith("gammu failed (3):") and "No network (12)" in said
    assert "81234567890" not in said and "\u2026" in said


def test_gammu_not_installed_is_said_plainly(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SmsError) as info:
        open_transport("gammu://").send(3, TO, TEXT)
    assert "not installed" in str(info.value)


def test_scrub_hides_numbers_in_any_form():
    assert scrub("to +6281234567890 and 0812-3456-7890 at 192.168.1.5:8080") == (
        "to \u2026 and \u2026 at 192.168.1.5:8080"
    )
