"""The nginx example (``deploy/nginx-loket.conf``) tried for real: nginx in front of two server
processes on PostgreSQL and Redis, as the README's production layout.

Through nginx a kiosk issues, an operator calls, and a TV that starts on long-polling and upgrades
to a WebSocket (sticky sessions and the upgrade headers are what make that work) gets the call.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
import socketio

from bench.live import ROOT, LiveServer, free_port
from tests.realtime.clients import HttpDesk
from tests.services import need, redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

EXAMPLE = ROOT / "deploy" / "nginx-loket.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _config(folder: Path, port: int, upstreams: list[int]) -> Path:
    """The example, unchanged but for its ports, inside a minimal main configuration."""
    site = EXAMPLE.read_text()
    assert site.count("server 127.0.0.1:500") == 2 and "listen 80;" in site
    site = site.replace("server 127.0.0.1:5001;", f"server 127.0.0.1:{upstreams[0]};")
    site = site.replace("server 127.0.0.1:5002;", f"server 127.0.0.1:{upstreams[1]};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    (folder / "loket.conf").write_text(site)
    main = folder / "nginx.conf"
    main.write_text(
        f"""daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
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


@pytest.fixture
def behind_nginx(pg_app, postgres_migrated, tmp_path):
    need(Path(NGINX).exists(), "the nginx test needs nginx (Debian package nginx)")
    env = {"MESSAGE_QUEUE_URL": redis_url(), "TRUSTED_PROXIES": "1"}
    first = LiveServer(database_url=postgres_migrated, extra_env=env)
    tokens = first.prepare()
    second = LiveServer(database_url=postgres_migrated, extra_env={**env, "PRINT_SPOOLER": "0"})
    first.start()
    second.start()
    port = free_port()  # nginx binds the port its configuration names
    conf = _config(tmp_path, port, [first.port, second.port])
    check = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen(
        [NGINX, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            requests.get(url + "/", timeout=1)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, (tmp_path / "error.log").read_text()
            time.sleep(0.1)
    yield url, tokens, tmp_path, (first.port, second.port)
    nginx.terminate()
    nginx.wait(10)
    first.stop()
    second.stop()


def test_the_example_serves_two_processes_with_websockets(behind_nginx):
    url, tokens, folder, _ports = behind_nginx
    events: list[tuple[str, dict]] = []
    tv = socketio.Client(reconnection=False)
    tv.on("board", lambda payload: events.append(("board", payload)))
    tv.on("called", lambda payload: events.append(("called", payload)))
    # Long-polling first, then the upgrade: both must pass through nginx to one process.
    tv.connect(url, transports=["polling", "websocket"], wait_timeout=10)
    try:
        tv.emit("join", {"office": "kupang"})
        desk = HttpDesk(SimpleNamespace(url=url), tokens)
        ticket = desk.issue("A")
        call = desk.call(1)
        assert call["code"] == ticket["code"]
        deadline = time.monotonic() + 10
        while not any(name == "called" for name, _ in events):
            assert time.monotonic() < deadline, events
            time.sleep(0.05)
        called = next(p for name, p in events if name == "called")
        assert called["code"] == ticket["code"] and called["counter"] == 1
        assert tv.transport() == "websocket"
        # Pages and static files come through too.
        page = requests.get(f"{url}/display/kupang", timeout=10)
        assert page.status_code == 200 and "Content-Security-Policy" in page.headers
        scripts = re.findall(r'<script src="([^"]+)"', page.text)
        # The Socket.IO client from npm, the live pages' shared connection, the shared DOM
        # helpers and the TV's own script.
        assert scripts == [
            "/vendor/socket.io.min.js",
            "/static/js/live-socket.js",
            "/static/js/dom.js",
            "/display/static/tv.js",
        ]
        for script in scripts:
            assert requests.get(url + script, timeout=10).status_code == 200, script
    finally:
        tv.disconnect()
    access = (folder / "access.log").read_text()
    assert " 101 " in access  # the WebSocket upgrade went through nginx
    assert "/api/v1/counters/" in access


def _upstream_connections(port: int) -> int:
    """Established connections from nginx to the process on ``port``."""
    listed = subprocess.run(
        ["ss", "-Htn", "state", "established", f"( dport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    )
    return len(listed.stdout.splitlines())


def test_screens_of_one_office_network_are_spread_over_the_processes(behind_nginx):
    """Phones and TVs of one office share a network (here 127.0.0.10-49, one /24): stickiness
    must hash the whole address, or every screen of the office lands on one process."""
    need(shutil.which("ss") is not None, "this test needs ss (Debian package iproute2)")
    url, _tokens, _folder, ports = behind_nginx
    port = int(url.rsplit(":", 1)[1])
    before = [_upstream_connections(p) for p in ports]
    screens = []
    try:
        for i in range(40):
            sock = socket.create_connection(
                ("127.0.0.1", port), timeout=10, source_address=(f"127.0.0.{10 + i}", 0)
            )
            sock.sendall(
                (
                    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                    f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    "\r\n"
                ).encode()
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 101"), i
            screens.append(sock)
        added = [_upstream_connections(p) - b for p, b in zip(ports, before, strict=True)]
        assert sum(added) >= 30, added  # (a keep-alive connection may close meanwhile)
        assert min(added) >= 5, f"40 screens of one network went {added[0]} / {added[1]}"
    finally:
        for sock in screens:
            sock.close()
