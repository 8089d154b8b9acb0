"""Booking ahead: booking plans per service, bookings, and where each ticket came from.

Also the public page's office address and map link, and each service's "what to bring".
Tickets issued before this revision came from the kiosk or a desk (channel "kiosk").

Revision ID: f39b4516aa2f
Revises: 7d41c2a9e0b3
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f39b4516aa2f'
down_revision = '7d41c2a9e0b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booking_plans',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.Column('slot_min', sa.Integer(), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('walk_in_pct', sa.Integer(), nullable=False),
    sa.Column('early_min', sa.Integer(), nullable=False),
    sa.Column('late_min', sa.Integer(), nullable=False),
    sa.Column('days_ahead', sa.Integer(), nullable=False),
    sa.CheckConstraint('days_ahead >= 1 AND days_ahead <= 60', name=op.f('ck_booking_plans_days_ahead_range')),
    sa.CheckConstraint('early_min >= 0 AND late_min >= 0', name=op.f('ck_booking_plans_windows_positive')),
    sa.CheckConstraint('places >= 1 AND places <= 100', name=op.f('ck_booking_plans_places_range')),
    sa.CheckConstraint('slot_min >= 5 AND slot_min <= 240', name=op.f('ck_booking_plans_slot_length')),
    sa.CheckConstraint('starts < ends', name=op.f('ck_booking_plans_starts_before_ends')),
    sa.CheckConstraint('walk_in_pct >= 0 AND walk_in_pct <= 100', name=op.f('ck_booking_plans_walk_in_range')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_booking_plans_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', name=op.f('pk_booking_plans'))
    )
    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('is_group', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('client', sa.String(length=32), nullable=True),
    sa.Column('created_day', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('requested', 'booked', 'checked_in', 'cancelled', 'missed', 'refused')", name=op.f('ck_bookings_status_known')),
    sa.CheckConstraint('places >= 1', name=op.f('ck_bookings_places_positive')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_bookings_office_id_offices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_bookings_service_id_services'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_bookings_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('office_id', 'code', name=op.f('uq_bookings_office_id_code')),
    sa.UniqueConstraint('token', name=op.f('uq_bookings_token'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_client_day', ['office_id', 'client', 'created_day'], unique=False)
        batch_op.create_index('ix_bookings_slot', ['service_id', 'day', 'start'], unique=False)

    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('map_url', sa.String(length=500), server_default='', nullable=False))

    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bring', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), server_default='kiosk', nullable=False))



def downgrade():
    op.drop_table('bookings')
    op.drop_table('booking_plans')
    # Plain column drops: on SQLite a batch rebuild would drop and recreate tables that other
    # rows refer to (and cascade deletes through them).
    for table, column in (
        ('tickets', 'channel'),
        ('services', 'bring'),
        ('offices', 'map_url'),
        ('offices', 'address'),
    ):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
