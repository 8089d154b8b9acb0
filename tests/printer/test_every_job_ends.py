"""Every print job ends, and one office's paper never waits for another's (issue 10, hole 2).

A job that fails in a way nobody planned for (a ticket that cannot be laid out, a driver that
raises something odd, a job that keeps being cut off) ends ``failed`` with its reason after a
bounded number of attempts, and the next job prints. Each office's server jobs have their own
spooler, so an office whose printer is off does not hold up another. The link in the QR code
never comes from the client's ``Host`` header. Administrators can retry or cancel a job in any
state.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PrinterState, PrintJob
from app.public_url import lan_address
from bench.fake_printer import FakePrinter
from printer import transports
from printer.decode import decode
from printer.spooler import UNEXPECTED_ATTEMPTS, Spooler
from tests.admin.conftest import Browser, audit
from tests.conftest import Api, build_world
from tests.printer.spooling import MemoryJobs, Recorder, StepClock, spooler_of

# ---- the spooler on its own ------------------------------------------------------------------


class Odd(Recorder):
    """A transport whose driver raises something that is not a PrinterError."""

    def __init__(self, times: int) -> None:
        super().__init__()
        self.times = times

    def send(self, data: bytes, name: str) -> None:
        if self.times:
            self.times -= 1
            raise RuntimeError("usb.core.USBError: [Errno 19] No such device (it is not)")
        super().send(data, name)


def _drain(spooler: Spooler, clock: StepClock, steps: int = 50) -> None:
    for _ in range(steps):
        delay = spooler.step()
        if delay is None:
            return
        clock.now += timedelta(seconds=delay)


def test_a_ticket_that_cannot_be_laid_out_fails_alone_and_the_next_prints():
    store = MemoryJobs(3)
    store.rows[0]["payload"] = {"code": "A-001"}  # no office, no service: the layout raises
    original_head = store.head

    def head(target):
        job = original_head(target)
        if job is not None and "payload" in store._row(job):
            job.payload = store._row(job)["payload"]
        return job

    store.head = head
    clock = StepClock()
    transport = Recorder()
    spooler = Spooler(store, transport, clock=clock)
    _drain(spooler, clock)
    assert [r["status"] for r in store.rows] == ["failed", "printed", "printed"]
    assert store.rows[0]["error"].startswith("the ticket could not be laid out: TypeError")
    assert store.rows[0]["attempts"] == 1  # not tried again: it would fail the same way
    assert transport.sent == ["job-2", "job-3"]


def test_an_unexpected_driver_error_is_retried_a_few_times_then_the_job_fails():
    store = MemoryJobs(2)
    clock = StepClock()
    transport = Odd(times=100)
    spooler = Spooler(store, transport, clock=clock)
    _drain(spooler, clock, steps=2 * UNEXPECTED_ATTEMPTS)
    first, second = store.rows
    assert first["status"] == "failed" and first["attempts"] == UNEXPECTED_ATTEMPTS
    assert first["error"] == (
        "unexpected error: RuntimeError: usb.core.USBError: [Errno 19] No such device (it is not)"
    )
    assert second["status"] in ("pending", "printing", "failed")  # it had its own turns
    assert second["attempts"] >= 1


def test_an_unexpected_error_once_is_forgiven():
    store = MemoryJobs(2)
    clock = StepClock()
    transport = Odd(times=1)
    _drain(Spooler(store, transport, clock=clock), clock)
    assert [r["status"] for r in store.rows] == ["printed", "printed"]
    assert store.rows[0]["attempts"] == 2


def test_a_job_claimed_too_often_fails_without_another_try():
    store = MemoryJobs(2)
    store.rows[0]["attempts"] = 7  # e.g. it was cut off by crashes again and again
    clock = StepClock()
    transport = Recorder()
    _drain(Spooler(store, transport, clock=clock, max_attempts=7), clock)
    assert store.rows[0]["status"] == "failed"
    assert store.rows[0]["error"] == "gave up after 7 attempts"
    assert transport.sent == ["job-2"]


# ---- in the app --------------------------------------------------------------------------------


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(transports, "IO_TIMEOUT", 0.5)
    monkeypatch.setattr(transports, "CONNECT_TIMEOUT", 0.3)


def _jobs(app):
    with app.app_context():
        rows = db.session.execute(
            select(PrintJob.office_id, PrintJob.status, PrintJob.last_error).order_by(PrintJob.id)
        ).all()
        db.session.rollback()
        return [tuple(r) for r in rows]


def test_a_3_kb_host_header_neither_reaches_the_paper_nor_stops_it(make_app, clock, quick):
    printer = FakePrinter()
    try:
        app = make_app(PRINTER_URL=printer.url, PUBLIC_URL="")
        with app.app_context():
            world = build_world(db.session)
        api = Api(app.test_client(), world)
        evil = ".".join(["x" * 60] * 50) + ".example"  # 3 KB, a valid host name
        issued = api.post(
            "/api/v1/offices/kupang/tickets",
            {"service": "A"},
            as_="kiosk",
            headers={"Host": evil},
        )
        assert issued.status_code == 201, issued.get_json()
        link = issued.get_json()["track_url"]
        assert evil not in link and link.startswith("http://") and len(link) < 100
        spoofed = api.post(
            "/api/v1/offices/kupang/tickets",
            {"service": "A"},
            as_="kiosk",
            headers={"Host": "loket-kupang.evil.example"},
        ).get_json()["track_url"]
        assert "evil" not in spoofed
        trusted = api.issue("A")["track_url"]  # the test client's own "localhost"
        assert trusted.startswith(f"http://{lan_address()}/t/")  # reachable from a phone
        spooler = spooler_of(app)
        while spooler.step() is not None:
            pass
        papers = printer.wait_for_jobs(3)
        assert [decode(p).qr_codes[0].data for p in papers] == [link, spoofed, trusted]
    finally:
        printer.stop()


def test_an_allowed_host_name_is_used_for_the_link(make_app, clock):
    app = make_app(ALLOWED_HOSTS=("loket.kupang.lan",))
    with app.app_context():
        world = build_world(db.session)
    api = Api(app.test_client(), world)
    ticket = api.post(
        "/api/v1/offices/kupang/tickets",
        {"service": "A"},
        as_="kiosk",
        headers={"Host": "loket.kupang.lan:5000"},
    ).get_json()
    assert ticket["track_url"].startswith("http://loket.kupang.lan:5000/t/")


def test_one_office_printer_off_does_not_hold_up_another_office(make_app, clock, quick):
    working = FakePrinter()
    dead = FakePrinter()
    dead.stop()  # a stopped printer refuses connections: switched off
    try:
        app = make_app(
            PRINTER_URL=working.url,
            OFFICE_PRINTER_URLS={"PRINTER_URL_KUPANG": dead.url},
        )
        with app.app_context():
            world = build_world(db.session)
        api = Api(app.test_client(), world)
        api.issue("A", office="kupang")
        api.issue("A", office="oebobo", as_="kiosk@oebobo")
        kupang, oebobo = spooler_of(app, "kupang"), spooler_of(app, "oebobo")
        assert kupang.step() > 0  # the dead printer: tried again later
        assert oebobo.step() == 0.0
        (paper,) = working.wait_for_jobs(1)
        assert "OEBOBO" in " ".join(decode(paper).texts).upper()
        statuses = {office: status for office, status, _ in _jobs(app)}
        assert statuses == {world.office.id: "pending", world.other.id: "printed"}
        with app.app_context():
            states = {s.target: s.online for s in db.session.scalars(select(PrinterState))}
        assert states == {
            f"server:{world.office.id}": False,
            f"server:{world.other.id}": True,
        }
        kiosk_view = api.get("/api/v1/offices/kupang/printers", as_="admin").get_json()
        assert kiosk_view[0]["target"] == "server" and kiosk_view[0]["online"] is False
        # The dashboard shows the reason in words, in the caller's language.
        assert kiosk_view[0]["name"] == "printer karcis"
        assert kiosk_view[0]["last_error"].startswith("cannot reach the printer")
        assert kiosk_view[0]["error_text"].startswith("printer tidak dapat dihubungi")
    finally:
        working.stop()
        dead.stop()


def test_a_job_cut_off_by_restarts_again_and_again_fails(make_app, clock):
    app = make_app()
    with app.app_context():
        world = build_world(db.session)
    api = Api(app.test_client(), world)
    api.issue("A")
    api.issue("C")
    api.issue("A")
    with app.app_context():
        first, second, third = db.session.scalars(select(PrintJob).order_by(PrintJob.id)).all()
        # Cut off twice already: this third restart is one too many.
        first.status, first.attempts, first.cut_offs = "printing", 3, 2
        # Tried nine times while its printer was off, cut off once: it prints again.
        second.status, second.attempts, second.cut_offs = "printing", 9, 0
        third.status, third.attempts = "printing", 1
        db.session.commit()
    from app.models import SERVER_PRINTER
    from app.print_jobs import DatabaseJobs

    assert DatabaseJobs(app).release(SERVER_PRINTER) == 2
    assert [s for _, s, _ in _jobs(app)] == ["failed", "pending", "pending"]
    assert _jobs(app)[0][2] == "cut off by 3 restarts while printing"
    with app.app_context():
        jobs = db.session.scalars(select(PrintJob).order_by(PrintJob.id)).all()
        assert [j.cut_offs for j in jobs] == [3, 1, 1]


# ---- the administrator ---------------------------------------------------------------------


def _set(app, job_id: int, **values) -> None:
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        for key, value in values.items():
            setattr(job, key, value)
        db.session.commit()


def _job(app, job_id: int) -> PrintJob:
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        db.session.expunge(job)
        return job


def test_an_administrator_can_retry_or_cancel_a_job_in_any_state(app, world, client, clock):
    api = Api(app.test_client(), world)
    admin = Browser(client, "admin")
    job_id = api.issue("A")["print"]["job"]
    page = admin.get("/admin/kupang/printers").get_data(as_text=True)
    assert f'data-job="{job_id}"' in page and 'data-action="cancel"' in page

    # Waiting for its next attempt: tried now, with a fresh count.
    _set(app, job_id, attempts=4, next_attempt_at=clock.now + timedelta(seconds=30))
    assert admin.post(f"/admin/kupang/printers/jobs/{job_id}/retry").status_code == 302
    job = _job(app, job_id)
    assert (job.status, job.attempts, job.next_attempt_at) == ("pending", 0, None)

    # Stuck "printing": back in the queue.
    _set(app, job_id, status="printing", claimed_at=clock.now)
    admin.post(f"/admin/kupang/printers/jobs/{job_id}/retry")
    assert _job(app, job_id).status == "pending"
    # Asked for by staff, it has a reprint's time to print, not an arrival ticket's minutes.
    assert _job(app, job_id).kind == "reprint"

    # Cancelled: it will not print, and a spooler that was printing it cannot bring it back.
    _set(app, job_id, status="printing")
    assert admin.post(f"/admin/kupang/printers/jobs/{job_id}/cancel").status_code == 302
    assert (_job(app, job_id).status, _job(app, job_id).last_error) == (
        "failed",
        "cancelled by an administrator",
    )
    from app.print_jobs import DatabaseJobs

    store = DatabaseJobs(app)
    store.failed(
        type("J", (), {"id": job_id})(),
        "printer offline",
        clock.now + timedelta(seconds=5),
        clock.now,
    )
    assert _job(app, job_id).status == "failed"
    assert [e.target for e in audit(app, "print.cancel")] == [f"job {job_id}"]
    # The reason reads in the page's language.
    indonesian = Browser(app.test_client(), "admin", lang="id")
    assert "dibatalkan oleh administrator" in indonesian.get("/admin/kupang/printers").get_data(
        as_text=True
    )

    # Gave up (or cancelled): tried again.
    admin.post(f"/admin/kupang/printers/jobs/{job_id}/retry")
    assert _job(app, job_id).status == "pending"

    # Printed: printed again, as a copy.
    _set(app, job_id, status="printed")
    admin.post(f"/admin/kupang/printers/jobs/{job_id}/retry")
    with app.app_context():
        rows = db.session.execute(
            select(PrintJob.id, PrintJob.kind, PrintJob.status).order_by(PrintJob.id)
        ).all()
    assert [tuple(r)[1:] for r in rows] == [("reprint", "printed"), ("reprint", "pending")]
    # A printed job cannot be cancelled.
    refused = admin.post(f"/admin/kupang/printers/jobs/{job_id}/cancel")
    assert refused.status_code == 302 and _job(app, job_id).status == "printed"


def test_an_arrival_ticket_not_printed_within_minutes_is_dropped_and_staff_can_reprint(
    make_app, clock, quick
):
    """Its owner has gone on with the number on the kiosk's screen: paper coming out half an hour
    later helps nobody and makes the next person take the wrong ticket (issue 11, point 3)."""
    printer = FakePrinter("paper_out")
    try:
        app = make_app(PRINTER_URL=printer.url, ARRIVAL_PAPER_MINUTES=3)
        with app.app_context():
            world = build_world(db.session)
        api = Api(app.test_client(), world)
        ticket = api.issue("A")
        spooler = spooler_of(app)
        assert spooler.step() > 0  # no paper: tried again later
        clock.advance(minutes=2, seconds=59)
        printer.mode = "ok"
        assert spooler.step() == 0.0  # still in time: it prints
        assert len(printer.wait_for_jobs(1)) == 1

        printer.mode = "paper_out"
        late = api.issue("C")
        assert spooler.step() > 0
        clock.advance(minutes=3)
        printer.mode = "ok"
        spooler.step()
        statuses = [(status, error) for _, status, error in _jobs(app)]
        assert statuses == [("printed", None), ("failed", "not printed in time; expired")]
        assert len(printer.jobs) == 1  # the late one never came out
        reason = Browser(app.test_client(), "admin", lang="id").get("/admin/kupang/printers")
        assert "tidak tercetak tepat waktu" in reason.get_data(as_text=True)

        # Staff reprint it for someone at the desk: that prints.
        assert api.post(f"/api/v1/tickets/{late['id']}/reprint", as_="operator").status_code < 300
        while spooler.step() is not None:
            pass
        assert len(printer.wait_for_jobs(2)) == 2
        assert ticket["code"] == "A-001"
    finally:
        printer.stop()
