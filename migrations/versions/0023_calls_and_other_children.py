"""How each person took part, in the live audit's row

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 20:30:00

A column per new measure of record_measure. Nothing stored changes meaning: the participants'
modes keep their values (a new value is added for taking part by phone on the call), so no
document is rewritten; `python -m app migrate` re-projects every record at the head (the
projection's number was raised), which fills the new columns. Self-contained: nothing from app/.
"""

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

COLUMNS = ('m_partners_in_discussion',)


def upgrade() -> None:
    with op.batch_alter_table('record_measure') as table:
        for column in COLUMNS:
            table.add_column(sa.Column(column, sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('record_measure') as table:
        for column in COLUMNS:
            table.drop_column(column)
