"""The real server (``python wsgi.py``, every async mode) against clients that misbehave on the
office LAN: heads that never finish, idle keep-alives, one address opening hundreds of
connections, more connections than the process has file descriptors, and oversized bodies.

Test clients bind to 127.0.0.2-127.0.0.9: the per-address cap exempts only 127.0.0.1 and ::1
(where nginx runs), so these count as LAN devices.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest
import requests

from bench.live import LiveServer, wait_for
from config import ASYNC_MODES

pytestmark = pytest.mark.slow

MODES = ASYNC_MODES
OFFICES = "/api/v1/offices"
WEBSOCKET = (
    b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)


def _connect(server: LiveServer, source: str = "127.0.0.2") -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.settimeout(15)
    sock.connect(("127.0.0.1", server.port))
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server closed ``sock`` (recv gives EOF or a reset)."""
    try:
        return sock.recv(4096) == b""
    except ConnectionResetError:
        return True


def _answers(server: LiveServer) -> bool:
    try:
        return requests.get(server.url + OFFICES, timeout=3).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(params=MODES)
def server(request):
    live = LiveServer(
        async_mode=request.param,
        extra_env={
            "HEADER_TIMEOUT": "2",
            "KEEPALIVE_TIMEOUT": "3",
            "MAX_CONNECTIONS_PER_ADDRESS": "20",
        },
    )
    live.prepare(roles=("kiosk",))
    live.start()
    yield live
    live.stop()


def test_a_request_head_that_never_finishes_is_closed_and_others_are_served(server):
    slow = _connect(server)
    slow.sendall(b"GET /api/v1/offices HTTP/1.1\r\nHost: x\r\n")  # no blank line: never ends
    assert _answers(server)  # the slow client holds nobody up
    assert _closed_by_server(slow)  # within HEADER_TIMEOUT (recv would otherwise wait 15 s)
    slow.close()


def test_a_head_sent_a_byte_at_a_time_is_cut_off(server):
    slow = _connect(server)
    head = b"GET /api/v1/offices HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 4000
    started = time.monotonic()
    closed = False
    for byte in head:
        try:
            slow.send(bytes([byte]))
        except OSError:
            closed = True
            break
        time.sleep(0.5)
        if time.monotonic() - started > 12:
            break
    if not closed:
        slow.settimeout(1)
        closed = _closed_by_server(slow)
    assert closed, "a head trickled a byte every half second was still open after 12 s"
    slow.close()


def test_an_idle_keep_alive_connection_is_closed(server):
    sock = _connect(server)
    sock.sendall(b"GET /api/v1/offices HTTP/1.1\r\nHost: x\r\n\r\n")
    first = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200")
    sock.settimeout(15)
    data = first
    while True:  # read until the server closes: it must, after KEEPALIVE_TIMEOUT
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    assert data.count(b"HTTP/1.1 ") == 1
    sock.close()


