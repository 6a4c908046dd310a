"""Sending the record: partner users' email, the notification outbox, record receipts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 10:00:00

New tables and one added column only: nothing recreates strategy_record.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _record_id() -> sa.Column:
    return sa.Column('record_id', sa.Integer(),
                     sa.ForeignKey('strategy_record.id', ondelete='CASCADE'), nullable=False)


def upgrade() -> None:
    op.add_column('app_user', sa.Column(
        'email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True))
    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), nullable=False),
        _record_id(),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('recipient_id', sa.Integer(), sa.ForeignKey('app_user.id'), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_notification_status_due', 'notification', ['status', 'next_attempt_at'])
    op.create_index('ix_notification_record', 'notification', ['record_id', 'version'])
    op.create_table(
        'record_receipt',
        sa.Column('id', sa.Integer(), nullable=False),
        _record_id(),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('first_opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('first_downloaded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('record_id', 'version', 'agency'),
    )
    op.create_index('ix_record_receipt_agency_opened', 'record_receipt',
                    ['agency', 'first_opened_at'])


def downgrade() -> None:
    op.drop_index('ix_record_receipt_agency_opened', table_name='record_receipt')
    op.drop_table('record_receipt')
    op.drop_index('ix_notification_record', table_name='notification')
    op.drop_index('ix_notification_status_due', table_name='notification')
    op.drop_table('notification')
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('email')
