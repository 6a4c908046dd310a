"""An index for a partner's own requests, newest first

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 19:30:00

The requests list is paged by creation time (app/requests/listing.py): social care's lists
read ix_strategy_request_status_created and ix_strategy_request_created; a partner's own
requests read this one in the order they are shown. Self-contained: nothing from app/.
"""

from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

NAME = 'ix_strategy_request_mine'


def upgrade() -> None:
    op.create_index(NAME, 'strategy_request', ['created_by_id', 'created_at', 'id'])


def downgrade() -> None:
    op.drop_index(NAME, table_name='strategy_request')