def test_one_address_may_hold_only_its_share_of_connections(server):
    held = [_connect(server, "127.0.0.3") for _ in range(20)]
    for sock in held:  # twenty screens on their WebSockets
        sock.sendall(WEBSOCKET)
    for sock in held:
        assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    extra = _connect(server, "127.0.0.3")
    answer = extra.recv(4096)
    assert answer.startswith(b"HTTP/1.1 503")
    assert b"Too many connections from your address" in answer
    extra.close()
    # Another device is not affected, and the address gets in again once it lets go.
    other = _connect(server, "127.0.0.4")
    other.sendall(b"GET /api/v1/offices HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert other.recv(4096).startswith(b"HTTP/1.1 200")
    other.close()
    for sock in held:
        sock.close()

    def admitted_again() -> bool:
        sock = _connect(server, "127.0.0.3")
        sock.sendall(b"GET /api/v1/offices HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        ok = sock.recv(4096).startswith(b"HTTP/1.1 200")
        sock.close()
        return ok

    wait_for(admitted_again, "the address admitted again after closing its connections")


@pytest.mark.parametrize("mode", MODES)
def test_running_out_of_file_descriptors_pauses_accepting_and_the_server_recovers(mode):
    server = LiveServer(async_mode=mode, extra_env={"HEADER_TIMEOUT": "3"}, open_files=256)
    server.prepare(roles=())
    server.start()
    held = []
    try:
        assert "up to 256 open files" in server.log()
        # More half-sent heads than the process has descriptors, from several addresses.
        for i in range(300):
            sock = socket.socket()
            sock.bind((f"127.0.0.{2 + i % 8}", 0))
            sock.settimeout(5)
            try:
                sock.connect(("127.0.0.1", server.port))
                sock.sendall(b"GET /api/v1/offices HTTP/1.1\r\nHost: x\r\n")
            except OSError:
                pass  # the backlog may be full: that is the point
            held.append(sock)
        wait_for(lambda: "not accepting connections for a moment" in server.log(), "EMFILE met")
        assert server.process.poll() is None
        # The slow heads time out, descriptors come back, and the same process answers.
        wait_for(lambda: _answers(server), "the server answering again", timeout=30)
        assert server.process.poll() is None
        assert "Loket stopped" not in server.log()
    finally:
        for sock in held:
            sock.close()
        server.stop()


def test_the_soft_open_files_limit_is_raised_to_the_hard_limit(server):
    with open(f"/proc/{server.pid()}/limits") as fh:
        line = next(row for row in fh if row.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    assert soft == hard


@pytest.mark.parametrize(
    ("path", "body_type"),
    [
        ("/api/v1/offices/kupang/tickets", "application/json"),
        ("/login", "multipart/form-data; boundary=x"),
    ],
)
def test_a_body_over_one_megabyte_is_refused_before_it_is_sent(server, path, body_type):
    sock = _connect(server)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {body_type}\r\n"
        f"Accept: application/json\r\nContent-Length: {64 * 1024 * 1024}\r\n\r\n".encode()
        + b"--x\r\n"
    )
    # The answer comes although 64 MB were announced and a few bytes sent.
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert b"connection: close" in head.lower()
    error = json.loads(body)["error"]
    assert error["code"] == "too_large"
    assert "1024 KB" in error["message"]


_EVENTLET_UNMASK = """
import json, sys, warnings
warnings.simplefilter("ignore")  # "Eventlet is deprecated": its choice, see README
from eventlet.websocket import RFC6455WebSocket
original = RFC6455WebSocket.__dict__["_apply_mask"].__func__
cases = json.load(sys.stdin)
print(json.dumps([
    bytes(original(bytes.fromhex(d), bytes.fromhex(m), size, offset)).hex()
    for d, m, size, offset in cases
]))
"""


def test_unmasking_a_websocket_frame_gives_what_eventlet_gives():
    """wsgi.py replaces eventlet's byte-at-a-time unmasking with app.connections.unmask; the
    bytes must be the same for every length, offset and mask. eventlet's own function runs in a
    child process: importing eventlet's WebSocket module here would change this test process
    (its threading servers stop shutting down)."""
    import random

    from app.connections import unmask

    rng = random.Random(7)
    cases = []
    for length in [0, 1, 2, 3, 4, 5, 7, 8, 63, 64, 65, 1000]:
        data = bytes(rng.randrange(256) for _ in range(length + rng.randrange(3)))
        mask = bytes(rng.randrange(256) for _ in range(4))
        for offset in range(5):
            for size in (None, length):
                cases.append((data, mask, size, offset))
    cases.append((b"abc", b"\x01\x02\x03\x04", None, 0))
    result = subprocess.run(
        [sys.executable, "-c", _EVENTLET_UNMASK],
        input=json.dumps([(d.hex(), m.hex(), size, offset) for d, m, size, offset in cases]),
        capture_output=True,
        text=True,
        check=True,
    )
    expected = [bytes.fromhex(h) for h in json.loads(result.stdout)]
    assert [bytes(unmask(d, m, size, offset)) for d, m, size, offset in cases] == expected
    assert unmask(bytearray(b"abc"), b"\x01\x02\x03\x04") == expected[-1]


def test_websocket_compression_offered_as_browsers_do_is_declined(server):
    # Accepted, it gives every connection zlib contexts of its own (5,000 phones: 918 MB
    # instead of 401) and compresses each message again for every client (app/websockets.py).
    sock = _connect(server)
    try:
        offer = b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        sock.sendall(WEBSOCKET.replace(b"Sec-WebSocket-Version", offer + b"Sec-WebSocket-Version"))
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(4096)
        head, _, rest = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        assert b"sec-websocket-extensions" not in head.lower(), head
        # The Engine.IO open packet arrives as a plain text frame (no compressed-frame bit).
        while len(rest) < 2:
            rest += sock.recv(4096)
        assert rest[0] == 0x81, rest[:20]
        assert rest[2:].startswith(b"0{") or rest[4:].startswith(b"0{"), rest[:40]
    finally:
        sock.close()


def test_a_websocket_upgrade_refused_gets_a_whole_plain_answer(server):
    # eventlet keeps only the Connection header of a WebSocket's head (wsgi.websocket_head):
    # an upgrade Engine.IO refuses is still answered in full, and the connection closes.
    sock = _connect(server)
    try:
        sock.sendall(WEBSOCKET.replace(b"transport=websocket", b"transport=websocket&sid=nobody"))
        answer = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), head
        assert body, head  # Engine.IO's sentence, read to the close
        lengths = [
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ]
        assert lengths in ([], [len(body)]), (head, body)
    finally:
        sock.close()


def test_a_websocket_keeps_one_copy_of_its_head():
    import email.message
    import email.parser

    import wsgi

    raw = (
        "Host: loket.lan\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        "User-Agent: Mozilla/5.0 (Linux; Android 10; K)\r\nX-Made-Up: 1\r\n\r\n"
    )
    parsed = email.parser.Parser(_class=email.message.Message).parsestr(raw)
    env = {
        "REQUEST_METHOD": "GET",
        "headers_raw": tuple(parsed.items()),
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in parsed.items()},
    }
    kept, slim = wsgi.websocket_head(parsed, env)
    assert list(kept.items()) == [("Connection", "Upgrade")]
    assert "headers_raw" not in slim
    assert {k: v for k, v in env.items() if k != "headers_raw"} == slim
    shared = next(k for k in slim if k == "HTTP_USER_AGENT")
    assert shared is wsgi.SHARED_KEYS["HTTP_USER_AGENT"]
    # A made-up name is kept as it came, never added to the shared ones.
    assert "HTTP_X_MADE_UP" in slim and "HTTP_X_MADE_UP" not in wsgi.SHARED_KEYS


def test_a_lazy_writer_makes_its_buffer_only_to_write():
    import wsgi

    ours, theirs = socket.socketpair()
    try:
        unused = wsgi.LazyWriter(ours, 1024)
        unused.flush()
        assert not unused.closed
        unused.close()  # nothing was made, nothing to close; the socket stays open
        assert unused._file is None
        writer = wsgi.LazyWriter(ours, 1024)
        writer.writelines([b"HTTP/1.1 400 BAD REQUEST\r\n", b"\r\n"])
        writer.write(b"body")
        writer.flush()
        assert theirs.recv(100) == b"HTTP/1.1 400 BAD REQUEST\r\n\r\nbody"
        writer.close()
        assert writer.closed
    finally:
        ours.close()
        theirs.close()
