"""An index on the record a request became

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 08:30:00

The records behind a request figure of the live audit are found a record at a time
(app/records/listing.py walks the list asking each record), and with no index on
`strategy_request.record_id` each question read every request: over a second for a page at
100,000 records. The foreign key needs it too: deleting a record (retention's purge) looked
through every request for one pointing at it.
Self-contained: nothing from app/.
"""

from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

NAME = 'ix_strategy_request_record_id'


def upgrade() -> None:
    op.create_index(NAME, 'strategy_request', ['record_id'])


def downgrade() -> None:
    op.drop_index(NAME, table_name='strategy_request')
