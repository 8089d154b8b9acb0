"""Ticket durations in seconds (wait, service, printing, pickup) for fast reports.

Revision ID: 5b0e7c3d9a21
Revises: 820642516601
Create Date: 2026-11-29 11:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b0e7c3d9a21'
down_revision = '820642516601'
branch_labels = None
depends_on = None

LEGS = (
    ("wait_s", "queued_at", "called_at"),
    ("service_s", "COALESCE(serving_at, called_at)", "finished_at"),
    ("print_s", "ready_at", "printed_at"),
    ("pickup_s", "printed_at", "handed_over_at"),
)


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        for column, _, _ in LEGS:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
    # Existing tickets get their durations from their times.
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column, start, end in LEGS:
        if sqlite:
            seconds = f"CAST(round((julianday({end}) - julianday({start})) * 86400.0) AS INTEGER)"
        else:
            seconds = f"CAST(round(EXTRACT(EPOCH FROM {end} - {start})) AS INTEGER)"
        op.execute(
            f"UPDATE tickets SET {column} = CASE WHEN {seconds} < 0 THEN 0 ELSE {seconds} END "
            f"WHERE {end} IS NOT NULL AND {start} IS NOT NULL"
        )


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        for column, _, _ in reversed(LEGS):
            batch_op.drop_column(column)
