"""The live audit reads a figure's rows from its indexes alone

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 13:30:00

The records behind a figure are gathered from the figure's rows over its period: a year's
22,000 record measures, or 24,000 update actions joined to the records in force, at 100,000
records. Actions now say whether they are of the version in force (0028) and carry the
version's team and lead, so they are read without that join, from an index of the actions
in force holding every column the figures test; the record measures' index of discussion
days holds every measure, so a period's are read from it alone.
Self-contained: nothing from app/.
"""

import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

MEASURES = ['m_agency_positions', 'm_experience_observed', 'm_experience_recorded',
            'm_icpc_within_limit', 'm_midwifery_unborn', 'm_no_concerns_recorded',
            'm_no_warnings', 'm_not_contacted_reasons', 'm_outside_contributions',
            'm_participants_recorded', 'm_partners_in_discussion', 'm_prebirth_conference',
            'm_referrer_told']
RECORD_FACTS = ['record_id', 'version', 'team', 'led_by', 'sent_late', 'review_due',
                'reviewed_on', 'authorised', 'returned', 'amended', 'referrer_told_on']
ACTION = ['record_id', 'status', 'done_on', 'due_date', 'team', 'led_by']


# The columns of an action whose change changes a count (0025), before and now.
WATCHED_BEFORE = ['record_id', 'version', 'kind', 'status', 'done_on', 'due_date', 'discussion_on']
WATCHED = WATCHED_BEFORE + ['in_force', 'team', 'led_by']
TRIGGER = 'report_month_tracked_action_update'
BUMP = """INSERT INTO report_month (month, counted, generation)
SELECT DISTINCT month, 'tracked_action', 1 FROM ({rows}) AS touched WHERE month IS NOT NULL
ORDER BY month ON CONFLICT (month, counted) DO UPDATE SET generation = report_month.generation + 1"""
BUMP_SQLITE = """INSERT INTO report_month (month, counted, generation)
SELECT strftime('%Y-%m', {row}.discussion_on), 'tracked_action', 1
WHERE strftime('%Y-%m', {row}.discussion_on) IS NOT NULL
ON CONFLICT (month, counted) DO UPDATE SET generation = generation + 1;"""


def _watch(columns: list[str]) -> None:
    """The update trigger of 0025 for actions, watching `columns`."""
    if op.get_bind().dialect.name == 'postgresql':
        differs = " OR ".join(f"o.{c}::text IS DISTINCT FROM r.{c}::text" for c in columns)
        changed = f"SELECT r.* FROM new_rows r JOIN old_rows o ON o.id = r.id WHERE {differs}"
        before = changed.replace("new_rows r", "old_rows r", 1).replace("old_rows o", "new_rows o", 1)
        rows = " UNION ".join(f"SELECT to_char(r.discussion_on, 'YYYY-MM') AS month FROM ({s}) AS r"
                              for s in (changed, before))
        op.execute(f"CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {BUMP.format(rows=rows)}; RETURN NULL; END $$")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
    when = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    bumps = "\n".join(BUMP_SQLITE.format(row=row) for row in ('OLD', 'NEW'))
    op.execute(f"CREATE TRIGGER {TRIGGER} AFTER UPDATE ON tracked_action FOR EACH ROW WHEN {when} "
               f"BEGIN\n{bumps}\nEND")


def upgrade() -> None:
    _watch(WATCHED)
    op.drop_index('ix_record_measure_discussion_on', table_name='record_measure')
    op.create_index('ix_record_measure_discussion_on', 'record_measure', ['discussion_on'],
                    postgresql_include=RECORD_FACTS + MEASURES)
    op.drop_index('ix_tracked_action_kind_discussion', table_name='tracked_action')
    in_force = sa.text('in_force')
    op.create_index('ix_tracked_action_kind_discussion', 'tracked_action',
                    ['kind', 'discussion_on'], postgresql_include=ACTION,
                    postgresql_where=in_force, sqlite_where=in_force)


def downgrade() -> None:
    _watch(WATCHED_BEFORE)
    op.drop_index('ix_tracked_action_kind_discussion', table_name='tracked_action')
    op.create_index('ix_tracked_action_kind_discussion', 'tracked_action',
                    ['kind', 'discussion_on'],
                    postgresql_include=['record_id', 'version', 'status', 'done_on', 'due_date'])
    op.drop_index('ix_record_measure_discussion_on', table_name='record_measure')
    op.create_index('ix_record_measure_discussion_on', 'record_measure', ['discussion_on'])
