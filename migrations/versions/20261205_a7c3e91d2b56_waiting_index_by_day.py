"""The waiting tickets' index holds the day: counting the people ahead reads only the index.

ix_tickets_waiting was (service_id, sort_at, id); every query on it also asks for the day, so
each entry meant a visit to the ticket's row. Now (service_id, day, sort_at, id, status): the
status too, as SQLite reads a partial index as covering only when it holds every column named.

Revision ID: a7c3e91d2b56
Revises: ed92da1166b0
Create Date: 2026-12-05 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e91d2b56'
down_revision = 'ed92da1166b0'
branch_labels = None
depends_on = None

WAITING = sa.text("status = 'waiting'")


def upgrade():
    op.drop_index('ix_tickets_waiting', table_name='tickets')
    op.create_index(
        'ix_tickets_waiting',
        'tickets',
        ['service_id', 'day', 'sort_at', 'id', 'status'],
        unique=False,
        sqlite_where=WAITING,
        postgresql_where=WAITING,
    )


def downgrade():
    op.drop_index('ix_tickets_waiting', table_name='tickets')
    op.create_index(
        'ix_tickets_waiting',
        'tickets',
        ['service_id', 'sort_at', 'id'],
        unique=False,
        sqlite_where=WAITING,
        postgresql_where=WAITING,
    )
