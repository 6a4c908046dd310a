"""Retention: the columns the rule reads, and tombstones of deleted records

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 20:00:00

Two read-model columns on strategy_record (the youngest child's date of birth, and whether any
child's is unknown), indexed with updated_at so the retention report reads index ranges, never
documents. They start empty (NULL: not yet derived, never due); PROJECTION 2 makes the first
start after this upgrade derive them (app.migrate.upgrade re-projects at the head).
Self-contained: nothing from app/.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('strategy_record', sa.Column('youngest_born', sa.Date(), nullable=True))
    op.add_column('strategy_record', sa.Column('born_unknown', sa.Boolean(), nullable=True))
    op.create_index('ix_strategy_record_youngest_born', 'strategy_record', ['youngest_born'])
    op.create_index('ix_strategy_record_updated_at', 'strategy_record', ['updated_at'])
    op.create_table(
        'record_tombstone',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('purged_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('approved_by_id', sa.Integer(), sa.ForeignKey('app_user.id'), nullable=True),
        sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.UniqueConstraint('reference'),
    )
    op.create_index('ix_record_tombstone_record_id', 'record_tombstone', ['record_id'])


def downgrade() -> None:
    op.drop_index('ix_record_tombstone_record_id', table_name='record_tombstone')
    op.drop_table('record_tombstone')
    op.drop_index('ix_strategy_record_updated_at', table_name='strategy_record')
    op.drop_index('ix_strategy_record_youngest_born', table_name='strategy_record')
    op.execute('ALTER TABLE strategy_record DROP COLUMN born_unknown')
    op.execute('ALTER TABLE strategy_record DROP COLUMN youngest_born')
