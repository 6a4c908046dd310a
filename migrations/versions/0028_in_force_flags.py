"""Actions and receipts say whether they are of the version in force

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 10:30:00

The manager's page counts open overdue actions and unopened receipts of each record's version
in force, up to 1,001. Their indexes hold every version's, and a third of the open actions
belong to versions since superseded, so each was looked up in strategy_record only to be
dropped: 3,600 lookups for 1,001 at 100,000 records. `in_force`, kept by the projection from
now on (app/followup/projection.py), is filled here in one statement a table and carried in
the indexes the counts read, so those rows are skipped in the index.
Self-contained: nothing from app/.
"""

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

# (index, table, columns, covering columns before and after, partial condition)
INDEXES = [
    ('ix_tracked_action_open', 'tracked_action', ['due_date', 'id'],
     ['record_id', 'version', 'kind'], "status = 'open'"),
    ('ix_record_receipt_unopened', 'record_receipt', ['sent_at', 'id'],
     ['record_id', 'version', 'organisation_id'],
     "first_opened_at IS NULL AND withdrawn_at IS NULL"),
    ('ix_record_receipt_organisation_sent', 'record_receipt', ['organisation_id', 'sent_at', 'id'],
     ['record_id', 'version'], "withdrawn_at IS NULL"),
]


def _indexes(with_flag: bool) -> None:
    for name, table, columns, covering, where in INDEXES:
        op.drop_index(name, table_name=table)
        condition = sa.text(where)
        op.create_index(name, table, columns,
                        postgresql_include=covering + (['in_force'] if with_flag else []),
                        postgresql_where=condition, sqlite_where=condition)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table in ('tracked_action', 'record_receipt'):
        op.add_column(table, sa.Column('in_force', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
        # The live audit's trigger (0025) compares every updated row's counted columns, which
        # this leaves alone: on PostgreSQL it would join the table's rows to themselves.
        trigger = f'report_month_{table}_update'
        if postgres:
            op.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        op.execute(f"UPDATE {table} SET in_force = true WHERE EXISTS (SELECT 1 FROM "
                   f"strategy_record s WHERE s.id = {table}.record_id "
                   f"AND s.latest_final_version = {table}.version)")
        if postgres:
            op.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
    _indexes(with_flag=True)


def downgrade() -> None:
    _indexes(with_flag=False)
    for table in ('tracked_action', 'record_receipt'):
        # Not batch mode: on SQLite that rebuilds the table and loses its triggers (0025).
        op.drop_column(table, 'in_force')
