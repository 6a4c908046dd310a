"""Asking an agency for information before a discussion, by personal link

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-11 10:00:00

A personal link may now carry no receipt (it asks for information rather than sending a
version); each request and the contribution received for it, stored once, as received.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

AWAITED = 'received_at IS NULL AND cancelled_at IS NULL'


def upgrade() -> None:
    with op.batch_alter_table('recipient_link') as batch:
        batch.alter_column('receipt_id', existing_type=sa.Integer(), nullable=True)
    op.create_table('information_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('organisation', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('needed_by', sa.Date(), nullable=False),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('cancelled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('contribution', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
              nullable=True),
    sa.Column('into_version', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['recipient_link.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['strategy_record.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('link_id')
    )
    op.create_index(op.f('ix_information_request_record_id'), 'information_request',
                    ['record_id'], unique=False)
    op.create_index('ix_information_request_awaited', 'information_request', ['needed_by', 'id'],
                    unique=False, postgresql_where=sa.text(AWAITED),
                    sqlite_where=sa.text(AWAITED))


def downgrade() -> None:
    op.drop_table('information_request')
    op.execute('DELETE FROM recipient_link WHERE receipt_id IS NULL')
    with op.batch_alter_table('recipient_link') as batch:
        batch.alter_column('receipt_id', existing_type=sa.Integer(), nullable=False)
