"""Create the strategy_record table.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 23:48:15.980609
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('strategy_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finalised_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('strategy_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategy_record_reference'), ['reference'], unique=True)
        batch_op.create_index(batch_op.f('ix_strategy_record_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('strategy_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategy_record_status'))
        batch_op.drop_index(batch_op.f('ix_strategy_record_reference'))

    op.drop_table('strategy_record')
