"""Which projection last derived each record's read model; whether a record was amended

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 17:00:00

One column. Every record starts at 0, so the first start after this upgrade re-projects each
one (app/followup/projection.project_stale, run by `app.migrate.upgrade` at the head): facts
recorded after the meeting are carried to later versions, and the referrer's feedback becomes
a tracked action. Self-contained: it imports nothing from the application.

It also corrects the timeline's amendment entries written before the fix to `amend`: they
named the version after the new one (version 3, "amending version 2", after one amendment).
An amendment's `amends` is a version finalised before it; one that was not is one too high.
"""

import json

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
    _correct_amendment_entries()


def _correct_amendment_entries() -> None:
    connection = op.get_bind()
    entry = sa.table('followup_entry', sa.column('id', sa.Integer), sa.column('record_id', sa.Integer),
                     sa.column('version', sa.Integer), sa.column('kind', sa.String),
                     sa.column('at', sa.DateTime), sa.column('details', sa.JSON))
    finalised = {(r.record_id, r.version): r.at for r in connection.execute(
        sa.select(entry.c.record_id, entry.c.version, sa.func.min(entry.c.at).label('at'))
        .where(entry.c.kind == 'finalised').group_by(entry.c.record_id, entry.c.version))}
    corrected = []
    for row in connection.execute(sa.select(entry).where(entry.c.kind == 'amended')).all():
        details = row.details if isinstance(row.details, dict) else json.loads(row.details or '{}')
        amends = details.get('amends')
        before = finalised.get((row.record_id, amends))
        if not isinstance(amends, int) or amends < 2 or (before is not None and before <= row.at):
            continue  # right as written
        if (row.record_id, amends - 1) not in finalised:
            continue  # not the known mistake: leave it as it is
        corrected.append({'entry_id': row.id, 'new_version': row.version - 1,
                          'new_details': {**details, 'amends': amends - 1}})
    # One statement for them all (executemany), linear in the entries, however many there are.
    if corrected:
        connection.execute(
            sa.update(entry).where(entry.c.id == sa.bindparam('entry_id'))
            .values(version=sa.bindparam('new_version'), details=sa.bindparam('new_details')),
            corrected)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch would recreate strategy_record.
    op.execute('ALTER TABLE strategy_record DROP COLUMN projected_with')
    op.execute('ALTER TABLE record_measure DROP COLUMN amended')
