"""Outages: PostgreSQL or Redis goes away under the real server (``python wsgi.py``) and comes back.

A TCP proxy stands between the server and the service; cutting it drops every open connection and
refuses new ones, as a stopped or restarted service does. While PostgreSQL is away every request
that needs it gets a clear 503 at once (JSON under ``/api/``, a page elsewhere) and changes
nothing; when it is back the same process answers again, numbering goes on without a gap, and the
screens get boards again. While Redis is away tickets are still issued; when it is back the
screens are brought up to date without anyone touching the queue.
"""

from __future__ import annotations

import re
import socket
import threading

import pytest
import requests
from sqlalchemy.engine import make_url

from bench.live import LiveServer, wait_for
from bench.proxy import Proxy
from printer.preview import preview_text
from tests.realtime.clients import MODES, HttpDesk, Screen, close_all
from tests.services import redis_url

pytestmark = pytest.mark.slow

ISSUE = "/api/v1/offices/kupang/tickets"
BOARD = "/api/v1/offices/kupang/board"


def _through(proxy: Proxy, url: str) -> str:
    return (
        make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )


def _sign_in(server: LiveServer, username: str) -> requests.Session:
    http = requests.Session()
    page = http.get(f"{server.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = http.post(
        f"{server.url}/login",
        data={"username": username, "password": server.password(username), "csrf_token": token},
        timeout=10,
    )
    assert response.status_code == 200 and "/login" not in response.url, response.text[:500]
    return http


def _assert_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["Retry-After"]
    error = response.json()["error"]
    assert error["code"] == "database_unavailable"
    # A sentence, in Indonesian by default.
    assert "Basis data sedang tidak menjawab" in error["message"]


@pytest.fixture
def postgres_proxy(pg_app, postgres_migrated):
    """A proxy to the test PostgreSQL database (emptied by pg_app)."""
    url = make_url(postgres_migrated)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    yield proxy, _through(proxy, postgres_migrated)
    proxy.close()


@pytest.mark.postgres
@pytest.mark.parametrize("mode", MODES)
def test_postgres_away_gives_503_and_the_same_process_recovers(postgres_proxy, mode):
    proxy, url = postgres_proxy
    server = LiveServer(async_mode=mode, database_url=url)
    tokens = server.prepare()
    server.start()
    desk = HttpDesk(server, tokens)
    operator = _sign_in(server, "operator")
    tv = Screen(server.url, {"office": "kupang"})
    try:
        first = [desk.issue("A") for _ in range(2)]
        tv.wait_for("board", lambda b: b["waiting"].get("A") == 2)
        pid = server.pid()
        counter = desk.counter_id(1)

        proxy.cut()
        # Every kind of caller is told, at once, that nothing happened and to try again.
        for _ in range(3):
            _assert_unavailable(desk.post(ISSUE, "kiosk", {"service": "A"}))
        _assert_unavailable(requests.get(server.url + BOARD, timeout=10))
        _assert_unavailable(desk.post(f"/api/v1/counters/{counter}/call-next", "operator"))
        page = requests.get(f"{server.url}/t/{first[0]['token']}", timeout=10)
        assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
        assert "Basis data sedang tidak menjawab" in page.text and "Traceback" not in page.text
        console = operator.get(f"{server.url}/counter", timeout=10)
        assert console.status_code == 503 and "Basis data sedang tidak menjawab" in console.text
        assert server.process.poll() is None

        proxy.restore()
        # The same process answers again by itself; the refused tickets left no gap.
        third = desk.issue("A")
        assert third["number"] == 3 and third["code"] == "A-003"
        assert server.pid() == pid and server.process.poll() is None
        tv.wait_for("board", lambda b: b["waiting"].get("A") == 3, timeout=10)
        board = requests.get(server.url + BOARD, timeout=10).json()
        assert board["waiting"]["A"] == 3
        assert operator.get(f"{server.url}/counter", timeout=10).status_code == 200
        # The print spooler lived through it: the new ticket is printed (as a preview).
        printed = server.instance / "tickets"
        try:
            wait_for(
                lambda: any(
                    "A - 0 0 3" in preview_text(printed, p.stem, 48) for p in printed.glob("*.bin")
                ),
                "the ticket issued after the outage printed",
            )
        except AssertionError as err:  # the spooler's story is in the log
            raise AssertionError(f"{err}\nserver log:\n{server.log()[-6000:]}") from None
        # Calling works again, and the call reaches the TV.
        assert desk.call(1)["code"] == "A-001"
        assert tv.wait_for("called", timeout=10)["code"] == "A-001"
    finally:
        close_all(tv)
        server.stop()


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.parametrize("mode", MODES)
def test_redis_away_tickets_still_issued_and_screens_catch_up(pg_app, postgres_migrated, mode):
    """Two processes share PostgreSQL and Redis; the TV is on A, the kiosk on B."""
    url = make_url(redis_url())
    proxy = Proxy(url.host or "127.0.0.1", url.port or 6379)
    env = {
        "MESSAGE_QUEUE_URL": f"redis://127.0.0.1:{proxy.port}/{url.database or 0}",
        "BOARD_RESYNC_SECONDS": "2",
    }
    first = LiveServer(async_mode=mode, database_url=postgres_migrated, extra_env=env)
    tokens = first.prepare()
    second = LiveServer(
        async_mode=mode, database_url=postgres_migrated, extra_env={**env, "PRINT_SPOOLER": "0"}
    )
    first.start()
    second.start()
    desk = HttpDesk(second, tokens)
    tv = Screen(first.url, {"office": "kupang"})
    try:
        desk.issue("A")
        tv.wait_for("board", lambda b: b["waiting"].get("A") == 1)

        proxy.cut()
        # Issuing and the public board need only the database.
        during = [desk.issue("A"), desk.issue("C")]
        assert [t["code"] for t in during] == ["A-002", "C-001"]
        # Anonymous requests are still counted (in memory on each process) and answered.
        for server in (first, second):
            assert requests.get(server.url + BOARD, timeout=10).json()["waiting"]["A"] == 2
        # The boards B sent could not reach A's screen.
        assert all(b["waiting"].get("A") == 1 for n, b in tv.drain() if n == "board")

        proxy.restore()
        # Nobody touches the queue: the screen on A still gets the board it missed.
        board = tv.wait_for(
            "board", lambda b: b["waiting"].get("A") == 2 and b["waiting"].get("C") == 1, 30
        )
        assert board["seq"] == requests.get(first.url + BOARD, timeout=10).json()["seq"]
        # And live events flow between the processes again: a call on B reaches the TV on A.
        desk.call(1)
        assert tv.wait_for("called", timeout=15)["code"] == "A-001"
        assert first.process.poll() is None and second.process.poll() is None
    finally:
        close_all(tv)
        first.stop()
        second.stop()
        proxy.close()


