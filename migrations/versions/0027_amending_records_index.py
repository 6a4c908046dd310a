"""An index of the records being amended, in the list's order

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 10:30:00

The records behind a figure of the live audit are the records discussed in its period, so
the list of them starts where the period does (app/records/listing.py, Among.within), not
at the oldest record ever. The one kind of record a figure counts that the list may show
outside those days is one being amended: the list shows the draft (whose discussion date
may have moved), the figure counts the version in force. This index finds those, in the
list's order, without reading every draft.
Self-contained: nothing from app/.
"""

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

NAME = 'ix_strategy_record_amending'


def upgrade() -> None:
    condition = sa.text("status = 'draft' AND latest_final_version IS NOT NULL")
    op.create_index(NAME, 'strategy_record', ['sort_at', 'id'],
                    postgresql_include=['team', 'led_by'], postgresql_where=condition,
                    sqlite_where=condition)


def downgrade() -> None:
    op.drop_index(NAME, table_name='strategy_record')
