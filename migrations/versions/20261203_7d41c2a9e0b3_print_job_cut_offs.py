"""Print jobs count the restarts that cut them off apart from their attempts.

A job tried many times while its printer was off is not a job that keeps bringing the server
down: only ``cut_offs`` decides when a job left "printing" by restarts fails for good.

Revision ID: 7d41c2a9e0b3
Revises: 5b0e7c3d9a21
Create Date: 2026-12-03 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d41c2a9e0b3'
down_revision = '5b0e7c3d9a21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('cut_offs', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade():
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.drop_column('cut_offs')
