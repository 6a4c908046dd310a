"""The live audit report's read model: record_measure, and the dates its figures time

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 04:00:00

A new table and added columns only (strategy_record is never recreated: stored PDFs refer to
it). Records finalised before this revision get their rows and dates from what is stored
(migrations/frozen/m0009.py).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

ADDED = [
    ('strategy_record', sa.Column('reviewed_on', sa.Date(), nullable=True)),
    ('strategy_record', sa.Column('referrer_told_on', sa.Date(), nullable=True)),
    ('strategy_record', sa.Column('sent_late', sa.Boolean(), nullable=True)),
    ('tracked_action', sa.Column('done_on', sa.Date(), nullable=True)),
    ('tracked_action', sa.Column('discussion_on', sa.Date(), nullable=True)),
    ('record_receipt', sa.Column('discussion_on', sa.Date(), nullable=True)),
    ('strategy_request', sa.Column('triaged_in_time', sa.Boolean(), nullable=True)),
]
# The live audit's measures as they were at this revision (app/rules/measures.py).
MEASURE_COLUMNS = [
    'm_agency_positions', 'm_experience_observed', 'm_experience_recorded', 'm_icpc_within_limit',
    'm_midwifery_unborn', 'm_no_concerns_recorded', 'm_no_warnings', 'm_not_contacted_reasons',
    'm_outside_contributions', 'm_participants_recorded', 'm_prebirth_conference',
    'm_referrer_told',
]
# Covering on PostgreSQL (INCLUDE), so a period's actions and receipts come from the index.
INDEXES = [
    ('ix_tracked_action_kind_discussion', 'tracked_action', ['kind', 'discussion_on'],
     ['record_id', 'version', 'status', 'done_on', 'due_date']),
    ('ix_record_receipt_discussion', 'record_receipt', ['discussion_on'],
     ['record_id', 'version', 'agency', 'first_opened_at', 'sent_at']),
]


def upgrade() -> None:
    op.create_table(
        'record_measure',
        sa.Column('record_id', sa.Integer(),
                  sa.ForeignKey('strategy_record.id', ondelete='CASCADE'), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('discussion_on', sa.Date(), nullable=False),
        sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column('led_by', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column('sent_late', sa.Boolean(), nullable=True),
        sa.Column('review_due', sa.Date(), nullable=True),
        sa.Column('reviewed_on', sa.Date(), nullable=True),
        sa.Column('authorised', sa.Boolean(), nullable=False),
        sa.Column('returned', sa.Boolean(), nullable=False),
        sa.Column('referrer_told_on', sa.Date(), nullable=True),
        *(sa.Column(name, sa.Boolean(), nullable=True) for name in MEASURE_COLUMNS),
        sa.PrimaryKeyConstraint('record_id'),
    )
    op.create_index('ix_record_measure_discussion_on', 'record_measure', ['discussion_on'])
    for table, column in ADDED:
        op.add_column(table, column)
    for name, table, columns, included in INDEXES:
        op.create_index(name, table, columns, postgresql_include=included)

    from migrations.frozen.m0009 import backfill
    backfill(op.get_bind())


def downgrade() -> None:
    for name, table, _, _ in INDEXES:
        op.drop_index(name, table_name=table)
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch would recreate strategy_record.
    for table, column in reversed(ADDED):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column.name}')
    op.drop_index('ix_record_measure_discussion_on', table_name='record_measure')
    op.drop_table('record_measure')
