"""The manager's queue of drafts not yet finalised

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 19:50:00

A draft nobody finalised was on no page of the manager's; this index serves its queue and
its counts in the queue's order. Self-contained: nothing from app/.
"""

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

CONDITION = "status = 'draft' AND returned_at IS NULL"


def upgrade() -> None:
    condition = sa.text(CONDITION)
    op.create_index('ix_strategy_record_drafts', 'strategy_record', ['sort_at', 'id'],
                    postgresql_include=['team', 'led_by'], postgresql_where=condition,
                    sqlite_where=condition)


def downgrade() -> None:
    op.drop_index('ix_strategy_record_drafts', table_name='strategy_record')
