"""The read model: list and access columns, record_distribution, JSONB documents

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:10:00

Adds the columns lists, queues and access checks filter and sort on, the
record_distribution join table and their indexes, turns the document column into JSONB
on PostgreSQL, and fills all of it for existing records with the service's
`derived_columns` as frozen in migrations/frozen/v0015 (a record whose document no longer
validates is flagged as damaged).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN, also on SQLite: a batch "recreate" would drop the old
    # table, which stored PDFs refer to.
    op.add_column('strategy_record', sa.Column('led_by', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column('strategy_record', sa.Column('discussion_at', sa.DateTime(), nullable=True))
    # Filled below; the placeholder only exists so the column can be NOT NULL at once.
    op.add_column('strategy_record', sa.Column('sort_at', sa.DateTime(), nullable=False,
                  server_default='2000-01-01 00:00:00'))
    op.add_column('strategy_record', sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
    op.add_column('strategy_record', sa.Column('children_names', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('strategy_record', sa.Column('search_text', sa.Text(), nullable=False, server_default=''))
    op.add_column('strategy_record', sa.Column('blocking_failures', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('strategy_record', sa.Column('warnings', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('strategy_record', sa.Column('next_due', sa.Date(), nullable=True))
    op.add_column('strategy_record', sa.Column('damaged', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('strategy_record', sa.Column('damage_reason', sa.Text(), nullable=True))

    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('strategy_record', 'data', type_=postgresql.JSONB(),
                        existing_type=sa.JSON(), postgresql_using='data::jsonb')

    if op.get_bind().dialect.name == 'postgresql':
        # Not on SQLite: there it would copy and drop strategy_record, which its stored PDFs
        # (and record_distribution) refer to. The placeholders are harmless: every insert
        # sets these columns.
        for name in ('sort_at', 'children_names', 'search_text', 'blocking_failures',
                     'warnings', 'damaged'):
            op.alter_column('strategy_record', name, server_default=None)

    with op.batch_alter_table('strategy_record', schema=None) as batch_op:
        batch_op.create_index('ix_strategy_record_team_sort', ['team', 'sort_at', 'id'], unique=False)
        batch_op.create_index('ix_strategy_record_led_by_sort', ['led_by', 'sort_at', 'id'], unique=False)
        batch_op.create_index('ix_strategy_record_sort', ['sort_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_strategy_record_outcome'), ['outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_strategy_record_damaged'), ['damaged'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        # A trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index('ix_strategy_record_search', 'strategy_record', ['search_text'],
                    unique=False, postgresql_using='gin',
                    postgresql_ops={'search_text': 'gin_trgm_ops'})

    # A later migration that makes SQLite copy strategy_record (batch "recreate") would
    # cascade-delete these rows when it drops the old table: it must re-derive them.
    op.create_table('record_distribution',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['strategy_record.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_id', 'agency')
    )
    op.create_index(op.f('ix_record_distribution_agency'), 'record_distribution', ['agency'], unique=False)

    _backfill()


def _backfill() -> None:
    # The app's derivation as it was frozen (migrations/frozen/v0015), never the live one: what
    # this migration writes must not change when the application does.
    from pydantic import ValidationError

    from migrations.frozen.v0015.clock import uk_wall_clock
    from migrations.frozen.v0015.config import get_settings
    from migrations.frozen.v0015.derive import damage_reason, derived_columns
    from migrations.frozen.v0015.domain.schema import StrategyRecordData

    records = sa.table(
        'strategy_record', sa.column('id', sa.Integer), sa.column('reference', sa.String),
        sa.column('data', sa.JSON), sa.column('created_at', sa.DateTime),
        sa.column('sort_at', sa.DateTime), sa.column('damaged', sa.Boolean),
        sa.column('damage_reason', sa.Text), sa.column('led_by', sa.String),
        sa.column('discussion_at', sa.DateTime), sa.column('outcome', sa.String),
        sa.column('children_names', sa.JSON), sa.column('search_text', sa.Text),
        sa.column('blocking_failures', sa.Integer), sa.column('warnings', sa.Integer),
        sa.column('next_due', sa.Date),
    )
    distribution = sa.table('record_distribution', sa.column('record_id', sa.Integer),
                            sa.column('agency', sa.String))
    bind = op.get_bind()
    get_settings.cache_clear()  # the environment as it is now, not as a test left it
    settings = get_settings()
    rows = bind.execute(sa.select(records.c.id, records.c.reference, records.c.data,
                                  records.c.created_at)).all()
    for row in rows:
        # The distribution as it was at this revision (agency types): read here, never by
        # today's schema, which names organisations (0010 moves these rows onto them).
        raw = dict(row.data) if isinstance(row.data, dict) else {}
        listed = raw.get('distribution') or []
        agencies = list(dict.fromkeys(a for a in listed if isinstance(a, str)))
        # Stand-ins the rules can read (they ask only each recipient's kind of agency).
        raw['distribution'] = [{'organisation_id': n + 1, 'agency': a}
                               for n, a in enumerate(agencies)]
        try:
            data = StrategyRecordData.model_validate(raw, context={"stored": True})
        except ValidationError as error:
            values = {"damaged": True, "damage_reason": damage_reason(error),
                      "sort_at": uk_wall_clock(row.created_at),
                      "search_text": row.reference.lower()}
        else:
            # Only this revision's columns: later ones are derived when their migration runs.
            values = {k: v for k, v in derived_columns(row.reference, data, row.created_at,
                                                       settings).items() if k in records.c}
            if agencies:
                bind.execute(sa.insert(distribution),
                             [{"record_id": row.id, "agency": a} for a in agencies])
        bind.execute(sa.update(records).where(records.c.id == row.id).values(**values))


def downgrade() -> None:
    op.drop_index('ix_strategy_record_search', table_name='strategy_record')
    with op.batch_alter_table('strategy_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategy_record_damaged'))
        batch_op.drop_index(batch_op.f('ix_strategy_record_outcome'))
        batch_op.drop_index('ix_strategy_record_sort')
        batch_op.drop_index('ix_strategy_record_led_by_sort')
        batch_op.drop_index('ix_strategy_record_team_sort')

    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('strategy_record', 'data', type_=sa.JSON(),
                        existing_type=postgresql.JSONB(), postgresql_using='data::json')

    op.drop_index(op.f('ix_record_distribution_agency'), table_name='record_distribution')
    op.drop_table('record_distribution')

    with op.batch_alter_table('strategy_record', schema=None) as batch_op:
        for name in ('damage_reason', 'damaged', 'next_due', 'warnings', 'blocking_failures',
                     'search_text', 'children_names', 'outcome', 'sort_at', 'discussion_at',
                     'led_by'):
            batch_op.drop_column(name)
