"""Sign-in at the council's identity provider, request ids in the audit log, and the delivery
worker's heartbeat

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 19:45:00

New columns (all nullable) and two new tables: nothing to carry over. Self-contained: nothing
from app/.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('app_user', sa.Column('oidc_issuer', sqlmodel.sql.sqltypes.AutoString(length=300),
                                        nullable=True))
    op.add_column('app_user', sa.Column('oidc_subject', sqlmodel.sql.sqltypes.AutoString(length=255),
                                        nullable=True))
    op.create_index('ix_app_user_oidc', 'app_user', ['oidc_issuer', 'oidc_subject'], unique=True)
    op.add_column('audit_event', sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64),
                                           nullable=True))
    op.create_index('ix_audit_event_request_id', 'audit_event', ['request_id'])
    op.create_table(
        'oidc_sign_in',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('state_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('code_verifier', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('next_url', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_oidc_sign_in_state_hash', 'oidc_sign_in', ['state_hash'], unique=True)
    op.create_index('ix_oidc_sign_in_created_at', 'oidc_sign_in', ['created_at'])
    op.create_table(
        'worker_heartbeat',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('beat_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('worker_heartbeat')
    op.drop_index('ix_oidc_sign_in_created_at', table_name='oidc_sign_in')
    op.drop_index('ix_oidc_sign_in_state_hash', table_name='oidc_sign_in')
    op.drop_table('oidc_sign_in')
    op.drop_index('ix_audit_event_request_id', table_name='audit_event')
    op.drop_index('ix_app_user_oidc', table_name='app_user')
    # SQLite drops an unindexed column in place (no table rebuild, which would rewrite the
    # older migrations' foreign keys).
    op.drop_column('audit_event', 'request_id')
    op.drop_column('app_user', 'oidc_subject')
    op.drop_column('app_user', 'oidc_issuer')
