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
