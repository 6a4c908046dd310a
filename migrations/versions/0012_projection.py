"""Which projection last derived each record's read model; whether a record was amended

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 17:00:00

One column. Every record starts at 0, so the first start after this upgrade re-projects each
one (app/followup/projection.project_stale, run by `app.migrate.upgrade` at the head): facts
recorded after the meeting are carried to later versions, and the referrer's feedback becomes
a tracked action. Self-contained: it imports nothing from the application.
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('strategy_record', sa.Column('projected_with', sa.Integer(), nullable=False,
                                               server_default='0'))
    # Amended is no longer "a version after the first": a return starts one too.
    op.add_column('record_measure', sa.Column('amended', sa.Boolean(), nullable=False,
                                              server_default=sa.false()))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch would recreate strategy_record.
    op.execute('ALTER TABLE strategy_record DROP COLUMN projected_with')
    op.execute('ALTER TABLE record_measure DROP COLUMN amended')