@pytest.mark.postgres
@pytest.mark.parametrize("mode", MODES)
def test_a_request_waiting_on_postgres_holds_up_no_other(pg_app, postgres_migrated, mode):
    """In the green modes psycopg2 waits through the event loop (wsgi.py): a kiosk's ticket
    stuck behind a lock leaves the rest of the process answering. Without that, one query
    waiting in libpq would stop every request and screen of the process."""
    import psycopg2

    from app.db import normalise_url

    server = LiveServer(async_mode=mode, database_url=postgres_migrated)
    tokens = server.prepare(roles=("kiosk",))
    server.start()
    desk = HttpDesk(server, tokens)
    dsn = normalise_url(postgres_migrated).replace("postgresql+psycopg2", "postgresql")
    holder = psycopg2.connect(dsn)
    issued: list[dict] = []
    kiosk = threading.Thread(target=lambda: issued.append(desk.issue("A")), daemon=True)
    try:
        holder.cursor().execute("LOCK TABLE daily_sequences IN ACCESS EXCLUSIVE MODE")
        kiosk.start()

        def kiosk_waiting() -> bool:
            with holder.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
                return cur.fetchone()[0] > 0

        wait_for(kiosk_waiting, "the kiosk's ticket waiting on the locked numbering")
        # Meanwhile the same process answers others (reads, a sign-in page).
        assert requests.get(f"{server.url}/api/v1/offices", timeout=10).status_code == 200
        assert requests.get(f"{server.url}/login", timeout=10).status_code == 200
        assert not issued
        holder.rollback()
        kiosk.join(15)
        assert [t["code"] for t in issued] == ["A-001"]
    finally:
        holder.close()
        server.stop()


@pytest.mark.postgres
@pytest.mark.parametrize("mode", MODES)
def test_a_database_that_accepts_and_never_answers_is_given_up(postgres_proxy, mode):
    """PostgreSQL's address takes connections and then says nothing (a hung host, a half-open
    firewall): requests still get the 503 after the connect timeout (app/db.py), also in the
    green modes, where that wait is wsgi.py's wait callback's and not libpq's."""
    proxy, url = postgres_proxy
    server = LiveServer(async_mode=mode, database_url=url)
    tokens = server.prepare(roles=("kiosk",))
    server.start()
    desk = HttpDesk(server, tokens)
    silent = socket.socket()
    try:
        assert desk.issue("A")["code"] == "A-001"
        proxy.cut()  # the pool's connections are dropped
        silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        silent.bind(("127.0.0.1", proxy.port))
        silent.listen(128)  # new ones complete in the backlog; nothing ever answers them
        _assert_unavailable(requests.get(server.url + BOARD, timeout=30))
        assert server.process.poll() is None
    finally:
        server.stop()
        silent.close()
