"""``as_loaded``: a row read or written by a Core statement made a persistent instance without
an ORM load. It must behave exactly like a loaded one: nothing loads on reading, a change
flushes as an UPDATE, and an instance the session already holds gets the new values."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm.util import identity_key

from app.domain.access import Actor
from app.domain.turn import office_turn
from app.extensions import db
from app.models import Office, as_loaded


@pytest.fixture
def app(any_app):
    """On SQLite and on PostgreSQL (the world fixture builds on this app)."""
    return any_app


def _row(office_id: int) -> dict:
    table = Office.__table__
    return dict(
        db.session.connection()
        .execute(select(table).where(table.c.id == office_id))
        .mappings()
        .one()
    )


def test_a_row_becomes_a_loaded_instance_that_reads_nothing_and_updates_on_change(app, world):
    with app.app_context():
        office_id = world.office.id
        db.session.expunge_all()
        row = _row(office_id)
        statements: list[str] = []

        def seen(*args):
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", seen)
        office = as_loaded(db.session, Office, row)
        assert (office.slug, office.seq, office.timezone) == (
            row["slug"],
            row["seq"],
            row["timezone"],
        )
        assert office in db.session and not db.session.is_modified(office)
        assert statements == []  # every column known: nothing to load
        office.announcement = "Loket 3 tutup"
        db.session.flush()
        assert [s.split()[0] for s in statements] == ["UPDATE"]
        db.session.commit()
        event.remove(db.engine, "before_cursor_execute", seen)
        db.session.expunge_all()
        assert db.session.get(Office, office_id).announcement == "Loket 3 tutup"


def test_an_instance_the_session_holds_gets_the_new_values(app, world):
    with app.app_context():
        held = db.session.get(Office, world.office.id)
        before = held.seq
        kiosk = Actor(user_id=None, role="kiosk", office_id=held.id)
        office = office_turn(db.session, held.slug, "issue", kiosk)
        assert office is held  # one instance per row in a session
        assert held.seq == before + 1
        db.session.rollback()


def test_its_identity_key_is_the_orm_s_own(app, world):
    with app.app_context():
        office = as_loaded(db.session, Office, _row(world.office.id))
        assert identity_key(instance=office) == (Office, (world.office.id,), None)
        assert db.session.get(Office, world.office.id) is office  # found, not loaded again
        db.session.rollback()


def test_a_row_missing_a_column_is_refused_rather_than_read_as_none(app, world):
    with app.app_context():
        row = _row(world.office.id)
        del row["timezone"]
        with pytest.raises(ValueError, match="timezone"):
            as_loaded(db.session, Office, row)


def test_a_change_not_yet_written_survives_the_turn(app, world):
    # The turn is a Core statement (no flush first): the office's pending change must not be
    # replaced by the row as it was, and must still be written.
    with app.app_context():
        held = db.session.get(Office, world.office.id)
        held.announcement = "Loket 2 pindah ke lantai 2"
        kiosk = Actor(user_id=None, role="kiosk", office_id=held.id)
        office_turn(db.session, held.slug, "issue", kiosk)
        assert held.announcement == "Loket 2 pindah ke lantai 2"
        db.session.commit()
        db.session.expunge_all()
        assert db.session.get(Office, world.office.id).announcement == "Loket 2 pindah ke lantai 2"
