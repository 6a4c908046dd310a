"""An index of the open actions in force by kind, for the manager's counts

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 16:30:00

The manager's page counts the overdue "update all agencies" actions, up to 1,001 of them.
Read from the open actions' index in due-date order, at 100,000 records four in five of the
overdue actions it passed were of another kind or an earlier version, and PostgreSQL sent
two workers to read them (10 ms). This index holds only the open actions in force, by kind,
so the count reads the actions it counts (2.5 ms).

SQLite uses a partial index only when the query holds the index's condition term for term,
and a query's `in_force = true` reaches SQLite as `in_force = 1`, which the bare `in_force`
of 0029's index of actions in force does not match: on SQLite that index is rebuilt with
`in_force = 1`. (PostgreSQL reads both the same.)
Self-contained: nothing from app/.
"""

import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

NAME = 'ix_tracked_action_open_kind'
# 0029's index of the actions in force over a period of discussions.
IN_FORCE = 'ix_tracked_action_kind_discussion'
IN_FORCE_INCLUDE = ['record_id', 'status', 'done_on', 'due_date', 'team', 'led_by']


def _in_force_index(condition: str) -> None:
    op.drop_index(IN_FORCE, table_name='tracked_action')
    op.create_index(IN_FORCE, 'tracked_action', ['kind', 'discussion_on'],
                    postgresql_include=IN_FORCE_INCLUDE, sqlite_where=sa.text(condition))


def upgrade() -> None:
    op.create_index(NAME, 'tracked_action', ['kind', 'due_date', 'id'],
                    postgresql_include=['record_id', 'version'],
                    postgresql_where=sa.text("status = 'open' AND in_force"),
                    sqlite_where=sa.text("status = 'open' AND in_force = 1"))
    if op.get_bind().dialect.name == 'sqlite':
        _in_force_index('in_force = 1')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _in_force_index('in_force')
    op.drop_index(NAME, table_name='tracked_action')
