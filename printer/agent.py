"""The remote print agent, for a kiosk PC whose printer hangs off that PC instead of the server.

    python -m printer.agent --server http://SERVER:5000 --token TOKEN --printer usb://0416:5011

TOKEN is an API token of the kiosk user (``flask --app wsgi loket token kiosk2``) whose account
prints through an agent. The agent keeps a Socket.IO connection to the server, receives that
kiosk's print jobs (also those made while it was away), prints them in order and acknowledges
each. It writes every printed job id to a journal file before acknowledging, so when a
connection drops between printing and the acknowledgement, the server's resend after reconnect
is acknowledged without printing twice.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any

import socketio

from .channels import AGENT_OK, AGENT_READY, ERROR, PRINT_JOB, PRINT_RESULT
from .layout import TicketData, ticket_bytes
from .spooler import backoff
from .transports import PrinterError, Transport, open_transport

log = logging.getLogger("printer.agent")
GIVE_UP_AFTER = 30 * 60.0


class Journal:
    """The ids of printed jobs, one per line, flushed to disk before each acknowledgement."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.printed: set[int] = set()
        if path.exists():
            for line in path.read_text().split():
                if line.isdigit():
                    self.printed.add(int(line))

    def __contains__(self, job_id: int) -> bool:
        return job_id in self.printed

    def add(self, job_id: int) -> None:
        with self.path.open("a") as fh:
            fh.write(f"{job_id}\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.printed.add(job_id)


class Agent:
    """Receives jobs over Socket.IO and prints them through one Transport."""

    def __init__(self, server: str, token: str, transport: Transport, journal: Journal) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.transport = transport
        self.journal = journal
        self.jobs: queue.Queue = queue.Queue()
        self.waiting: set[int] = set()
        self.ready = threading.Event()
        self.stopped = threading.Event()
        self.client = socketio.Client(
            reconnection=True, reconnection_delay=1, reconnection_delay_max=10
        )
        self.client.on("connect", self._on_connect)
        self.client.on("disconnect", self._on_disconnect)
        self.client.on(AGENT_OK, self._on_ok)
        self.client.on(PRINT_JOB, self._on_job)
        self.client.on(ERROR, self._on_error)
        self.worker = threading.Thread(target=self._work, name="print-agent", daemon=True)

    # -- connection ----------------------------------------------------------------------

    def _on_connect(self) -> None:
        log.info("connected to %s", self.server)
        self.client.emit(AGENT_READY, {})

    def _on_disconnect(self, *_args: Any) -> None:
        self.ready.clear()
        log.warning("disconnected; reconnecting")

    def _on_ok(self, data: Any) -> None:
        log.info("printing for %s", data.get("target") if isinstance(data, dict) else data)
        self.ready.set()

    def _on_error(self, data: Any) -> None:
        log.error("server: %s", data)

    def _on_job(self, data: Any) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            return
        job_id = data["id"]
        if job_id in self.journal:
            self._ack(job_id, True)  # printed before; the acknowledgement was lost
            return
        if job_id in self.waiting:
            return
        self.waiting.add(job_id)
        self.jobs.put(data)

    def _ack(self, job_id: int, ok: bool, error: str | None = None) -> None:
        try:
            self.client.emit(PRINT_RESULT, {"id": job_id, "ok": ok, "error": error})
        except socketio.exceptions.BadNamespaceError:
            pass  # not connected: the server resends the job, the journal answers it

    # -- printing ------------------------------------------------------------------------

    def _work(self) -> None:
        while not self.stopped.is_set():
            try:
                job = self.jobs.get(timeout=0.5)
            except queue.Empty:
                continue
            self._print(job)

    def _print(self, job: dict[str, Any]) -> None:
        job_id = job["id"]
        data = ticket_bytes(TicketData.from_dict(job["payload"]), self.transport.paper)
        started = time.monotonic()
        attempt = 0
        while not self.stopped.is_set():
            attempt += 1
            try:
                self.transport.send(data, f"job-{job_id}")
            except PrinterError as err:
                log.warning("job %s: %s", job_id, err)
                self._ack(job_id, False, str(err))
                if time.monotonic() - started > GIVE_UP_AFTER:
                    break
                self.stopped.wait(backoff(attempt))
                continue
            self.journal.add(job_id)
            self.waiting.discard(job_id)
            self._ack(job_id, True)
            return

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        self.worker.start()
        self.client.connect(
            self.server,
            auth={"token": self.token},
            transports=["websocket", "polling"],
            wait_timeout=10,
            retry=True,
        )

    def stop(self) -> None:
        self.stopped.set()
        try:
            self.client.disconnect()
        except Exception:  # noqa: BLE001 - already gone
            pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Loket remote print agent")
    parser.add_argument("--server", required=True, help="e.g. http://192.168.1.10:5000")
    parser.add_argument("--token", required=True, help="API token of the kiosk user")
    parser.add_argument("--printer", required=True, help="PRINTER_URL of the local printer")
    parser.add_argument("--paper", default="80", choices=["80", "58"], help="paper width, mm")
    parser.add_argument(
        "--journal",
        default=str(Path.home() / ".loket-agent-printed"),
        help="file of printed job ids (keeps reprints from happening twice)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    agent = Agent(
        args.server,
        args.token,
        open_transport(args.printer, args.paper),
        Journal(Path(args.journal)),
    )
    agent.start()
    try:
        agent.client.wait()
        while not agent.stopped.is_set():  # wait() returns when reconnection gives up
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        agent.stop()


if __name__ == "__main__":
    main()
