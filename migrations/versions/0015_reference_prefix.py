"""An index for searching by the start of a reference

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 12:00:00

References are SR-YYYY-NNNNN. The list's search for the start of one ("SR-2024", a third of
the records) reads that year's references from this index in the list's order (discussion
time, then id), and checks the rest of the prefix and who may see each record from the index
too (app/records/listing.py). Self-contained: nothing from app/.
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

NAME = 'ix_strategy_record_reference_year'


def upgrade() -> None:
    op.create_index(NAME, 'strategy_record', [sa.text('substr(reference, 1, 7)'), 'sort_at', 'id'],
                    postgresql_include=['reference', 'team', 'led_by', 'status'])


def downgrade() -> None:
    op.drop_index(NAME, table_name='strategy_record')
