"""Spooler parts for tests: jobs in memory, a transport that records (or fails), a clock that
moves only when told, and the app's own spooler of an office to step by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from app.domain import office_by_slug
from app.extensions import db
from app.print_jobs import print_service
from printer.spooler import Job
from printer.transports import PrinterError, Transport
from tests.printer.samples import TICKET

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


class MemoryJobs:
    def __init__(self, count: int = 3) -> None:
        self.rows = [
            {
                "id": i + 1,
                "status": "pending",
                "attempts": 0,
                "next": None,
                "error": None,
                "created": T0,
            }
            for i in range(count)
        ]
        self.states: list[tuple[bool, str | None]] = []

    def head(self, target):
        for row in self.rows:
            if row["status"] in ("pending", "printing"):
                return Job(
                    row["id"], TICKET.to_dict(), row["attempts"], row["created"], row["next"]
                )
        return None

    def _row(self, job):
        return next(r for r in self.rows if r["id"] == job.id)

    def claim(self, job, now):
        row = self._row(job)
        row["status"], row["attempts"] = "printing", row["attempts"] + 1
        return True

    def done(self, job, now):
        self._row(job)["status"] = "printed"

    def failed(self, job, error, retry_at, now):
        row = self._row(job)
        row["status"] = "pending" if retry_at else "failed"
        row["next"], row["error"] = retry_at, error

    def state(self, target, online, error, now):
        self.states.append((online, error))


class Recorder(Transport):
    """A transport that records (or fails) instead of printing."""

    def __init__(self, fail: int = 0, blocking: bool = False) -> None:
        super().__init__("fake://", "80", False, blocking)
        self.sent: list[str] = []
        self.fail = fail

    def send(self, data: bytes, name: str) -> None:
        if self.fail:
            self.fail -= 1
            raise PrinterError("printer unplugged")
        self.sent.append(name)


class StepClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def spooler_of(app, slug="kupang"):
    """The server spooler of office ``slug`` (not running: the test steps it)."""
    with app.app_context():
        office_id = office_by_slug(db.session, slug).id
        db.session.rollback()
    return print_service(app).build_spooler(office_id)
