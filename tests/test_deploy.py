"""The files in deploy/ work: the kiosk launcher starts Chromium the right way and recovers it,
the systemd unit passes systemd's own check, and the udev rule is well formed."""

from __future__ import annotations

import http.server
import os
import re
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "deploy" / "loket-kiosk.sh"


@pytest.fixture
def page_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _fake_chromium(folder: Path) -> Path:
    """A stand-in for Chromium that writes down how it was started and exits."""
    fake = folder / "chromium"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$LOKET_TEST_ARGS"\nexit 0\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake


def _run(url: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "LOKET_TEST_ARGS": str(tmp_path / "args.txt"),
        "LOKET_KIOSK_ONCE": "1",
        **env,
    }
    return subprocess.run(
        ["/bin/sh", str(LAUNCHER), url], env=base, capture_output=True, text=True, timeout=60
    )


def test_launcher_opens_the_page_full_screen_in_its_own_profile(tmp_path, page_server):
    _fake_chromium(tmp_path)
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    # As left by a power cut: Chromium would offer to restore the session over the page.
    (profile / "Default" / "Preferences").write_text(
        '{"profile":{"exited_cleanly":false,"exit_type":"Crashed"}}'
    )
    result = _run(page_server + "display/kupang", tmp_path, LOKET_KIOSK_PROFILE=str(profile))
    assert result.returncode == 0, result.stderr
    args = (tmp_path / "args.txt").read_text().split("\n")
    assert args[:2] == ["--kiosk", page_server + "display/kupang"]
    assert f"--user-data-dir={profile}" in args
    assert "--autoplay-policy=no-user-gesture-required" in args  # the TV's chime and voice
    assert "--disable-session-crashed-bubble" in args
    prefs = (profile / "Default" / "Preferences").read_text()
    assert '"exited_cleanly":true' in prefs and '"exit_type":"Normal"' in prefs


def test_launcher_refuses_a_bad_address_and_a_missing_browser(tmp_path):
    bad = _run("kupang", tmp_path)
    assert bad.returncode == 2 and "http://" in bad.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = _run("http://127.0.0.1:9/", tmp_path, PATH=str(empty), CHROMIUM="")
    assert missing.returncode == 3 and "apt install chromium" in missing.stderr


def test_launcher_restarts_chromium_when_it_exits(tmp_path, page_server):
    counter = tmp_path / "starts"
    fake = tmp_path / "chromium"
    fake.write_text(
        f'#!/bin/sh\necho x >> "{counter}"\n'
        f'[ $(wc -l < "{counter}") -ge 2 ] && kill $PPID\nexit 1\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    result = subprocess.run(
        ["/bin/sh", str(LAUNCHER), page_server], env=env, capture_output=True, text=True, timeout=60
    )
    assert counter.read_text().count("x") == 2
    assert "starting it again" in result.stderr


def test_systemd_unit_passes_systemd_analyze(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = (ROOT / "deploy" / "loket@.service").read_text().replace("/opt/loket", str(ROOT))
    path = tmp_path / "loket@5001.service"
    path.write_text(unit)
    result = subprocess.run(
        [analyze, "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert (
        "ExecStart=/opt/loket/.venv/bin/python wsgi.py"
        in (ROOT / "deploy" / "loket@.service").read_text()
    )


def test_udev_rule_lines_are_well_formed():
    rule = re.compile(r'^(?:[A-Za-z{}]+(?:==|=)"[^"]*"(?:, )?)+$')
    lines = [
        line
        for line in (ROOT / "deploy" / "99-loket-printer.rules").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(lines) == 2
    for line in lines:
        assert rule.match(line), line
        assert 'GROUP="lp"' in line and 'MODE="0660"' in line
