"""A network thermal printer on 127.0.0.1 that records what it gets, and misbehaves on request.

modes: "ok" answers status queries with "paper present"; "paper_out" answers "no paper";
"hung" accepts connections and never reads or answers; "drop" reads a little and then closes;
"runs_out" has paper for the first query of a connection and none after the ticket (and then
records nothing). ``mode`` may change while it runs.
A stopped printer refuses connections.
"""

from __future__ import annotations

import socket
import threading
import time

STATUS_QUERY = b"\x10\x04"
PAPER_OK = b"\x12"
PAPER_OUT = b"\x72"


class FakePrinter:
    def __init__(self, mode: str = "ok", port: int = 0) -> None:
        self.mode = mode
        self.jobs: list[bytes] = []
        self.received_at: list[float] = []  # time.perf_counter() when each job was complete
        self.connections = 0
        self.closed = 0  # connections it has finished with (each job is recorded before)
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", port))
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._server.listen(16)
        self._server.settimeout(0.1)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        if self.mode == "hung":
            self._held.append(conn)  # never read, never answer
            return
        received = bytearray()
        queries = 0
        conn.settimeout(0.2)
        with conn:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                received += chunk
                if self.mode == "drop" and len(received) > 8:
                    conn.close()
                    return
                while STATUS_QUERY in received:
                    at = received.index(STATUS_QUERY)
                    if len(received) < at + 3:
                        break
                    del received[at : at + 3]
                    queries += 1
                    empty = self.mode == "paper_out" or (self.mode == "runs_out" and queries > 1)
                    conn.sendall(PAPER_OUT if empty else PAPER_OK)
                    if empty and self.mode == "runs_out":
                        return  # the ticket stopped half-way: nothing usable came out
        if received:
            self.received_at.append(time.perf_counter())
            self.jobs.append(bytes(received))
        self.closed += 1

    def wait_until_closed(self, count: int = 1, timeout: float = 10.0) -> None:
        """Until ``count`` connections have ended here (what they sent is in ``jobs`` by then)."""
        deadline = time.monotonic() + timeout
        while self.closed < count:
            if time.monotonic() >= deadline:
                raise AssertionError(f"{self.closed} of {count} connections ended in {timeout:g} s")
            time.sleep(0.02)

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> list[bytes]:
        """The jobs once at least ``count`` came; fails the test when they did not in time."""
        deadline = time.monotonic() + timeout
        while len(self.jobs) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"the printer got {len(self.jobs)} of {count} jobs within {timeout:g} s"
                )
            time.sleep(0.02)
        return list(self.jobs)

    def stop(self) -> None:
        self._stop.set()
        for conn in self._held:
            conn.close()
        self._server.close()
        self._thread.join(2)
