"""The live audit's tally: each month's counts kept until something in that month changes

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 22:00:00

A report over a year read every row of that year (22,000 records, 120,000 receipts ... at
100,000 records), so it grew with the data (issue 26). Now each month's counts are kept
(`report_tally`, written by app/reports/tally.py), and `report_month` holds, per month and table, a
number that goes up whenever a row the figures count changes in that month: a trigger on each
table the figures read bumps it in the same transaction, whichever code (or migration, or
cascade) wrote the row. A kept count is used only while its month's number is the one it was
counted at, so a report reads the months nothing has touched and recounts the rest.

On PostgreSQL the triggers run once a statement, over its changed rows (transition tables),
and bump the months in order, so a bulk write takes each month's row lock once and two
statements lock months in the same order. On SQLite (one writer at a time) they run a row.
A request belongs to the UK month it was made in; SQLite has no time zones, so both the UTC
month and the month an hour later (BST) are bumped: one too many is only a recount.
Self-contained: nothing from app/.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

# table: (key column, the columns whose change changes a count, its months on PostgreSQL,
#         its months on SQLite (with {row} for NEW or OLD), a condition on SQLite's row)
DAY = ("to_char(r.discussion_on, 'YYYY-MM')", ["strftime('%Y-%m', {row}.discussion_on)"])
WATCHED = {
    'record_measure': ('record_id', None, *DAY, None),
    'tracked_action': ('id', ['record_id', 'version', 'kind', 'status', 'done_on', 'due_date',
                              'discussion_on'], *DAY, None),
    'record_receipt': ('id', ['record_id', 'version', 'agency', 'sent_at', 'first_opened_at',
                              'discussion_on'], *DAY, None),
    'strategy_request': ('id', ['agency', 'created_at', 'status', 'triaged_in_time',
                                'triaged_at'],
                         "to_char(r.created_at AT TIME ZONE 'Europe/London', 'YYYY-MM')",
                         ["strftime('%Y-%m', {row}.created_at)",
                          "strftime('%Y-%m', {row}.created_at, '+1 hour')"], None),
    # Return reasons are counted for the records in force: the record's month, if it has one.
    'followup_entry': ('id', ['record_id', 'kind', 'details'],
                       "(SELECT to_char(m.discussion_on, 'YYYY-MM') FROM record_measure m "
                       "WHERE m.record_id = r.record_id AND r.kind = 'returned')",
                       ["(SELECT strftime('%Y-%m', m.discussion_on) FROM record_measure m "
                        "WHERE m.record_id = {row}.record_id)"], "{row}.kind = 'returned'"),
}

BUMP_POSTGRES = """
INSERT INTO report_month (month, counted, generation)
SELECT DISTINCT month, '{table}', 1 FROM ({rows}) AS touched WHERE month IS NOT NULL
ORDER BY month ON CONFLICT (month, counted) DO UPDATE SET generation = report_month.generation + 1"""

BUMP_SQLITE = """INSERT INTO report_month (month, counted, generation) SELECT {month}, '{table}', 1
WHERE {month} IS NOT NULL{condition}
ON CONFLICT (month, counted) DO UPDATE SET generation = generation + 1;"""


def _postgres(table: str, key: str, columns: list[str] | None, month: str) -> list[str]:
    function = f'report_month_{table}'
    changed = "SELECT r.* FROM new_rows r"
    if columns:  # an update that leaves every counted column alone changes no count
        differs = " OR ".join(f"o.{c}::text IS DISTINCT FROM r.{c}::text" for c in columns)
        changed += f" JOIN old_rows o ON o.{key} = r.{key} WHERE {differs}"
    sources = {'INSERT': ("SELECT r.* FROM new_rows r",),
               'UPDATE': (changed, changed.replace("new_rows r", "old_rows r", 1)
                          .replace("old_rows o", "new_rows o", 1)),
               'DELETE': ("SELECT r.* FROM old_rows r",)}
    statements = []
    for event, selects in sources.items():
        rows = " UNION ".join(f"SELECT {month} AS month FROM ({s}) AS r" for s in selects)
        name = f"{function}_{event.lower()}"
        referencing = {'INSERT': 'NEW TABLE AS new_rows', 'DELETE': 'OLD TABLE AS old_rows',
                       'UPDATE': 'OLD TABLE AS old_rows NEW TABLE AS new_rows'}[event]
        statements += [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{BUMP_POSTGRES.format(rows=rows, table=table)}; RETURN NULL; END $$",
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"]
    return statements


def _sqlite(table: str, columns: list[str] | None, months: list[str], condition: str | None
            ) -> list[str]:
    statements = []
    for event, rows in (('INSERT', ('NEW',)), ('UPDATE', ('OLD', 'NEW')), ('DELETE', ('OLD',))):
        when = ""
        if event == 'UPDATE' and columns:
            when = " WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        bumps = "\n".join(
            BUMP_SQLITE.format(month=month.format(row=row), table=table, condition=(
                f" AND {condition.format(row=row)}" if condition else ""))
            for row in rows for month in months)
        statements.append(f"CREATE TRIGGER report_month_{table}_{event.lower()} AFTER {event} "
                          f"ON {table} FOR EACH ROW{when} BEGIN\n{bumps}\nEND")
    return statements


def upgrade() -> None:
    op.create_table(
        'report_month',
        sa.Column('month', sa.String(7), primary_key=True),
        sa.Column('counted', sa.String(40), primary_key=True),
        sa.Column('generation', sa.BigInteger(), nullable=False),
    )
    op.create_table(
        'report_tally',
        sa.Column('key', sa.String(64), primary_key=True),
        sa.Column('made_on', sa.Date(), nullable=False),
        sa.Column('basis', sa.String(64), nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False),
        sa.Column('body', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                  nullable=False),
    )
    op.create_index('ix_report_tally_made_on', 'report_tally', ['made_on'])
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table, (key, columns, month, months, condition) in WATCHED.items():
        for statement in (_postgres(table, key, columns, month) if postgres
                          else _sqlite(table, columns, months, condition)):
            op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table in WATCHED:
        for event in ('insert', 'update', 'delete'):
            name = f'report_month_{table}_{event}'
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
            if postgres:
                op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_index('ix_report_tally_made_on', table_name='report_tally')
    op.drop_table('report_tally')
    op.drop_table('report_month')
