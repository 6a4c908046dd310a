"""The returns: children's identifiers searched, and section 47 enquiries for the exports

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 19:00:00

Two tables of the projection's (app/followup/course.py). They start empty: the projection's
version is 2, so `python -m app migrate` re-projects every record after this migration and
fills them. Self-contained: nothing from app/.
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def _record_id() -> sa.Column:
    return sa.Column('record_id', sa.Integer(),
                     sa.ForeignKey('strategy_record.id', ondelete='CASCADE'), nullable=False)


def upgrade() -> None:
    op.create_table(
        'child_identifier',
        sa.Column('id', sa.Integer(), primary_key=True),
        _record_id(),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('value', sa.String(40), nullable=False),
    )
    op.create_index('ix_child_identifier_record_id', 'child_identifier', ['record_id'])
    op.create_index('ix_child_identifier_value', 'child_identifier', ['value', 'record_id'])
    op.create_table(
        'section47_enquiry',
        sa.Column('id', sa.Integer(), primary_key=True),
        _record_id(),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('child_key', sa.String(40), nullable=False),
        sa.Column('child_title', sa.String(200), nullable=False),
        sa.Column('unborn', sa.Boolean(), nullable=False),
        sa.Column('person_id', sa.String(40), nullable=True),
        sa.Column('person_key', sa.String(40), nullable=False, server_default=''),
        sa.Column('team', sa.String(80), nullable=True),
        sa.Column('discussion_on', sa.Date(), nullable=True),
        sa.Column('start_on', sa.Date(), nullable=True),
        sa.Column('continues', sa.Boolean(), nullable=False),
        sa.Column('icpc_target', sa.Date(), nullable=True),
        sa.Column('icpc_on', sa.Date(), nullable=True),
        sa.Column('icpc_not_required', sa.Boolean(), nullable=False),
        sa.Column('icpc_not_required_reason', sa.String(), nullable=True),
        sa.Column('completed_on', sa.Date(), nullable=True),
        sa.Column('outcome', sa.String(20), nullable=True),
    )
    op.create_index('ix_section47_enquiry_record_id', 'section47_enquiry', ['record_id'])
    op.create_index('ix_section47_enquiry_export', 'section47_enquiry',
                    ['start_on', 'person_key', 'record_id', 'position'])
    op.create_index('ix_section47_enquiry_open', 'section47_enquiry', ['start_on', 'record_id'],
                    postgresql_where=sa.text('completed_on IS NULL'),
                    sqlite_where=sa.text('completed_on IS NULL'))


def downgrade() -> None:
    op.drop_table('section47_enquiry')
    op.drop_table('child_identifier')
