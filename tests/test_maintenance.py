"""``loket purge`` erases old staff notes and keeps the counts; ``loket backup`` copies the live
SQLite database consistently while tickets are being issued."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Ticket, TicketEvent

NOTE = "KK lama atas nama Budi Santoso, NIK 5371010101010001"


def _blocked_card(api, world, note: str) -> int:
    ticket = api.issue("A")
    assert api.call_next(world.counter(1).id).status_code == 200
    assert api.move(ticket["id"], "finish").status_code == 200
    response = api.move(
        ticket["id"], "stage", "clerk", {"stage": "blocked", "reason": "other", "note": note}
    )
    assert response.status_code == 200, response.get_json()
    return ticket["id"]


def _notes(app) -> tuple[dict[int, str | None], list[str]]:
    with app.app_context():
        cards = dict(db.session.execute(select(Ticket.id, Ticket.stage_note)).all())
        events = [
            n
            for (n,) in db.session.execute(
                select(TicketEvent.note).where(TicketEvent.note.is_not(None))
            )
        ]
        return cards, events


def test_purge_erases_notes_older_than_the_retention_and_keeps_the_counts(
    app, api, world, clock, runner
):
    old = _blocked_card(api, world, NOTE)
    clock.advance(days=25)
    recent = _blocked_card(api, world, "fresh note")
    day = clock.now.date().isoformat()
    first_day = (clock.now - timedelta(days=25)).date().isoformat()
    before = api.get(
        f"/api/v1/offices/kupang/report?from={first_day}&to={day}", as_="admin"
    ).get_json()

    clock.advance(days=10)  # the first note is 35 days old, the second 10
    result = runner.invoke(args=["loket", "purge"])
    assert result.exit_code == 0, result.output
    assert "older than 30 days" in result.output and "1 on cards" in result.output

    cards, events = _notes(app)
    assert cards[old] is None and cards[recent] == "fresh note"
    assert events == ["fresh note"]
    after = api.get(
        f"/api/v1/offices/kupang/report?from={first_day}&to={day}", as_="admin"
    ).get_json()
    assert after == before
    with app.app_context():
        audit = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "notes.purge")
        ).one()
        assert audit.user_id is None and '"ticket_notes": [null, 1]' in audit.details

    shorter = runner.invoke(args=["loket", "purge", "--days", "5"])
    assert shorter.exit_code == 0 and "older than 5 days" in shorter.output
    assert _notes(app) == ({old: None, recent: None}, [])


def test_purge_refuses_a_retention_below_one_day(runner):
    result = runner.invoke(args=["loket", "purge", "--days", "0"])
    assert result.exit_code != 0 and "0" in result.output


def test_backup_while_tickets_are_issued_is_consistent(app, world, tmp_path, runner):
    """A writer issues tickets the whole time; the copy opens, passes its integrity check and
    its numbering matches its tickets exactly (no half-written transaction inside)."""
    stop = threading.Event()
    made: list[int] = []
    token = world.tokens["kiosk"]

    def writer() -> None:
        client = app.test_client()
        while not stop.is_set():
            response = client.post(
                "/api/v1/offices/kupang/tickets",
                json={"service": "A"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 201
            made.append(response.get_json()["number"])

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(made) < 20:
            threading.Event().wait(0.01)
        folder = tmp_path / "backups"
        folder.mkdir()
        result = runner.invoke(args=["loket", "backup", str(folder)])
        after = len(made)
        while len(made) < after + 5:  # the server kept issuing during and after the copy
            threading.Event().wait(0.01)
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    [copy] = folder.glob("loket-*.db")
    assert str(copy) in result.output and "checked" in result.output
    assert not list(folder.glob("*.partial"))
    con = sqlite3.connect(copy)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        numbers = [n for (n,) in con.execute("SELECT number FROM tickets ORDER BY number")]
        last = con.execute("SELECT last_number FROM daily_sequences").fetchall()
    finally:
        con.close()
    assert 20 <= len(numbers) <= len(made)
    assert numbers == list(range(1, len(numbers) + 1))
    assert last == [(len(numbers),)]


def test_backup_refuses_with_a_sentence(app, runner, tmp_path, pg_app):
    missing = runner.invoke(args=["loket", "backup", str(tmp_path / "no" / "such" / "x.db")])
    assert missing.exit_code != 0 and "does not exist" in missing.output
    live = runner.invoke(args=["loket", "backup", str(tmp_path / "loket.db")])
    assert live.exit_code != 0 and "live database" in live.output
    on_postgres = pg_app.test_cli_runner().invoke(args=["loket", "backup", str(tmp_path)])
    assert on_postgres.exit_code != 0 and "pg_dump" in on_postgres.output
