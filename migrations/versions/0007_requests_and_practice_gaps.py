"""Requests for a strategy discussion from any agency

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00

The practice-gap fields (unborn-baby plans, the body map, police and legal planning, ...)
live in the record's JSON document, so they need no column: an existing document simply
lacks them. Only the request table is new. Nothing here recreates strategy_record, which
stored PDFs refer to.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'strategy_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('triaged_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('triaged_by_id', sa.Integer(), nullable=True),
        sa.Column('decline_reason', sa.Text(), nullable=True),
        sa.Column('instead', sa.Text(), nullable=True),
        sa.Column('record_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id']),
        sa.ForeignKeyConstraint(['triaged_by_id'], ['app_user.id']),
        sa.ForeignKeyConstraint(['record_id'], ['strategy_record.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_strategy_request_created_by_id', 'strategy_request', ['created_by_id'])
    op.create_index('ix_strategy_request_status_created', 'strategy_request',
                    ['status', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_strategy_request_status_created', table_name='strategy_request')
    op.drop_index('ix_strategy_request_created_by_id', table_name='strategy_request')
    op.drop_table('strategy_request')
