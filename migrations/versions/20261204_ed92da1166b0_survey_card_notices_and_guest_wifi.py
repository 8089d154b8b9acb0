"""The satisfaction survey (responses, each office's wording), card-ready messages and the
office's guest Wi-Fi.

Revision ID: ed92da1166b0
Revises: f39b4516aa2f
Create Date: 2026-12-04 17:39:00.783284

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ed92da1166b0'
down_revision = 'f39b4516aa2f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_wordings',
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('question', sa.String(length=300), nullable=False),
    sa.Column('question_en', sa.String(length=300), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_survey_wordings_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('office_id', 'code', name=op.f('pk_survey_wordings'))
    )
    op.create_table('card_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('erased_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('waiting', 'pending', 'sending', 'sent', 'failed', 'dropped')", name=op.f('ck_card_notices_status_known')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_card_notices_office_id_offices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_card_notices_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_notices')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_card_notices_ticket_id'))
    )
    with op.batch_alter_table('card_notices', schema=None) as batch_op:
        batch_op.create_index('ix_card_notices_queue', ['id'], unique=False, sqlite_where=sa.text("status IN ('pending', 'sending')"), postgresql_where=sa.text("status IN ('pending', 'sending')"))

    op.create_table('survey_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('counter_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('u1', sa.Integer(), nullable=False),
    sa.Column('u2', sa.Integer(), nullable=False),
    sa.Column('u3', sa.Integer(), nullable=False),
    sa.Column('u4', sa.Integer(), nullable=False),
    sa.Column('u5', sa.Integer(), nullable=False),
    sa.Column('u6', sa.Integer(), nullable=False),
    sa.Column('u7', sa.Integer(), nullable=False),
    sa.Column('u8', sa.Integer(), nullable=False),
    sa.Column('u9', sa.Integer(), nullable=False),
    sa.Column('age_band', sa.String(length=8), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('education', sa.String(length=8), nullable=True),
    sa.Column('occupation', sa.String(length=12), nullable=True),
    sa.Column('suggestion', sa.Text(), nullable=True),
    sa.Column('suggestion_state', sa.String(length=8), nullable=True),
    sa.Column('moderated_at', sa.DateTime(), nullable=True),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('u1 >= 1 AND u1 <= 4', name=op.f('ck_survey_responses_u1_range')),
    sa.CheckConstraint('u2 >= 1 AND u2 <= 4', name=op.f('ck_survey_responses_u2_range')),
    sa.CheckConstraint('u3 >= 1 AND u3 <= 4', name=op.f('ck_survey_responses_u3_range')),
    sa.CheckConstraint('u4 >= 1 AND u4 <= 4', name=op.f('ck_survey_responses_u4_range')),
    sa.CheckConstraint('u5 >= 1 AND u5 <= 4', name=op.f('ck_survey_responses_u5_range')),
    sa.CheckConstraint('u6 >= 1 AND u6 <= 4', name=op.f('ck_survey_responses_u6_range')),
    sa.CheckConstraint('u7 >= 1 AND u7 <= 4', name=op.f('ck_survey_responses_u7_range')),
    sa.CheckConstraint('u8 >= 1 AND u8 <= 4', name=op.f('ck_survey_responses_u8_range')),
    sa.CheckConstraint('u9 >= 1 AND u9 <= 4', name=op.f('ck_survey_responses_u9_range')),
    sa.ForeignKeyConstraint(['counter_id'], ['counters.id'], name=op.f('fk_survey_responses_counter_id_counters'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['users.id'], name=op.f('fk_survey_responses_moderated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_survey_responses_office_id_offices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_survey_responses_service_id_services'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_survey_responses_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_survey_responses_ticket_id'))
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index('ix_survey_responses_office_day', ['office_id', 'day'], unique=False)

    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wifi_ssid', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('wifi_password', sa.String(length=63), server_default='', nullable=False))
        batch_op.add_column(sa.Column('wifi_hidden', sa.Boolean(), server_default='0', nullable=False))



def downgrade():
    op.drop_table('survey_responses')
    op.drop_table('card_notices')
    op.drop_table('survey_wordings')
    # Plain column drops: on SQLite a batch rebuild would drop and recreate a table that other
    # rows refer to (and cascade deletes through it).
    for column in ('wifi_hidden', 'wifi_password', 'wifi_ssid'):
        op.execute(f'ALTER TABLE offices DROP COLUMN {column}')
