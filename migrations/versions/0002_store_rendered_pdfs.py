"""Store rendered PDFs of finalised versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:17:15.220355
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rendered_pdf',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('variant', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('etag', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['strategy_record.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('record_id', 'version', 'variant')
    )
    with op.batch_alter_table('rendered_pdf', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rendered_pdf_record_id'), ['record_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rendered_pdf', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rendered_pdf_record_id'))

    op.drop_table('rendered_pdf')
