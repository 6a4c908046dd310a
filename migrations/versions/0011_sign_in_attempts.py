"""Sign-in attempts, written before the password is checked, for a throttle that holds under
concurrency

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 17:00:00

A new table only. (Branch `faults`: written beside another branch's 0010; re-chain
down_revision to '0010' when the two meet.)
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_in_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    for column in ('at', 'username', 'ip'):
        op.create_index(f'ix_sign_in_attempt_{column}', 'sign_in_attempt', [column])


def downgrade() -> None:
    for column in ('at', 'username', 'ip'):
        op.drop_index(f'ix_sign_in_attempt_{column}', table_name='sign_in_attempt')
    op.drop_table('sign_in_attempt')
