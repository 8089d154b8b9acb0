"""Crash: the real server (``python wsgi.py``, eventlet, SQLite) is killed with SIGKILL ten times
at random moments while kiosks issue tickets and counters call and finish them, and restarted each
time on the same database and port.

What a client was told stays true: every ticket whose 201 reached a kiosk exists with its code and
token, every finish whose 200 reached an operator stays done, numbers have no gaps and no repeats,
a kiosk retrying with its Idempotency-Key never gets two tickets, and a TV reconnects by itself
and resyncs to a board no older than the last one it was shown.

``CRASH_SEED=N`` replays the same kill moments and choices.
"""

from __future__ import annotations

import itertools
import os
import queue
import random
import sqlite3
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
import requests
import socketio

from bench.live import LiveServer

pytestmark = pytest.mark.slow

KILLS = 10
KIOSKS = 4  # the first two send an Idempotency-Key and retry with it until they get an answer
KEYED_KIOSKS = 2
SERVICES = "ACDE"
# Counter 1 serves A, counter 4 serves C, E and F (the demo office).
OPERATED_COUNTERS = (1, 4)
REQUEST_TIMEOUT = 5
# What a client sees while the server is down or dying: retry a little later.
OUTAGE = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass
class Record:
    """What reached the clients, and anything unexpected they were told."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    issued: list[dict] = field(default_factory=list)  # 201 bodies (+ "key" when sent with one)
    called: list[dict] = field(default_factory=list)  # 200 bodies of call-next
    finished: list[int] = field(default_factory=list)  # ids whose finish answered 200
    outages: int = 0  # requests that got no answer
    unexpected: list[str] = field(default_factory=list)

    def add(self, name: str, item) -> None:
        with self.lock:
            getattr(self, name).append(item)

    def outage(self) -> None:
        with self.lock:
            self.outages += 1


def _error_code(response: requests.Response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


class Clients:
    """Kiosks and operators hammering the server over HTTP, riding out its deaths."""

    def __init__(self, server: LiveServer, tokens: dict[str, str], seed: int) -> None:
        self.server = server
        self.tokens = tokens
        self.seed = seed
        self.stop = threading.Event()
        self.record = Record()
        self.threads: list[threading.Thread] = []
        counters = requests.get(f"{server.url}/api/v1/offices/kupang/counters", timeout=10).json()
        self.counter_ids = {c["number"]: c["id"] for c in counters}

    def _post(self, http: requests.Session, path: str, role: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}", **kwargs.pop("headers", {})}
        return http.post(self.server.url + path, headers=headers, timeout=REQUEST_TIMEOUT, **kwargs)

    def _until_answered(self, send) -> requests.Response:
        """Send until an HTTP answer arrives (the server may be dead or restarting meanwhile)."""
        while True:
            try:
                return send()
            except OUTAGE:
                self.record.outage()
                time.sleep(0.05)

    def kiosk(self, number: int) -> None:
        with requests.Session() as http:
            self._kiosk(http, number)

    def _kiosk(self, http: requests.Session, number: int) -> None:
        rng = random.Random(self.seed * 100 + number)
        keyed = number < KEYED_KIOSKS
        while not self.stop.is_set():
            body = {"service": rng.choice(SERVICES), "print": False}
            if keyed:
                # One tap: the same key until an answer arrives, however many deaths that takes.
                key = uuid.uuid4().hex
                response = self._until_answered(
                    lambda body=body, key=key: self._post(
                        http,
                        "/api/v1/offices/kupang/tickets",
                        "kiosk",
                        json=body,
                        headers={"Idempotency-Key": key},
                    )
                )
            else:
                # No key: a request without an answer is simply given up (its ticket may exist).
                key = None
                try:
                    response = self._post(
                        http, "/api/v1/offices/kupang/tickets", "kiosk", json=body
                    )
                except OUTAGE:
                    self.record.outage()
                    time.sleep(0.05)
                    continue
            if response.status_code == 201:
                self.record.add("issued", {**response.json(), "key": key})
            else:
                self.record.add("unexpected", f"issue {response.status_code} {response.text}")
            time.sleep(rng.uniform(0.02, 0.08))

    def operator(self, counter_number: int) -> None:
        with requests.Session() as http:
            self._operator(http, counter_number)

    def _operator(self, http: requests.Session, counter_number: int) -> None:
        counter_id = self.counter_ids[counter_number]
        while True:
            # Stop only between tickets, so that no ticket is left at the counter.
            if self.stop.is_set():
                return
            response = self._until_answered(
                lambda: self._post(http, f"/api/v1/counters/{counter_id}/call-next", "operator")
            )
            if response.status_code == 204:
                time.sleep(0.05)
                continue
            if response.status_code == 200:
                ticket = response.json()
                self.record.add("called", ticket)
                held = ticket["id"]
            elif _error_code(response) == "counter_busy":
                # A call whose answer was lost before a kill: the counter still holds it.
                held = self._held(http, counter_number)
                if held is None:
                    self.record.add("unexpected", f"busy counter holds nothing: {response.text}")
                    continue
            else:
                self.record.add("unexpected", f"call {response.status_code} {response.text}")
                time.sleep(0.1)
                continue
            self._finish(http, held)

    def _held(self, http: requests.Session, counter_number: int) -> int | None:
        response = self._until_answered(
            lambda: http.get(
                f"{self.server.url}/api/v1/offices/kupang/queue",
                headers={"Authorization": f"Bearer {self.tokens['operator']}"},
                timeout=REQUEST_TIMEOUT,
            )
        )
        counter = next(c for c in response.json()["counters"] if c["number"] == counter_number)
        return counter["ticket"]["id"] if counter["ticket"] else None

    def _finish(self, http: requests.Session, ticket_id: int) -> None:
        lost = False
        while True:
            try:
                response = self._post(http, f"/api/v1/tickets/{ticket_id}/finish", "operator")
            except OUTAGE:
                self.record.outage()
                lost = True
                time.sleep(0.05)
                continue
            if response.status_code == 200:
                self.record.add("finished", ticket_id)
            elif not (lost and _error_code(response) == "invalid_transition"):
                # (A finish whose answer was lost and that had committed: now already done.)
                self.record.add("unexpected", f"finish {response.status_code} {response.text}")
            return

    def start(self) -> None:
        targets = [(self.kiosk, n) for n in range(KIOSKS)]
        targets += [(self.operator, n) for n in OPERATED_COUNTERS]
        for target, arg in targets:
            thread = threading.Thread(target=target, args=(arg,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self) -> None:
        """Let every client complete what it is doing (the server must be up), then stop."""
        self.stop.set()
        for thread in self.threads:
            thread.join(60)
            assert not thread.is_alive(), "a client never got an answer from the restarted server"


class Tv:
    """A display joined to the office; every board is kept with the connection it came on."""

    def __init__(self, url: str) -> None:
        self.connects = 0
        self.boards: queue.Queue = queue.Queue()
        self.seen: list[tuple[int, dict]] = []
        self.client = socketio.Client(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1
        )

        @self.client.event
        def connect():
            self.connects += 1
            self.client.emit("join", {"office": "kupang"})

        @self.client.on("board")
        def on_board(payload):
            self.boards.put((self.connects, payload))

        self.client.connect(url, transports=["websocket"], wait_timeout=10)

    def collect(self) -> list[tuple[int, dict]]:
        while True:
            try:
                self.seen.append(self.boards.get_nowait())
            except queue.Empty:
                return self.seen

    def next_board(self, check, timeout: float) -> tuple[int, dict]:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                item = self.boards.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(item)
            if check(*item):
                return item
        raise AssertionError(f"no such board within {timeout}s")


def _tickets_in_file(server: LiveServer) -> list[sqlite3.Row]:
    """Every kupang ticket as the database file holds it (read-only, the server is down)."""
    path = server.instance / "loket.db"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(
            "SELECT t.id, t.code, t.token, t.number, t.day, t.status, t.idempotency_key,"
            " s.code AS issued_service,"
            " (SELECT last_number FROM daily_sequences q WHERE q.office_id = t.office_id"
            "  AND q.service_id = t.issued_service_id AND q.day = t.day) AS last_number"
            " FROM tickets t JOIN services s ON s.id = t.issued_service_id"
            " JOIN offices o ON o.id = t.office_id WHERE o.slug = 'kupang'"
        ).fetchall()
    finally:
        conn.close()


def test_ten_kills_under_load_lose_nothing_a_client_was_told():
    seed = int(os.environ.get("CRASH_SEED") or random.randrange(1 << 30))
    print(f"CRASH_SEED={seed}")
    rng = random.Random(seed)
    server = LiveServer()
    tokens = server.prepare()
    server.start()
    clients = Clients(server, tokens, seed)
    tv = Tv(server.url)
    try:
        clients.start()
        issued_before_kill = []
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.3, 1.5))
            issued_before_kill.append(len(clients.record.issued))
            server.kill()
            server.start()
        clients.finish()
        record = clients.record
        assert record.unexpected == [], record.unexpected[:5]
        # The kills hit a busy server: tickets were issued between (almost) every two kills,
        # and clients lost answers.
        progress = [b - a for a, b in itertools.pairwise(issued_before_kill)]
        assert sum(1 for p in progress if p > 0) >= KILLS - 2, progress
        assert record.outages > 0

        # Quiet now: the last board the TV was sent, then one more kill.
        last_seq = _settled_seq(tv, server)
        epoch = tv.connects
        server.kill()
        rows = _tickets_in_file(server)
        print(
            f"{len(record.issued)} tickets given, {len(rows)} in the file, "
            f"{len(record.called)} calls and {len(record.finished)} finishes answered, "
            f"{record.outages} requests unanswered, the TV connected {tv.connects} times, "
            f"tickets between kills: {progress}"
        )
        _check_file(rows, record)

        server.start()
        _, fresh = tv.next_board(lambda e, b: e > epoch, timeout=20)
        api_board = requests.get(f"{server.url}/api/v1/offices/kupang/board", timeout=10).json()
        assert fresh["seq"] >= last_seq
        assert fresh["seq"] == api_board["seq"]
        assert fresh["waiting"] == api_board["waiting"]
        assert fresh["now_serving"] == api_board["now_serving"] == []
        waiting_in_file = defaultdict(int)
        for row in rows:
            if row["status"] == "waiting":
                waiting_in_file[row["code"][0]] += 1
        assert {k: v for k, v in api_board["waiting"].items() if v} == dict(waiting_in_file)

        _check_boards_never_went_back(tv.collect())
        _check_api(server, tokens, record)
    finally:
        clients.stop.set()
        tv.client.disconnect()
        server.stop()


def _settled_seq(tv: Tv, server: LiveServer) -> int:
    """The seq of the office now, once the TV has been shown it."""
    seq = requests.get(f"{server.url}/api/v1/offices/kupang/board", timeout=10).json()["seq"]
    tv.next_board(lambda _e, b: b["seq"] >= seq, timeout=10)
    return seq


def _check_file(rows: list[sqlite3.Row], record: Record) -> None:
    by_id = {row["id"]: row for row in rows}
    # Every ticket a kiosk was given is in the file as it was given.
    for ticket in record.issued:
        row = by_id.get(ticket["id"])
        assert row is not None, f"ticket {ticket['code']} (id {ticket['id']}) was lost"
        assert (row["code"], row["token"], row["number"], row["day"]) == (
            ticket["code"],
            ticket["token"],
            ticket["number"],
            ticket["day"],
        )
    # Numbers: 1..n per service and day, n being the day's counter.
    numbers = defaultdict(list)
    for row in rows:
        numbers[(row["issued_service"], row["day"])].append(row["number"])
        assert row["number"] <= row["last_number"]
    for (service, day), got in numbers.items():
        assert sorted(got) == list(range(1, len(got) + 1)), f"gap or repeat in {service} on {day}"
    for row in rows:
        assert row["last_number"] == len(numbers[(row["issued_service"], row["day"])])
    # A keyed kiosk retried every unanswered tap with its key: each key made exactly one ticket,
    # the one the kiosk was finally given.
    keyed = {t["key"]: t["id"] for t in record.issued if t["key"]}
    in_file = {row["idempotency_key"]: row["id"] for row in rows if row["idempotency_key"]}
    assert in_file == keyed
    # Tickets nobody was told about can only come from unkeyed requests that lost their answer.
    told = {t["id"] for t in record.issued}
    assert all(row["idempotency_key"] is None for row in rows if row["id"] not in told)
    # A finish that was answered stays done, and every call was finished before the clients
    # stopped; no ticket was handed to two calls.
    called = [t["id"] for t in record.called]
    assert len(called) == len(set(called)), "a ticket was called twice"
    for ticket_id in {*record.finished, *called}:
        assert by_id[ticket_id]["status"] == "done", by_id[ticket_id]["code"]
    assert not any(row["status"] in ("called", "serving") for row in rows)


def _check_boards_never_went_back(boards: list[tuple[int, dict]]) -> None:
    """The first board after each reconnect is at least as new as anything shown before it."""
    assert boards, "the TV was never sent a board"
    epochs = sorted({epoch for epoch, _ in boards})
    assert len(epochs) >= 3, f"the TV came back only {len(epochs)} times"
    shown = 0
    for epoch in epochs:
        seqs = [b["seq"] for e, b in boards if e == epoch]
        assert seqs[0] >= shown, f"after reconnect {epoch} the TV got seq {seqs[0]} < {shown}"
        shown = max(shown, *seqs)


def _check_api(server: LiveServer, tokens: dict[str, str], record: Record) -> None:
    """The restarted server tells the same story about every ticket a kiosk was given."""
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {tokens['admin']}"
        _check_each_ticket(http, server, record)


def _check_each_ticket(http: requests.Session, server: LiveServer, record: Record) -> None:
    finished = set(record.finished)
    for ticket in record.issued:
        got = http.get(f"{server.url}/api/v1/tickets/{ticket['id']}", timeout=10)
        assert got.status_code == 200, got.text
        body = got.json()
        assert (body["code"], body["token"], body["number"]) == (
            ticket["code"],
            ticket["token"],
            ticket["number"],
        )
        if ticket["id"] in finished:
            assert body["status"] == "done"
