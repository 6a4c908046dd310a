"""Indexes for the pages managers open every morning, and the working-day calendar

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 12:00:00

Each index serves one page's query in the order it shows (so a page reads the rows it shows,
not every row and a sort), or a count from the index alone. The working_day table numbers
the working days (England and Wales bank holidays from the `holidays` package), so working
days overdue are one subtraction in SQL (app/rules/calendar.py keeps it up to date).
Self-contained: nothing from app/.
"""

from datetime import date, timedelta

import holidays
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2100, 12, 31)
FINAL = "status IN ('finalised', 'authorised')"
# (name, table, columns, covering columns (PostgreSQL), partial condition)
INDEXES = [
    # The manager's queues and their counts: each queue's rows in its order.
    ('ix_strategy_record_awaiting', 'strategy_record', ['sort_at', 'id'], ['team', 'led_by'],
     "status = 'finalised'"),
    ('ix_strategy_record_returned', 'strategy_record', ['sort_at', 'id'], ['team', 'led_by'],
     "status = 'draft' AND returned_at IS NOT NULL"),
    ('ix_strategy_record_edt_review', 'strategy_record', ['review_due', 'id'], ['team'],
     f"led_by = 'edt' AND {FINAL} AND reviewed_at IS NULL"),
    ('ix_strategy_record_referrer', 'strategy_record', ['sort_at', 'id'], ['team', 'led_by'],
     f"referrer_feedback_due AND {FINAL}"),
    # Joining actions and receipts to their record's version in force, from the index alone.
    ('ix_strategy_record_in_force', 'strategy_record', ['id', 'latest_final_version'],
     ['team', 'led_by', 'reference'], "latest_final_version IS NOT NULL"),
    # The actions tracker: open actions by due date.
    ('ix_tracked_action_open', 'tracked_action', ['due_date', 'id'],
     ['record_id', 'version', 'kind'], "status = 'open'"),
    # Agencies that have not opened what they were sent, oldest sending first.
    ('ix_record_receipt_unopened', 'record_receipt', ['sent_at', 'id'],
     ['record_id', 'version', 'organisation_id'],
     "first_opened_at IS NULL AND withdrawn_at IS NULL"),
    # What was sent to an organisation no one can be notified at, oldest sending first.
    ('ix_record_receipt_organisation_sent', 'record_receipt', ['organisation_id', 'sent_at', 'id'],
     ['record_id', 'version'], "withdrawn_at IS NULL"),
    # The requests list, newest first.
    ('ix_strategy_request_created', 'strategy_request', ['created_at', 'id'], [], None),
]


def upgrade() -> None:
    table = op.create_table(
        'working_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )
    bank = holidays.country_holidays('GB', subdiv='ENG', years=range(FIRST_DAY.year,
                                                                      LAST_DAY.year + 1))
    rows, number, day = [], 0, FIRST_DAY
    while day <= LAST_DAY:
        number += day.weekday() < 5 and day not in bank
        rows.append({'day': day, 'number': number})
        day += timedelta(days=1)
    op.bulk_insert(table, rows)
    for name, table_name, columns, covering, where in INDEXES:
        condition = sa.text(where) if where else None
        op.create_index(name, table_name, columns, postgresql_include=covering,
                        postgresql_where=condition, sqlite_where=condition)


def downgrade() -> None:
    for name, table_name, *_ in reversed(INDEXES):
        op.drop_index(name, table_name=table_name)
    op.drop_table('working_day')
