"""``alembic upgrade head`` on an empty database gives exactly the models' schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def _diff():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrated_schema_equals_the_models(request, backend):
    # The app fixtures start from a database migrated from empty with `upgrade head`.
    app = request.getfixturevalue("sqlite_app" if backend == "sqlite" else "pg_app")
    with app.app_context():
        assert _diff() == []


def test_partial_indexes_exist_after_migration(app, app_context):
    from sqlalchemy import inspect

    names = {ix["name"] for ix in inspect(db.engine).get_indexes("tickets")}
    assert {"ix_tickets_waiting", "ix_tickets_one_per_counter", "ix_tickets_card_stage"} <= names


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_duration_columns_are_filled_for_existing_tickets(request, backend, clock):
    """Tickets made before the durations migration get theirs from their times, and a
    downgrade and upgrade round trip works on both databases."""
    from datetime import timedelta

    import flask_migrate
    from sqlalchemy import select, update

    from app.models import Ticket
    from tests.conftest import build_world

    app = request.getfixturevalue("sqlite_app" if backend == "sqlite" else "pg_app")
    with app.app_context():
        world = build_world(db.session)
        from app import domain
        from app.domain import Actor

        kiosk = Actor(world.users["kiosk"].id, "kiosk", world.office.id)
        ticket = domain.issue(db.session, "kupang", "A", priority=False, now=clock.now, actor=kiosk)
        ticket.called_at = clock.now + timedelta(minutes=7, seconds=3)
        ticket.status = "called"
        db.session.commit()
        ticket_id = ticket.id
        flask_migrate.downgrade(revision="820642516601")
        flask_migrate.upgrade()
        db.session.expire_all()
        row = db.session.execute(
            select(Ticket.wait_s, Ticket.service_s).where(Ticket.id == ticket_id)
        ).one()
        assert row == (423, None)
        # Kept in step afterwards by the ORM whenever the times change.
        db.session.execute(update(Ticket).values(wait_s=None))
        found = db.session.get(Ticket, ticket_id)
        found.called_at = found.queued_at + timedelta(seconds=90)
        db.session.commit()
        assert db.session.get(Ticket, ticket_id).wait_s == 90
