"""Printing's cost a ticket: the spooler's own CPU for each job, in each transport it can use here.

    python -m bench.spool [--jobs 1000] [--db sqlite,postgresql] [--transports preview,tcp,file]

In this process: the app on a fresh, migrated database (SQLite file, or a PostgreSQL database of
its own next to ``TEST_DATABASE_URL``'s) with the demo offices, ``--jobs`` tickets issued with
paper the way the kiosk issues them (each one's print job queued in its transaction), then the
office's spooler, built as the server builds it, steps through the queue until it is empty.
Measured: the spooler thread's CPU time (``time.thread_time``) over the drain divided by the jobs
printed: the job store's statements (one transaction a job while the queue drains: this job
printed, the next claimed), the layout of the ticket's ESC/POS bytes
and the transport's send. Only that thread is counted: the fake network printer (another thread)
that takes the bytes is not.

Transports: ``preview`` (`make run`'s default: the bytes kept in a folder), ``tcp`` (a
network printer, bench.fake_printer on 127.0.0.1, with its paper-status query), ``file`` (a
device file such as /dev/usb/lp0; here a file in a temporary folder). USB, serial and CUPS need
their hardware and are not measured.

Goal (issue 15, point 4): printing costs <= 1 ms a ticket in every transport. Beside it, the
floor: the database's bare minimum for as many jobs on the same engine (one transaction a job:
an UPDATE marking the previous job printed, an UPDATE .. RETURNING claiming the next) shows what
the database alone costs on this machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.fake_printer import FakePrinter
from bench.harness import goal_row, service_url, table

GOAL_MS = 1.0
COLUMNS = [
    "db",
    "transport",
    "jobs",
    "printed_in_db",
    "not_printed",
    "cpu_ms_a_job",
    "floor_ms",
    "x_floor",
    "goal",
]


def _app(url: str, folder: Path, printer_url: str) -> Any:
    import flask_migrate

    from app import create_app
    from app.extensions import db
    from config import TestingConfig

    config = TestingConfig(url, folder)
    config.PRINTER_URL = printer_url
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return app


def _issue(app: Any, jobs: int) -> int:
    """Issue ``jobs`` tickets with paper in Kupang, one transaction each; the office's id."""
    from app import demo
    from app.domain.access import Actor
    from app.extensions import db
    from app.models import SERVER_PRINTER, Office
    from app.print_jobs.tickets import issue_with_paper

    now = datetime.now(UTC)
    # The ticket's status link is made from the request's address, as at the kiosk.
    with app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        demo.seed(db.session, now)
        db.session.commit()
        office = db.session.query(Office).filter_by(slug="kupang").one()
        kiosk = Actor(user_id=None, role="kiosk", office_id=office.id)
        services = "ACDE"
        for i in range(jobs):
            issue_with_paper(
                db.session,
                "kupang",
                services[i % len(services)],
                priority=False,
                paper=True,
                now=datetime.now(UTC),
                actor=kiosk,
                target=SERVER_PRINTER,
            )
            db.session.commit()
        office_id = office.id
        db.session.remove()
    return office_id


def _drain(app: Any, office_id: int) -> tuple[int, float]:
    """Step the office's spooler until its queue is empty: (jobs printed, CPU seconds)."""
    from app.print_jobs.service import PrintService

    spooler = PrintService(app, socketio=None).build_spooler(office_id)
    printed = 0
    start = time.thread_time()
    while True:
        delay = spooler.step()
        if delay is None:
            break
        if delay > 0:
            raise SystemExit(f"the spooler was told to wait {delay:.1f} s: a job did not print")
        printed += 1
    return printed, time.thread_time() - start


def _printed(app: Any) -> tuple[int, int]:
    """(jobs printed, jobs not printed) in the database."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import PrintJob

    with app.app_context():
        rows = dict(
            db.session.execute(
                select(PrintJob.status, func.count()).group_by(PrintJob.status)
            ).all()
        )
        db.session.remove()
    return rows.get("printed", 0), sum(n for s, n in rows.items() if s != "printed")


def _floor(app: Any, jobs: int) -> float:
    """CPU a job of the database's bare minimum for a print job on this engine: one transaction
    a job that marks the previous one printed (an UPDATE) and claims the next (an
    UPDATE .. RETURNING), as the spooler does while a queue drains."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    with engine.begin() as conn:
        conn.execute(text("UPDATE print_jobs SET status = 'pending'"))
    claim = text(
        "UPDATE print_jobs SET status = 'printing', attempts = attempts + 1 "
        "WHERE id = (SELECT id FROM print_jobs WHERE status = 'pending' ORDER BY id LIMIT 1) "
        "RETURNING id, payload"
    )
    done = text("UPDATE print_jobs SET status = 'printed' WHERE id = :id")
    start = time.thread_time()
    previous = 0
    for _ in range(jobs):
        with engine.begin() as conn:
            conn.execute(done, {"id": previous})
            previous = conn.execute(claim).first().id
    return (time.thread_time() - start) / jobs


def run(db_kind: str, transport: str, jobs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="loket-spool-") as tmp:
        folder = Path(tmp)
        printer = FakePrinter() if transport == "tcp" else None
        (folder / "lp0").touch()  # the device file is there while the printer is on
        printer_url = {
            "preview": f"preview://{folder / 'tickets'}",
            "tcp": printer.url if printer else "",
            "file": f"file://{folder / 'lp0'}",
        }[transport]
        base = url = None
        if db_kind == "postgresql":
            from bench.databases import fresh_database

            base = service_url("TEST_DATABASE_URL")
            url = fresh_database(base, "loket_spool")
        else:
            url = f"sqlite:///{folder / 'loket.db'}"
        try:
            app = _app(url, folder, printer_url)
            office_id = _issue(app, jobs)
            printed, cpu = _drain(app, office_id)
            in_db, not_printed = _printed(app)
            if printer is not None:
                printer.wait_for_jobs(printed, timeout=30)
            floor = _floor(app, jobs)
            from app.extensions import db

            with app.app_context():
                db.engine.dispose()
        finally:
            if printer is not None:
                printer.stop()
            if base is not None:
                from bench.databases import drop_database

                drop_database(base, url)
    ms = cpu / max(printed, 1) * 1000
    return {
        "db": db_kind,
        "transport": transport,
        "jobs": printed,
        "printed_in_db": in_db,
        "not_printed": not_printed,
        "cpu_ms_a_job": f"{ms:.2f}",
        "floor_ms": f"{floor * 1000:.2f}",
        "x_floor": f"{ms / (floor * 1000):.1f}" if floor else "",
        "ms": ms,
        "goal": f"<= {GOAL_MS:g} ms",
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(prog="python -m bench.spool", description=__doc__)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--transports", default="preview,tcp,file")
    args = parser.parse_args(argv)
    rows = []
    for db_kind in args.db.split(","):
        for transport in args.transports.split(","):
            rows.append(run(db_kind, transport, args.jobs))
            print(table(rows[-1:], COLUMNS), flush=True)
    print()
    print(table(rows, COLUMNS))
    return rows


def goals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        goal_row(
            "spool",
            f"printing CPU a ticket, {row['db']}, {row['transport']}",
            f"{row['cpu_ms_a_job']} ms ({row['not_printed']} not printed)",
            row["goal"],
            row["ms"] <= GOAL_MS and row["not_printed"] == 0,
            f"{row['floor_ms']} ms (x{row['x_floor']})",
        )
        for row in rows
    ]


if __name__ == "__main__":
    main()
