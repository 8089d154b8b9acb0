"""Printing inside the app: a job per issued ticket, the spooler against a fake network printer
that is dead, hung or fine, reprints, printer status, idempotent taps, jobs across restarts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import PrintJob
from bench.fake_printer import FakePrinter
from printer import transports
from printer.decode import decode
from tests.conftest import Api, build_world
from tests.printer.spooling import spooler_of


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(transports, "IO_TIMEOUT", 0.5)
    monkeypatch.setattr(transports, "CONNECT_TIMEOUT", 0.5)


@pytest.fixture
def printer():
    fake = FakePrinter()
    yield fake
    fake.stop()


def _setup(make_app, url, clock):
    app = make_app(PRINTER_URL=url)
    with app.app_context():
        world = build_world(db.session)
    return app, Api(app.test_client(), world), spooler_of(app)


def _jobs(app) -> list[tuple[str, int, str | None]]:
    with app.app_context():
        return [
            (j.status, j.attempts, j.last_error)
            for j in db.session.query(PrintJob).order_by(PrintJob.id)
        ]


def test_issued_ticket_prints_on_the_network_printer(make_app, printer, clock, quick):
    app, api, spooler = _setup(make_app, printer.url, clock)
    ticket = api.issue("A")
    assert ticket["print"]["status"] == "pending"
    spooler.step()
    (paper,) = printer.wait_for_jobs(1)
    decoded = decode(paper)
    assert decoded.initialised and "A-001" in decoded.texts
    assert decoded.qr_codes[0].data == ticket["track_url"]
    assert _jobs(app) == [("printed", 1, None)]
    assert (
        api.get(f"/api/v1/tickets/{ticket['id']}", as_="kiosk").get_json()["print"]["status"]
        == "printed"
    )


@pytest.mark.parametrize(
    ("query", "lang", "words"),
    [
        ("", "id", ["NOMOR ANTREAN", "Anda berikutnya", "Pindai untuk memantau antrean Anda"]),
        (
            "?lang=en",
            "en",
            ["QUEUE NUMBER", "You are next", "Scan to follow your place in the queue"],
        ),
    ],
)
def test_the_paper_speaks_the_kiosks_language_from_the_catalogue(
    make_app, printer, clock, quick, query, lang, words
):
    app, api, spooler = _setup(make_app, printer.url, clock)
    response = api.post(f"/api/v1/offices/kupang/tickets{query}", {"service": "A"}, as_="kiosk")
    assert response.status_code == 201
    with app.app_context():
        stored = json.loads(db.session.query(PrintJob).one().payload)
    assert stored["lang"] == lang
    spooler.step()
    (paper,) = printer.wait_for_jobs(1)
    texts = decode(paper).texts
    for word in words:
        assert word in texts
    other = "QUEUE NUMBER" if lang == "id" else "NOMOR ANTREAN"
    assert other not in texts


def test_dead_printer_delays_paper_but_never_the_ticket(make_app, clock, quick):
    dead = FakePrinter()
    port = dead.port
    dead.stop()
    app, api, spooler = _setup(make_app, f"tcp://127.0.0.1:{port}", clock)
    ticket = api.issue("A")
    assert ticket["code"] == "A-001"
    # Issuing only queued the paper: the printer was not even tried (no timing: CI is busy).
    assert _jobs(app) == [("pending", 0, None)]
    spooler.step()
    assert _jobs(app)[0][0] == "pending" and "cannot reach" in _jobs(app)[0][2]
    status = api.get("/api/v1/offices/kupang/printers", as_="admin").get_json()[0]
    assert (status["target"], status["online"], status["queue"]) == ("server", False, 1)
    assert "cannot reach" in status["last_error"]
    back = FakePrinter(port=port)
    try:
        clock.advance(seconds=5)
        spooler.step()
        assert "A-001" in decode(back.wait_for_jobs(1)[0]).texts
        assert _jobs(app) == [("printed", 2, None)]
        assert api.get("/api/v1/offices/kupang/printers", as_="admin").get_json()[0]["online"]
    finally:
        back.stop()


def test_hung_printer_does_not_hold_up_issuing_and_the_job_retries(make_app, clock, quick):
    hung = FakePrinter("hung")
    try:
        app, api, spooler = _setup(make_app, hung.url, clock)
        for _ in range(3):
            api.issue("A")
        # Issuing only queued the paper: nobody waited on the hung printer.
        assert _jobs(app) == [("pending", 0, None)] * 3
        spooler.step()
        status, attempts, error = _jobs(app)[0]
        assert (status, attempts) == ("pending", 1) and "did not answer" in error
        assert [j[0] for j in _jobs(app)[1:]] == ["pending", "pending"]
    finally:
        hung.stop()


def test_paper_out_is_visible_to_admins(make_app, clock, quick):
    empty = FakePrinter("paper_out")
    try:
        _app, api, spooler = _setup(make_app, empty.url, clock)
        api.issue("A")
        spooler.step()
        status = api.get("/api/v1/offices/kupang/printers", as_="admin").get_json()[0]
        assert not status["online"] and "out of paper" in status["last_error"]
    finally:
        empty.stop()


def test_jobs_survive_a_restart(make_app, printer, clock, quick):
    _app, api, _ = _setup(make_app, printer.url, clock)
    api.issue("A")
    api.issue("C")
    restarted = make_app(PRINTER_URL=printer.url)
    spooler = spooler_of(restarted)
    while spooler.step() is not None:
        pass
    codes = [
        next(t for t in decode(p).texts if "-" in t and len(t) == 5)
        for p in printer.wait_for_jobs(2)
    ]
    assert codes == ["A-001", "C-001"]


def test_double_tap_with_one_key_gives_one_ticket_and_one_paper(make_app, printer, clock):
    app, api, _ = _setup(make_app, printer.url, clock)
    headers = {"Idempotency-Key": "tap-2f9c1e7a"}
    first = api.post(
        "/api/v1/offices/kupang/tickets", {"service": "A"}, as_="kiosk", headers=headers
    )
    second = api.post(
        "/api/v1/offices/kupang/tickets", {"service": "A"}, as_="kiosk", headers=headers
    )
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    assert len(_jobs(app)) == 1
    other = api.post(
        "/api/v1/offices/kupang/tickets",
        {"service": "A"},
        as_="kiosk",
        headers={"Idempotency-Key": "tap-0000aaaa"},
    )
    assert other.get_json()["code"] == "A-002"
    bad = api.post(
        "/api/v1/offices/kupang/tickets",
        {"service": "A"},
        as_="kiosk",
        headers={"Idempotency-Key": "x"},
    )
    assert bad.status_code == 422


def test_reprint_queues_another_paper(make_app, printer, clock):
    app, api, _spooler = _setup(make_app, printer.url, clock)
    ticket = api.issue("A")
    response = api.post(f"/api/v1/tickets/{ticket['id']}/reprint", as_="operator")
    assert response.status_code == 201 and response.get_json()["print"]["status"] == "pending"
    with app.app_context():
        kinds = [j.kind for j in db.session.query(PrintJob).order_by(PrintJob.id)]
    assert kinds == ["ticket", "reprint"]


def test_issue_without_paper_makes_no_job(make_app, printer, clock):
    app, api, _ = _setup(make_app, printer.url, clock)
    response = api.post(
        "/api/v1/offices/kupang/tickets", {"service": "A", "print": False}, as_="operator"
    )
    assert response.get_json()["print"] is None and _jobs(app) == []


def test_a_job_not_printed_within_half_an_hour_gives_up(make_app, clock, quick):
    dead = FakePrinter()
    dead.stop()
    app, api, spooler = _setup(make_app, dead.url, clock)
    api.issue("A")
    spooler.step()
    clock.advance(minutes=31)
    spooler.step()
    assert _jobs(app)[0][0] == "failed"
    assert timedelta(minutes=30) == spooler.expire_after


@pytest.mark.parametrize("fault", ["drop", "runs_out"])
def test_a_ticket_cut_short_is_printed_again_whole(make_app, clock, quick, fault):
    """Dropped mid-job, or out of paper half-way: the job stays first and prints whole once the
    printer is well; the next ticket waits behind it; issuing never waits."""
    faulty = FakePrinter(fault)
    try:
        app, api, spooler = _setup(make_app, faulty.url, clock)
        api.issue("A")
        api.issue("A")
        spooler.step()
        first, second = _jobs(app)
        assert first[:2] == ("pending", 1) and second == ("pending", 0, None)
        status = api.get("/api/v1/offices/kupang/printers", as_="admin").get_json()[0]
        assert not status["online"] and status["queue"] == 2
        assert ("did not confirm" if fault == "drop" else "during the ticket") in (
            status["last_error"]
        )
        faulty.mode = "ok"
        clock.advance(seconds=5)
        spooler.step()
        spooler.step()
        whole = [decode(job).texts for job in faulty.wait_for_jobs(2)]
        assert any("A-001" in t for t in whole[0]) and any("A-002" in t for t in whole[1])
        assert [j[0] for j in _jobs(app)] == ["printed", "printed"]
    finally:
        faulty.stop()
