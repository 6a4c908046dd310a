"""An index the live audit's request figures read alone

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 23:00:00

The report counts the requests made in its period by agency, status and decided in time, and
takes the median hours to a decision (app/reports/families.py, breakdowns.py): about a third
of the table for a year. With only (created_at, id) PostgreSQL read the whole table for each;
with the columns they count included, each is an index-only scan of the period's entries.
Self-contained: nothing from app/.
"""

from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

NAME = 'ix_strategy_request_report'


def upgrade() -> None:
    op.create_index(NAME, 'strategy_request', ['created_at'],
                    postgresql_include=['agency', 'status', 'triaged_in_time', 'triaged_at'])


def downgrade() -> None:
    op.drop_index(NAME, table_name='strategy_request')
