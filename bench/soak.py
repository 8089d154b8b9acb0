"""The soak day: a compressed office day lived through by real server processes, with the
trouble a real office has, and the rules that must hold at its end.

Two topologies, side by side:

- ``single``: one server process (eventlet, SQLite), the office default;
- ``pair``: two server processes on PostgreSQL and Redis (each behind a TCP proxy that can be
  cut), the spooler on the first.

Each lives through one day of three offices (``loket demo``): ``--tickets`` tickets per office
issued on a morning-peak arrival curve over ``--day`` seconds (8 office hours compressed; the
default is 20x: 1,440 s), counters calling, serving and finishing with service times that keep
them about 85 % busy, a clerk printing and handing over the cards of card services (blocking a
card when the blank cards run out), 30 TV and phone clients that drop and reconnect at random,
each office's printer on its own fake network printer, and, at fixed points of the day:

- 0.10-0.18: Kupang's printer switched off, then on again;
- 0.15: the server (pair: the printing process) killed with SIGKILL and started again;
- 0.25-0.32: from one address, a join flood (connections sending 600 joins each, reconnecting)
  and 300 half-open connections (half a request head, then nothing);
- 0.40 and 0.60: Oebobo's printer drops the connection during one ticket (it must print again);
- 0.45: (pair) Redis cut for 5 s; 0.55: (pair) PostgreSQL cut for 5 s.

Checked at the end: no acknowledged ticket lost, no number repeated or skipped, no ticket called
twice, every call reached every connected TV or was in the board it got after reconnecting,
every ticket printed, twice only when its printer dropped during it (or it was being printed
when the server was killed), no 5xx but 503 during the outages, RSS and open files flat after
warm-up (under 10 % growth over the last two thirds). One table of figures.

    python -m bench.soak                      # 20x: about 30 minutes, both topologies at once
    python -m bench.soak --day 90 --tickets 150 --topology single   # the CI version's size
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import threading
import time
import uuid
from bisect import bisect_left, bisect_right
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from app.domain.snapshots import RECENT_CALLS
from bench.databases import drop_database, fresh_database
from bench.fake_printer import FakePrinter
from bench.harness import goal_row, percentile, service_url, table
from bench.live import LiveServer
from bench.proxy import Proxy
from bench.screens import LeanScreen
from printer.decode import decode

OFFICES = ("kupang", "oebobo", "kota-raja")
# Arrivals per service (the demo's counters: Kupang 1-2 A, 3 BG, 4 CEF, 5 DH; districts 1 A, 2 CG).
SERVICE_MIX = {
    "kupang": {
        "A": 0.40,
        "B": 0.10,
        "G": 0.10,
        "C": 0.10,
        "E": 0.05,
        "F": 0.05,
        "D": 0.1,
        "H": 0.1,
    },
    "oebobo": {"A": 0.5, "C": 0.3, "G": 0.2},
    "kota-raja": {"A": 0.5, "C": 0.3, "G": 0.2},
}
CARD_SERVICES = {"A", "B"}
NO_SHOW = 0.03
CODE = re.compile(r"^[A-Z]-\d{3,}$")
CODE_BYTES = re.compile(rb"[A-H]-\d{3,}")
TV_PER_OFFICE = 3
PHONES = 30 - TV_PER_OFFICE * len(OFFICES)
CATCH_UP = 120.0  # seconds: a call this recent is announced by a TV that (re)joins (tv.js)
# The board carries an office's last RECENT_CALLS calls only: a TV that comes back after as many
# newer calls cannot catch up an older one (it shows in the TV's history, unspoken).


def now() -> float:
    return time.monotonic()


# ---- the printers --------------------------------------------------------------------------


class SoakPrinter(FakePrinter):
    """A fake network printer that can drop the connection during one ticket, and remembers which
    ticket that was (its code is in the bytes it got)."""

    def __init__(self, port: int = 0) -> None:
        self.drop_next = False
        self.drops: Tally[str] = Tally()
        super().__init__("ok", port)

    def _serve(self, conn: socket.socket) -> None:
        if not self.drop_next:
            super()._serve(conn)
            return
        received = bytearray()
        answered = False
        conn.settimeout(0.5)
        with conn:
            deadline = now() + 5
            while now() < deadline:
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                received += chunk
                if not answered and len(received) >= 3 and received.startswith(b"\x10\x04"):
                    answered = True
                    conn.sendall(b"\x12")  # paper present: the ticket comes
                found = CODE_BYTES.search(received)
                if found:
                    self.drop_next = False
                    self.drops[found.group().decode()] += 1
                    return  # closed mid-ticket: nothing usable came out


class Printers:
    """A SoakPrinter per office, on fixed ports (one switched off comes back on its port)."""

    def __init__(self) -> None:
        self.current = {slug: SoakPrinter() for slug in OFFICES}  # each binds a port of its own
        self.ports = {slug: printer.port for slug, printer in self.current.items()}
        self.retired: dict[str, list[SoakPrinter]] = defaultdict(list)

    def env(self) -> dict[str, str]:
        return {
            "PRINTER_URL_" + slug.upper().replace("-", "_"): f"tcp://127.0.0.1:{port}"
            for slug, port in self.ports.items()
        }

    def switch_off(self, slug: str) -> None:
        printer = self.current.pop(slug)
        printer.stop()
        self.retired[slug].append(printer)

    def switch_on(self, slug: str) -> None:
        self.current[slug] = SoakPrinter(self.ports[slug])

    def papers(self, slug: str) -> list[bytes]:
        printers = [*self.retired[slug], *([self.current[slug]] if slug in self.current else [])]
        return [job for printer in printers for job in printer.jobs]

    def drops(self, slug: str) -> Tally[str]:
        printers = [*self.retired[slug], *([self.current[slug]] if slug in self.current else [])]
        total: Tally[str] = Tally()
        for printer in printers:
            total.update(printer.drops)
        return total

    def stop(self) -> None:
        for printer in self.current.values():
            printer.stop()


def paper_codes(papers: list[bytes]) -> Tally[str]:
    codes: Tally[str] = Tally()
    for paper in papers:
        found = [t.strip() for t in decode(paper).texts if CODE.match(t.strip())]
        codes[found[0] if found else "?"] += 1
    return codes


# ---- what everyone saw ---------------------------------------------------------------------


@dataclass
class Record:
    """Everything the actors saw, for the checks and the table (guarded by ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    issued: dict[str, dict[str, Any]] = field(default_factory=dict)  # "office/code" -> ticket
    issue_ms: list[float] = field(default_factory=list)
    calls: list[tuple[str, str, int, float, float]] = field(default_factory=list)
    unknown_calls: list[tuple[str, str]] = field(default_factory=list)
    call_ms: list[float] = field(default_factory=list)
    errors: Tally[str] = field(default_factory=Tally)
    statuses: Tally[int] = field(default_factory=Tally)
    stray_5xx: list[str] = field(default_factory=list)
    cards: Tally[str] = field(default_factory=Tally)
    tv_ms: list[float] = field(default_factory=list)
    reconnects: int = 0
    phone_updates: int = 0
    flood: Tally[str] = field(default_factory=Tally)

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1


class Outages:
    """When the planned outages ran (a 503 is expected only then)."""

    def __init__(self) -> None:
        self.windows: list[tuple[float, float]] = []
        self._open: dict[str, float] = {}

    def begin(self, name: str) -> None:
        self._open[name] = now()

    def end(self, name: str, grace: float = 5.0) -> None:
        self.windows.append((self._open.pop(name), now() + grace))

    def during(self, moment: float) -> bool:
        return bool(self._open) or any(start <= moment <= end for start, end in self.windows)


# ---- one topology ------------------------------------------------------------------------------


class Day:
    def __init__(self, topology: str, args: argparse.Namespace) -> None:
        self.topology, self.args = topology, args
        self.rng = random.Random(f"{args.seed}-{topology}")
        self.record = Record()
        self.outages = Outages()
        self.printers = Printers()
        self.stop = threading.Event()
        self.arrivals_done = threading.Event()
        self.samples: list[tuple[float, float, int]] = []  # (day fraction, RSS MB, fds)
        self.restarts = 0
        self.redis_proxy: Proxy | None = None
        self.pg_proxy: Proxy | None = None
        self.database_url: str | None = None  # the pair's own PostgreSQL database
        self.servers: list[LiveServer] = []
        self.start_at = 0.0

    # -- set-up ------------------------------------------------------------------------------

    def setup(self) -> None:
        env = {
            **self.printers.env(),
            # Per-address limits as shipped; the flood comes from 127.0.0.9 and 127.0.0.8.
            "STOP_GRACE": "1",
        }
        if self.topology == "single":
            server = LiveServer(extra_env=env)
            self.tokens = server.prepare(roles=("admin",))
            self.servers = [server]
            self.execute(f"UPDATE offices SET timezone = '{morning_timezone()}'")
        else:
            from sqlalchemy.engine import make_url

            pg = make_url(service_url("TEST_DATABASE_URL"))
            self.pg_proxy = Proxy(pg.host or "127.0.0.1", pg.port or 5432)
            self.database_url = fresh_database(service_url("TEST_DATABASE_URL"), "loket_soak")
            database = make_url(self.database_url)
            through_pg = database.set(host="127.0.0.1", port=self.pg_proxy.port)
            redis = make_url(service_url("TEST_REDIS_URL"))
            self.redis_proxy = Proxy(redis.host or "127.0.0.1", redis.port or 6379)
            queue_url = f"redis://127.0.0.1:{self.redis_proxy.port}/{redis.database or 0}"
            db_url = through_pg.render_as_string(hide_password=False)
            first = LiveServer(
                database_url=db_url, extra_env={**env, "MESSAGE_QUEUE_URL": queue_url}
            )
            second = LiveServer(
                database_url=db_url,
                extra_env={**env, "MESSAGE_QUEUE_URL": queue_url, "PRINT_SPOOLER": "0"},
                instance=first.instance,
            )
            self.tokens = first.prepare(roles=("admin",))
            self.servers = [first, second]
            self.execute(f"UPDATE offices SET timezone = '{morning_timezone()}'")
        for server in self.servers:
            server.start()
        self.sessions = threading.local()
        self.all_sessions: list[requests.Session] = []
        self.counters = {
            slug: requests.get(
                f"{self.servers[0].url}/api/v1/offices/{slug}/counters", timeout=10
            ).json()
            for slug in OFFICES
        }

    def url(self, index: int | None = None) -> str:
        """A server's address (the pair's are taken in turn, as behind a load balancer)."""
        if index is None:
            index = self.rng.randrange(len(self.servers))
        return self.servers[index % len(self.servers)].url

    def fraction(self) -> float:
        return (now() - self.start_at) / self.args.day

    def at(self, fraction: float) -> None:
        """Wait until ``fraction`` of the day."""
        delay = self.start_at + fraction * self.args.day - now()
        if delay > 0:
            self.stop.wait(delay)

    # -- HTTP with the record ---------------------------------------------------------------

    def call(self, method: str, path: str, body: Any = None, key: str | None = None, server=None):
        """One API call as the admin token; (status, JSON) or (None, None) without an answer."""
        http = getattr(self.sessions, "http", None)
        if http is None:
            http = self.sessions.http = requests.Session()
            self.all_sessions.append(http)
        headers = {"Authorization": f"Bearer {self.tokens['admin']}"}
        if key:
            headers["Idempotency-Key"] = key
        sent = now()
        try:
            response = http.request(
                method, self.url(server) + path, json=body, headers=headers, timeout=15
            )
        except requests.RequestException as err:
            self.record.error(f"no answer ({type(err).__name__})")
            http.close()
            return None, None
        with self.record.lock:
            self.record.statuses[response.status_code] += 1
        if response.status_code >= 500:
            if response.status_code == 503 and self.outages.during(sent):
                self.record.error("503 during an outage")
            else:
                self.record.error(f"{response.status_code} outside an outage")
                with self.record.lock:
                    self.record.stray_5xx.append(f"{method} {path}: {response.text[:200]}")
        try:
            payload = response.json()
        except ValueError:
            payload = None
        return response.status_code, payload

    # -- the residents -------------------------------------------------------------------------

    def arrivals(self, slug: str) -> list[tuple[float, str]]:
        """(day fraction, service) of each resident: 60 % around a 09:30 peak, the rest spread
        over the day, all before the 15:00 cut-off (7/8 of the day)."""
        mix = SERVICE_MIX[slug]
        times = []
        for _ in range(self.args.tickets):
            if self.rng.random() < 0.6:
                t = self.rng.gauss(1.5 / 8, 0.7 / 8)
            else:
                t = self.rng.uniform(0, 7 / 8)
            times.append(min(7 / 8, max(0.0, t)))
        services = self.rng.choices(list(mix), weights=list(mix.values()), k=len(times))
        return sorted(zip(times, services, strict=True))

    def kiosk(self, slug: str) -> None:
        for moment, service in self.arrivals(slug):
            self.at(moment)
            if self.stop.is_set():
                return
            key = uuid.uuid4().hex
            for _attempt in range(40):
                started = now()  # each tap again (until a number comes, ~60 s) is timed
                status, ticket = self.call(
                    "POST", f"/api/v1/offices/{slug}/tickets", {"service": service}, key=key
                )
                if status == 201:
                    with self.record.lock:
                        self.record.issued[f"{slug}/{ticket['code']}"] = {
                            "id": ticket["id"],
                            "token": ticket["token"],
                            "service": service,
                            "office": slug,
                        }
                        self.record.issue_ms.append((now() - started) * 1000)
                    break
                if status is not None and status < 500 and status != 429:
                    self.record.error(f"issue refused {status}")
                    break
                time.sleep(1.5)
            else:
                self.record.error("issue gave up")
        self.arrivals_done.set()

    # -- the counters ------------------------------------------------------------------------

    def service_seconds(self, slug: str) -> float:
        """Mean service time that keeps the office's counters about 85 % busy."""
        counters = len(self.counters[slug])
        return 0.85 * counters * (7 / 8) * self.args.day / self.args.tickets

    def counter(self, slug: str, counter: dict[str, Any], clerk: list) -> None:
        mean = self.service_seconds(slug)
        idle_since = None
        while not self.stop.is_set():
            sent = now()
            status, ticket = self.call("POST", f"/api/v1/counters/{counter['id']}/call-next")
            if status == 200:
                idle_since = None
                with self.record.lock:
                    self.record.calls.append((slug, ticket["code"], counter["number"], sent, now()))
                self.serve(slug, ticket, mean, clerk)
                continue
            if status == 409:
                self.finish_held(slug, counter)
                continue
            if status == 204 and self.arrivals_done.is_set():
                idle_since = idle_since or now()
                if now() - idle_since > 3:
                    return  # the day's queue is empty
            self.stop.wait(min(1.0, mean / 4))

    def serve(self, slug: str, ticket: dict[str, Any], mean: float, clerk: list) -> None:
        if self.rng.random() < NO_SHOW:
            self.stop.wait(min(mean / 3, 2))
            self.move(ticket["id"], "no-show")
            return
        self.move(ticket["id"], "start")
        self.stop.wait(self.rng.expovariate(1 / mean))
        if self.move(ticket["id"], "finish") and ticket["service"] in CARD_SERVICES:
            clerk.append((now(), ticket))

    def move(self, ticket_id: int, action: str) -> bool:
        for _ in range(30):
            status, _ = self.call("POST", f"/api/v1/tickets/{ticket_id}/{action}")
            if status == 200:
                return True
            if status == 409:
                return False  # already done (an answer lost in a restart)
            time.sleep(1)
        self.record.error(f"{action} gave up")
        return False

    def finish_held(self, slug: str, counter: dict[str, Any]) -> None:
        """The counter still holds a ticket whose call answer was lost (a restart): finish it."""
        status, view = self.call("GET", f"/api/v1/offices/{slug}/queue")
        if status != 200:
            time.sleep(1)
            return
        mine = next((c for c in view["counters"] if c["id"] == counter["id"]), None)
        held = mine and mine.get("ticket")
        if held:
            self.record.error("call answer lost, ticket finished later")
            with self.record.lock:
                # When it was called is not known: no TV is held to it.
                self.record.unknown_calls.append((slug, held["code"]))
            if held["status"] == "called":
                self.move(held["id"], "start")
            self.move(held["id"], "finish")

    # -- the clerk -------------------------------------------------------------------------------

    def clerk(self, slug: str, cards: list, counters_done: threading.Event) -> None:
        delay = self.service_seconds(slug) / 2  # printing a card takes a while
        while not (counters_done.is_set() and not cards):
            if not cards:
                self.stop.wait(0.2)
                if self.stop.is_set():
                    return
                continue
            finished_at, ticket = cards[0]
            if now() - finished_at < delay:
                self.stop.wait(0.1)
                continue
            cards.pop(0)
            status, _ = self.call(
                "POST", f"/api/v1/tickets/{ticket['id']}/stage", {"stage": "printed"}
            )
            if status == 409:
                status, _ = self.call(
                    "POST",
                    f"/api/v1/tickets/{ticket['id']}/stage",
                    {"stage": "blocked", "reason": "no_blank_cards"},
                )
                with self.record.lock:
                    self.record.cards["blocked (no blank cards)" if status == 200 else "?"] += 1
                continue
            if status != 200:
                continue
            status, _ = self.call(
                "POST", f"/api/v1/tickets/{ticket['id']}/stage", {"stage": "handed_over"}
            )
            with self.record.lock:
                self.record.cards["handed over" if status == 200 else "printed only"] += 1

    # -- screens ---------------------------------------------------------------------------------

    def screens(self) -> None:
        asyncio.run(self._screens())

    async def _screens(self) -> None:
        self.tvs = [TV(self, slug, i) for slug in OFFICES for i in range(TV_PER_OFFICE)]
        tasks = [asyncio.create_task(tv.live()) for tv in self.tvs]
        tasks += [asyncio.create_task(self._phone(i)) for i in range(PHONES)]
        tasks.append(asyncio.create_task(self._flood()))
        while not self.stop.is_set():
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _phone(self, index: int) -> None:
        """A resident's phone follows a recent ticket, then another; drops and reconnects."""
        rng = random.Random(f"{self.args.seed}-phone-{index}")
        while not self.stop.is_set():
            with self.record.lock:
                tickets = list(self.record.issued.values())[-40:]
            if not tickets:
                await asyncio.sleep(0.5)
                continue
            ticket = rng.choice(tickets)

            def on_event(_screen, name, _payload):
                if name == "ticket":
                    self.record.phone_updates += 1

            screen = LeanScreen(self._port(rng), {"ticket": ticket["token"]}, on_event)
            try:
                await asyncio.wait_for(screen.run(), timeout=rng.uniform(5, 30))
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                pass
            self.record.reconnects += 1
            await asyncio.sleep(rng.uniform(0.2, 2))

    def _port(self, rng: random.Random) -> int:
        return self.servers[rng.randrange(len(self.servers))].port

    async def _flood(self) -> None:
        """0.25-0.32 of the day: from one address, joins in floods and half-open connections."""
        await asyncio.sleep(max(0.0, self.start_at + 0.25 * self.args.day - now()))
        end = self.start_at + 0.32 * self.args.day
        half_open = []
        for server in self.servers:
            for _ in range(300):
                try:
                    _reader, writer = await asyncio.open_connection(
                        "127.0.0.1", server.port, local_addr=("127.0.0.8", 0)
                    )
                    writer.write(b"GET /api/v1/offices HTTP/1.1\r\nHost: x\r\n")
                    half_open.append(writer)
                except OSError as err:
                    self.record.flood[f"half-open refused ({err.strerror or err})"] += 1
        self.record.flood["half-open opened"] = len(half_open)

        def on_event(_screen, name, payload):
            if name == "board":
                self.record.flood["boards to the flooder"] += 1
            elif name == "error":
                self.record.flood[f"error {payload.get('code')}"] += 1
            elif name == "connect_error":
                self.record.flood["connect refused"] += 1

        async def flooder(index: int) -> None:
            while now() < end and not self.stop.is_set():
                screen = LeanScreen(
                    self.servers[index % len(self.servers)].port,
                    {"office": "kupang"},
                    on_event,
                    bind="127.0.0.9",
                    repeat=600,
                )
                self.record.flood["flood connections"] += 1
                try:
                    await asyncio.wait_for(screen.run(), timeout=10)
                except (TimeoutError, OSError, asyncio.IncompleteReadError):
                    pass
                await asyncio.sleep(0.05)

        await asyncio.gather(*(flooder(i) for i in range(4)), return_exceptions=True)
        for writer in half_open:
            writer.close()

    # -- the trouble -------------------------------------------------------------------------------

    def trouble(self) -> None:
        self.at(0.10)
        self.printers.switch_off("kupang")
        self.at(0.15)
        self.kill_and_restart()
        self.at(0.18)
        self.printers.switch_on("kupang")
        self.at(0.40)
        self.printers.current["oebobo"].drop_next = True
        if self.topology == "pair":
            self.at(0.45)
            self.outages.begin("redis")
            self.redis_proxy.cut()
            self.stop.wait(5)
            self.redis_proxy.restore()
            self.outages.end("redis")
            self.at(0.55)
            self.outages.begin("postgresql")
            self.pg_proxy.cut()
            self.stop.wait(5)
            self.pg_proxy.restore()
            self.outages.end("postgresql", grace=10)
        self.at(0.60)
        self.printers.current["oebobo"].drop_next = True

    def kill_and_restart(self) -> None:
        server = self.servers[0]  # the one that prints
        self.outages.begin("kill")
        os.kill(server.pid(), signal.SIGKILL)
        server.process.wait(10)
        server.start()
        self.restarts += 1
        self.outages.end("kill")

    # -- measuring -----------------------------------------------------------------------------

    def sample(self) -> None:
        while not self.stop.is_set():
            rss, fds = 0.0, 0
            for server in self.servers:
                try:
                    rss += server.rss_mb()
                    fds += len(os.listdir(f"/proc/{server.pid()}/fd"))
                except (OSError, AttributeError):
                    pass
            self.samples.append((self.fraction(), rss, fds))
            self.stop.wait(max(0.5, self.args.day / 200))

    # -- the day ---------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.setup()
        self.start_at = now()
        threads = [threading.Thread(target=self.screens, daemon=True)]
        threads.append(threading.Thread(target=self.sample, daemon=True))
        threads.append(threading.Thread(target=self.trouble, daemon=True))
        workers = []
        for slug in OFFICES:
            cards: list = []
            counters_done = threading.Event()
            kiosk = threading.Thread(target=self.kiosk, args=(slug,), daemon=True)
            desks = [
                threading.Thread(target=self.counter, args=(slug, c, cards), daemon=True)
                for c in self.counters[slug]
            ]
            clerk = threading.Thread(
                target=self.clerk, args=(slug, cards, counters_done), daemon=True
            )
            workers.append((kiosk, desks, clerk, counters_done))
            threads += [kiosk, *desks, clerk]
        for thread in threads:
            thread.start()
        deadline = self.start_at + self.args.day * 1.5 + 60
        for kiosk, desks, _clerk, counters_done in workers:
            kiosk.join(max(1, deadline - now()))
            for desk in desks:
                desk.join(max(1, deadline - now()))
            counters_done.set()
        for _kiosk, _desks, clerk, _done in workers:
            clerk.join(max(1, deadline - now()))
        self.day_ended = self.fraction()
        self.drain_paper()
        self.stop.set()
        for thread in threads:
            thread.join(15)
        for http in self.all_sessions:
            http.close()
        time.sleep(3)  # the server notices the closed connections
        self.quiet_fds = sum(len(os.listdir(f"/proc/{s.pid()}/fd")) for s in self.servers)
        self.quiet_sockets = _sockets_of([s.pid() for s in self.servers])
        try:
            return self.check()
        finally:
            for server in self.servers:
                server.stop()
            self.printers.stop()
            for proxy in (self.redis_proxy, self.pg_proxy):
                if proxy is not None:
                    proxy.close()
            if self.database_url is not None:
                drop_database(service_url("TEST_DATABASE_URL"), self.database_url)

    def drain_paper(self) -> None:
        """Wait (at most two minutes) until every issued ticket came out of its printer."""
        deadline = now() + 120
        while now() < deadline:
            printed = sum(len(self.printers.papers(slug)) for slug in OFFICES)
            if printed >= len(self.record.issued):
                time.sleep(2)  # a reprint after a drop may follow
                return
            time.sleep(0.5)

    # -- the checks ------------------------------------------------------------------------------

    def check(self) -> dict[str, Any]:
        failures: list[str] = []
        issued = self.record.issued
        # Numbers: per office and service 1..n, each once, and every acknowledged ticket exists.
        stored = self.stored_tickets()
        for key in issued:
            if key not in stored:
                failures.append(f"acknowledged ticket {key} is not in the database")
        by_service: dict[tuple[str, str], list[int]] = defaultdict(list)
        for key in stored:
            office, code = key.split("/")
            letter, number = code.split("-")
            by_service[(office, letter)].append(int(number))
        for (office, letter), numbers in by_service.items():
            if sorted(numbers) != list(range(1, len(numbers) + 1)):
                failures.append(f"{office} {letter}: numbers repeated or skipped")
        # Calls: each ticket at most once.
        called = Tally((office, code) for office, code, *_ in self.record.calls)
        called.update(self.record.unknown_calls)
        twice = [f"{o}/{c}" for (o, c), n in called.items() if n > 1]
        if twice:
            failures.append(f"called twice: {twice[:5]}")
        # TVs.
        missed_live, missed_rejoin, reached, caught_up = 0, 0, 0, 0
        missed_detail: list[str] = []
        tv_ms = []
        sent_by_office: dict[str, list[float]] = defaultdict(list)
        for office, _code, _counter, sent, _acked in self.record.calls:
            sent_by_office[office].append(sent)
        for times in sent_by_office.values():
            times.sort()

        def newer_calls(office: str, sent: float, until: float) -> int:
            return bisect_left(sent_by_office[office], until) - bisect_right(
                sent_by_office[office], sent
            )

        for office, code, _counter, sent, acked in self.record.calls:
            for tv in (t for t in self.tvs if t.slug == office):
                verdict = tv.verdict(
                    code, sent, acked, lambda until, o=office, s=sent: newer_calls(o, s, until)
                )
                if code in tv.received_at:
                    tv_ms.append((tv.received_at[code] - sent) * 1000)
                if verdict == "live":
                    reached += 1
                elif verdict == "caught up":
                    caught_up += 1
                elif verdict == "missed while connected":
                    missed_live += 1
                elif verdict == "missed after reconnect":
                    missed_rejoin += 1
                if verdict.startswith("missed") and len(missed_detail) < 5:
                    missed_detail.append(
                        f"{office}/{code} called at {(sent - self.start_at) / self.args.day:.3f}"
                        f" of the day, acked {(acked - sent) * 1000:.0f} ms later; TV "
                        f"{tv.index} {verdict}; joined "
                        + ", ".join(
                            f"{(a - self.start_at) / self.args.day:.3f}-"
                            f"{(b - self.start_at) / self.args.day:.3f}"
                            for a, b in tv.joined
                            if abs(a - sent) < 30 or abs(b - sent) < 30
                        )
                    )
        if missed_live or missed_rejoin:
            failures.append(
                f"calls missed by a TV: {missed_live} while connected, "
                f"{missed_rejoin} not in the board after its reconnect: {missed_detail}"
            )
        # Paper.
        printed_twice, lost_paper, unexplained = 0, [], []
        for slug in OFFICES:
            codes = paper_codes(self.printers.papers(slug))
            drops = self.printers.drops(slug)
            for key in (k for k in issued if k.startswith(f"{slug}/")):
                code = key.split("/")[1]
                count = codes.get(code, 0)
                if count == 0:
                    lost_paper.append(key)
                elif count > 1:
                    printed_twice += 1
                    if count - 1 > drops.get(code, 0):
                        unexplained.append(key)
        if lost_paper:
            jobs = self.jobs_of(lost_paper[:5])
            failures.append(
                f"{len(lost_paper)} tickets never printed: "
                + "; ".join(f"{key} ({jobs.get(key, 'no print job')})" for key in lost_paper[:5])
            )
        # A job being printed when the server is killed prints again: at most one per kill on
        # each office's printer (the offices' printers print side by side).
        per_office = Tally(key.split("/")[0] for key in unexplained)
        if any(count > self.restarts for count in per_office.values()):
            failures.append(f"printed twice without a drop: {unexplained[:5]}")
        # Errors.
        if self.record.stray_5xx:
            failures.append(f"5xx outside the outages: {self.record.stray_5xx[:3]}")

        # Memory and open files after warm-up: the median over [1/3, 1/2] of the day against
        # the median over the last stretch of the day (same clients connected); and the open
        # files once every client left, which must not be above the loaded figure.
        def median(values: list[float]) -> float:
            values = sorted(values)
            return values[len(values) // 2] if values else float("nan")

        windows = ((0.0, 0.05), (1 / 3, 0.5), (0.75, max(0.8, self.day_ended)))
        parts = [[s for s in self.samples if a <= s[0] <= b] for a, b in windows]
        rss = [median([s[1] for s in part]) for part in parts]
        fds = [median([s[2] for s in part]) for part in parts]
        if rss[2] > rss[1] * 1.10:
            failures.append(f"RSS grew {rss[1]:.0f} -> {rss[2]:.0f} MB after warm-up")
        if fds[2] > fds[1] * 1.10 + 5:
            failures.append(f"open files grew {fds[1]} -> {fds[2]} after warm-up")
        if self.quiet_fds > fds[1] * 1.10 + 5:
            failures.append(
                f"{self.quiet_fds} files open after every client left: {self.quiet_sockets}"
            )
        return {
            "topology": self.topology,
            "tickets": len(issued),
            "calls": len(self.record.calls),
            "cards": dict(self.record.cards),
            "reconnects": self.record.reconnects + sum(tv.reconnects for tv in self.tvs),
            "phone updates": self.record.phone_updates,
            "tv": f"{reached} live, {caught_up} after reconnect",
            "papers": sum(len(self.printers.papers(s)) for s in OFFICES),
            "printed twice": printed_twice,
            "restarts": self.restarts,
            "drops": sum(sum(self.printers.drops(s).values()) for s in OFFICES),
            "errors": dict(self.record.errors),
            "flood": dict(self.record.flood),
            "issue p50/p99 ms": (
                percentile(self.record.issue_ms, 0.5),
                percentile(self.record.issue_ms, 0.99),
            ),
            "call to TV p50/p99 ms": (percentile(tv_ms, 0.5), percentile(tv_ms, 0.99)),
            "rss MB start/mid/end": rss,
            "fds start/mid/end/clients gone": [*fds, self.quiet_fds],
            "sockets once clients left": self.quiet_sockets,
            "failures": failures,
        }

    def stored_tickets(self) -> set[str]:
        rows = self.query(
            "SELECT o.slug, t.code FROM tickets t JOIN offices o ON o.id = t.office_id"
        )
        return {f"{slug}/{code}" for slug, code in rows}

    def jobs_of(self, keys: list[str]) -> dict[str, str]:
        """What became of the print jobs of ``keys`` ("office/code"), in words, for a failure."""
        rows = self.query(
            "SELECT o.slug, t.code, j.kind, j.status, j.attempts, j.last_error, j.created_at,"
            " j.printed_at FROM print_jobs j JOIN tickets t ON t.id = j.ticket_id"
            " JOIN offices o ON o.id = t.office_id ORDER BY j.id"
        )
        jobs: dict[str, list[str]] = defaultdict(list)
        for slug, code, kind, status, attempts, error, created, printed in rows:
            if f"{slug}/{code}" in keys:
                jobs[f"{slug}/{code}"].append(
                    f"{kind} {status} after {attempts} attempts, made {created}, printed"
                    f" {printed}, last error {error!r}"
                )
        return {key: " / ".join(found) for key, found in jobs.items()}

    def query(self, sql: str) -> list[Any]:
        return self._run(sql, write=False)

    def execute(self, sql: str) -> None:
        self._run(sql, write=True)

    def _run(self, sql: str, write: bool) -> list[Any]:
        from sqlalchemy import create_engine, text

        server = self.servers[0]
        url = server.database_url or f"sqlite:///{server.instance / 'loket.db'}"
        if self.pg_proxy is not None:
            from sqlalchemy.engine import make_url

            pg = make_url(service_url("TEST_DATABASE_URL"))
            url = make_url(url).set(host=pg.host, port=pg.port)
        from app.db import normalise_url

        engine = create_engine(
            normalise_url(
                str(url) if isinstance(url, str) else url.render_as_string(hide_password=False)
            )
        )
        try:
            if write:
                with engine.begin() as conn:
                    conn.execute(text(sql))
                return []
            with engine.connect() as conn:
                return list(conn.execute(text(sql)).all())
        finally:
            engine.dispose()


def morning_timezone(hour: int = 9) -> str:
    """A fixed-offset zone (``Etc/GMT-8`` is UTC+8) where it is about ``hour`` o'clock now: the
    offices live their compressed day in the morning, whatever the hour here. A day that crossed
    local midnight would start every service's numbering again half-way (A-001 twice)."""
    offset = hour - datetime.now(UTC).hour
    if offset < -12:
        offset += 24
    if offset > 14:
        offset -= 24
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def _sockets_of(pids: list[int]) -> str:
    """The TCP sockets of ``pids`` by state and the far side's port (a leak shows there)."""
    import subprocess

    try:
        lines = subprocess.run(
            ["ss", "-tanpH"], capture_output=True, text=True, timeout=10
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "?"
    kinds: Tally[str] = Tally()
    for line in lines:
        if any(f"pid={pid}," in line for pid in pids):
            parts = line.split()
            local, peer = parts[3].rsplit(":", 1)[1], parts[4].rsplit(":", 1)[1]
            kinds[f"{parts[0]} {local}->{peer}" if peer != "*" else f"{parts[0]} {local}"] += 1
    return ", ".join(f"{k}: {n}" for k, n in kinds.most_common(8))


class TV:
    """A TV of ``slug`` that drops its connection now and then and rejoins. Like tv.js it
    announces every ``called``, and the calls in each board it gets that it has not announced."""

    def __init__(self, day: Day, slug: str, index: int) -> None:
        self.day, self.slug, self.index = day, slug, index
        self.rng = random.Random(f"{day.args.seed}-tv-{slug}-{index}")
        self.received_at: dict[str, float] = {}  # code -> when its ``called`` arrived
        self.caught_up: set[str] = set()
        self.joined: list[tuple[float, float]] = []  # (joined, left) of each connection
        self.reconnects = 0

    async def live(self) -> None:
        while not self.day.stop.is_set():
            port = self.day.servers[self.rng.randrange(len(self.day.servers))].port
            joined_at: list[float] = []

            def on_event(_screen, name, payload, joined_at=joined_at):
                if name == "board":
                    if not joined_at:
                        joined_at.append(now())
                    # tv.js speaks the recent calls of every board that it has not announced
                    # (missed while away, or an event lost while Redis was away).
                    for row in payload.get("recent", []):
                        if row.get("code"):
                            self.caught_up.add(row["code"])
                elif name == "called":
                    self.received_at.setdefault(payload["code"], now())

            screen = LeanScreen(port, {"office": self.slug}, on_event)
            try:
                await asyncio.wait_for(screen.run(), timeout=self.rng.expovariate(1 / 40))
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                pass
            if joined_at:
                self.joined.append((joined_at[0], now()))
            self.reconnects += 1
            await asyncio.sleep(self.rng.uniform(0.3, 3))

    def verdict(
        self, code: str, sent: float, acked: float, newer_calls: Any = lambda _until: 0
    ) -> str:
        """How this TV met a call. ``newer_calls(t)``: the office's calls after this one and
        before ``t``."""
        if code in self.received_at:
            return "live"
        if code in self.caught_up:
            return "caught up"  # spoken from a board (after a reconnect, or an event lost)
        if any(start <= sent and acked + 2 <= end for start, end in self.joined):
            return "missed while connected"
        rejoined = [start for start, _ in self.joined if start > sent]
        if not rejoined or min(rejoined) - acked > CATCH_UP:
            return "not expected"  # the TV was away for longer than tv.js catches up
        if newer_calls(min(rejoined)) >= RECENT_CALLS:
            return "not expected"  # out of the board's recent calls before the TV came back
        return "missed after reconnect"


def _summary_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = [k for k in results[0] if k not in ("topology", "failures")]
    rows = []
    for key in keys:
        row = {"measure": key}
        for result in results:
            value = result[key]
            if isinstance(value, tuple | list):
                value = " / ".join(f"{v:.0f}" if isinstance(v, float) else str(v) for v in value)
            elif isinstance(value, dict):
                value = ", ".join(f"{k}: {v}" for k, v in sorted(value.items())) or "-"
            row[result["topology"]] = value
        rows.append(row)
    rows.append(
        {
            "measure": "invariants",
            **{r["topology"]: "all hold" if not r["failures"] else "BROKEN" for r in results},
        }
    )
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--day", type=float, default=8 * 3600 / 20, help="day length, seconds")
    parser.add_argument("--tickets", type=int, default=800, help="tickets per office")
    parser.add_argument("--topology", default="both", choices=("single", "pair", "both"))
    parser.add_argument("--seed", default="soak")
    args = parser.parse_args(argv)
    topologies = ("single", "pair") if args.topology == "both" else (args.topology,)
    days = [Day(t, args) for t in topologies]
    results: dict[str, dict[str, Any]] = {}

    def live(day: Day) -> None:
        results[day.topology] = day.run()

    threads = [threading.Thread(target=live, args=(day,)) for day in days]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = [results[t] for t in topologies if t in results]
    if not ordered:
        raise SystemExit("the soak day did not finish")
    print(f"soak day: {args.tickets} tickets x {len(OFFICES)} offices, day of {args.day:.0f} s")
    print(table(_summary_rows(ordered), ["measure", *topologies]))
    for result in ordered:
        for failure in result["failures"]:
            print(f"{result['topology']}: BROKEN: {failure}")
    return ordered


def goals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        goal_row(
            "soak",
            f"{row['topology']}: invariants of the day",
            "all hold" if not row["failures"] else f"{len(row['failures'])} broken",
            "all hold",
            not row["failures"],
        )
        for row in rows
    ]


if __name__ == "__main__":
    main()
