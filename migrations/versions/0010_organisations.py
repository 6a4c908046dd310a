"""Partner organisations: the directory, and everything sent by agency type moved onto it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 17:00:00

Access for partners was decided by agency type (every school read what was sent to
"school"). Now a record is sent to organisations, and a partner reads what was sent to theirs.
Existing data is carried over without losing anything sent: one organisation per agency type
in use (named as the type was shown), partner users, the distribution of every record and
version, receipts and notifications mapped to it. Children's social care, if it was on a
distribution list, becomes an inactive organisation: never offered again, nothing lost.

Frozen: everything this migration needs is in this file, so it behaves the same forever.
Documents are rewritten in batches of BATCH rows (linear in the number of records).
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BATCH = 1000
# Agency types as they were shown when this migration was written (choices.Agency).
LABELS = {
    'csc': "Children's social care", 'police': 'Police', 'gp': 'GP',
    'health_visiting': 'Health visiting', 'midwifery': 'Midwifery',
    'hospital': 'Hospital or paediatrics', 'school_nursing': 'School nursing',
    'camhs': 'Child and adolescent mental health (CAMHS)',
    'health_safeguarding': 'Health safeguarding team', 'school': 'School or college',
    'early_years': 'Nursery or early years', 'probation': 'Probation', 'housing': 'Housing',
    'adult_social_care': 'Adult social care', 'substance_misuse': 'Drug and alcohol service',
    'youth_justice': 'Youth justice', 'other': 'Other agency',
}

organisation = sa.table(
    'organisation', sa.column('id', sa.Integer), sa.column('name', sa.String),
    sa.column('agency', sa.String), sa.column('email', sa.String),
    sa.column('active', sa.Boolean), sa.column('created_at', sa.DateTime))


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        'organisation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', _string(200), nullable=False),
        sa.Column('agency', _string(40), nullable=False),
        sa.Column('email', _string(320), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_organisation_agency', 'organisation', ['agency'])

    ids = _organisations_for_agencies_in_use(bind)

    # A plain ADD COLUMN: app_user is referenced by other tables, so SQLite must not copy it.
    if bind.dialect.name == 'sqlite':  # its ALTER takes a reference only written inline
        bind.execute(sa.text("ALTER TABLE app_user ADD COLUMN organisation_id INTEGER "
                             "REFERENCES organisation (id)"))
    else:
        op.add_column('app_user', sa.Column('organisation_id', sa.Integer(),
                                            sa.ForeignKey('organisation.id'), nullable=True))
    op.create_index('ix_app_user_organisation_id', 'app_user', ['organisation_id'])
    for agency, org_id in ids.items():
        bind.execute(sa.text("UPDATE app_user SET organisation_id = :org "
                             "WHERE role = 'partner' AND agency = :agency"),
                     {"org": org_id, "agency": agency})

    _distribution(bind, ids)
    _receipts(bind, ids)
    _notifications(bind, ids)
    for table in ('strategy_record', 'record_version'):
        _rewrite_documents(bind, table, ids)


def _organisations_for_agencies_in_use(bind) -> dict[str, int]:
    used: set[str] = set()
    for query in ("SELECT DISTINCT agency FROM app_user WHERE role = 'partner' AND agency IS NOT NULL",
                  "SELECT DISTINCT agency FROM record_distribution",
                  "SELECT DISTINCT agency FROM record_receipt",
                  "SELECT DISTINCT agency FROM notification"):
        used |= {row[0] for row in bind.execute(sa.text(query))}
    for table in ('strategy_record', 'record_version'):
        for data in _documents(bind, table, distribution_only=True):
            used |= {a for a in data if isinstance(a, str)}
    now = datetime.now(UTC)
    ids = {}
    for agency in sorted(used):
        bind.execute(organisation.insert().values(
            name=LABELS.get(agency, agency), agency=agency if agency in LABELS else 'other',
            email=None, active=agency != 'csc', created_at=now))
        ids[agency] = bind.execute(sa.select(organisation.c.id).where(
            organisation.c.name == LABELS.get(agency, agency))).scalar_one()
    return ids


def _documents(bind, table: str, distribution_only: bool = False):
    last = 0
    while True:
        rows = bind.execute(sa.text(f"SELECT id, data FROM {table} WHERE id > :last "
                                    f"ORDER BY id LIMIT {BATCH}"), {"last": last}).all()
        if not rows:
            return
        for row_id, data in rows:
            data = json.loads(data) if isinstance(data, str) else data
            distribution = data.get('distribution') if isinstance(data, dict) else None
            yield (distribution or []) if distribution_only else (row_id, data)
        last = rows[-1][0]


def _rewrite_documents(bind, table: str, ids: dict[str, int]) -> None:
    """Each document's distribution, from agency types to organisations (named as stored)."""
    pending = []
    for row_id, data in _documents(bind, table):
        if not isinstance(data, dict) or not isinstance(data.get('distribution'), list):
            continue
        if all(isinstance(item, dict) for item in data['distribution']):
            continue  # already organisations
        data['distribution'] = [
            {'organisation_id': ids[a], 'agency': a if a in LABELS else 'other',
             'name': LABELS.get(a, a)}
            if isinstance(a, str) and a in ids else a for a in data['distribution']]
        pending.append({'row_id': row_id, 'data': json.dumps(data)})
        if len(pending) >= BATCH:
            _store(bind, table, pending)
            pending = []
    _store(bind, table, pending)


def _store(bind, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    cast = 'CAST(:data AS JSONB)' if bind.dialect.name == 'postgresql' else ':data'
    bind.execute(sa.text(f"UPDATE {table} SET data = {cast} WHERE id = :row_id"), rows)


def _distribution(bind, ids: dict[str, int]) -> None:
    op.create_table(
        'record_distribution_new',
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('agency', _string(40), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['strategy_record.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('record_id', 'organisation_id'),
    )
    for agency, org_id in ids.items():
        bind.execute(sa.text(
            "INSERT INTO record_distribution_new (record_id, organisation_id, agency) "
            "SELECT record_id, :org, :kind FROM record_distribution WHERE agency = :agency"),
            {"org": org_id, "agency": agency, "kind": agency if agency in LABELS else 'other'})
    op.drop_index('ix_record_distribution_agency', table_name='record_distribution')
    op.drop_table('record_distribution')
    op.rename_table('record_distribution_new', 'record_distribution')
    op.create_index('ix_record_distribution_organisation_id', 'record_distribution',
                    ['organisation_id'])


def _record_id() -> sa.Column:
    return sa.Column('record_id', sa.Integer(),
                     sa.ForeignKey('strategy_record.id', ondelete='CASCADE'), nullable=False)


def _copy(bind, old: str, new: str, columns: list[str], ids: dict[str, int]) -> None:
    """A table rebuilt as `new` with its rows and their organisation (set-based, one INSERT);
    the old one dropped and the new one renamed. Neither table is referenced by another, so
    this is safe on SQLite, whose ALTER TABLE cannot change constraints."""
    if ids:
        cases = " ".join(f"WHEN '{a}' THEN {org}" for a, org in ids.items()
                         if a.isidentifier() or a.replace('_', '').isalnum())
        listed = ", ".join(columns)
        bind.execute(sa.text(f"INSERT INTO {new} ({listed}, organisation_id) "
                             f"SELECT {listed}, CASE agency {cases} END FROM {old}"))
    op.drop_table(old)
    op.rename_table(new, old)


def _receipts(bind, ids: dict[str, int]) -> None:
    op.create_table(
        'record_receipt_new',
        sa.Column('id', sa.Integer(), nullable=False),
        _record_id(),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisation.id'),
                  nullable=False),
        sa.Column('agency', _string(40), nullable=False),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('first_opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('first_downloaded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('discussion_on', sa.Date(), nullable=True),
        sa.Column('withdrawn_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('withdrawn_by_id', sa.Integer(), sa.ForeignKey('app_user.id'), nullable=True),
        sa.Column('withdrawn_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('record_id', 'version', 'organisation_id'),
    )
    _copy(bind, 'record_receipt', 'record_receipt_new',
          ['id', 'record_id', 'version', 'agency', 'sent_at', 'first_opened_at',
           'first_downloaded_at', 'discussion_on'], ids)
    op.create_index('ix_record_receipt_organisation', 'record_receipt',
                    ['organisation_id', 'record_id', 'version'])
    op.create_index('ix_record_receipt_agency_opened', 'record_receipt',
                    ['agency', 'first_opened_at'])
    op.create_index('ix_record_receipt_discussion', 'record_receipt', ['discussion_on'],
                    postgresql_include=['record_id', 'version', 'agency', 'first_opened_at',
                                        'sent_at'])
    _restart_ids(bind, 'record_receipt')


def _notifications(bind, ids: dict[str, int]) -> None:
    op.create_table(
        'notification_new',
        sa.Column('id', sa.Integer(), nullable=False),
        _record_id(),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisation.id'),
                  nullable=False),
        sa.Column('agency', _string(40), nullable=False),
        sa.Column('kind', _string(20), nullable=False),
        sa.Column('recipient_id', sa.Integer(), sa.ForeignKey('app_user.id'), nullable=True),
        sa.Column('email', _string(320), nullable=False),
        sa.Column('status', _string(20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    _copy(bind, 'notification', 'notification_new',
          ['id', 'record_id', 'version', 'agency', 'kind', 'recipient_id', 'email', 'status',
           'attempts', 'next_attempt_at', 'claimed_at', 'last_error', 'sent_at', 'created_at'],
          ids)
    op.create_index('ix_notification_status_due', 'notification', ['status', 'next_attempt_at'])
    op.create_index('ix_notification_record', 'notification', ['record_id', 'version'])
    op.create_index('ix_notification_organisation_id', 'notification', ['organisation_id'])
    _restart_ids(bind, 'notification')


def _restart_ids(bind, table: str) -> None:
    """Rows were copied with their ids: on PostgreSQL the new table's sequence starts after them."""
    if bind.dialect.name == 'postgresql':
        bind.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))


def downgrade() -> None:
    """Back to agency types in the tables: each organisation's rows fold into its kind."""
    bind = op.get_bind()
    with op.batch_alter_table('notification', recreate='auto') as batch:
        batch.drop_index('ix_notification_organisation_id')
        batch.drop_column('organisation_id')
        batch.alter_column('recipient_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('record_receipt', recreate='auto') as batch:
        batch.drop_index('ix_record_receipt_organisation')
        for column in ('withdrawn_reason', 'withdrawn_by_id', 'withdrawn_at', 'organisation_id'):
            batch.drop_column(column)
    op.drop_index('ix_record_distribution_organisation_id', table_name='record_distribution')
    op.create_table(
        'record_distribution_old',
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('agency', _string(40), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['strategy_record.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('record_id', 'agency'),
    )
    bind.execute(sa.text("INSERT INTO record_distribution_old (record_id, agency) "
                         "SELECT DISTINCT record_id, agency FROM record_distribution"))
    op.drop_table('record_distribution')
    op.rename_table('record_distribution_old', 'record_distribution')
    op.create_index('ix_record_distribution_agency', 'record_distribution', ['agency'])
    # The documents keep naming organisations (each recipient also carries its kind of
    # agency): the backfills of 0006 and 0009 read documents through today's schema, so a
    # database taken back and brought forward again reads the same.
    op.drop_index('ix_app_user_organisation_id', table_name='app_user')
    op.drop_column('app_user', 'organisation_id')
    op.drop_index('ix_organisation_agency', table_name='organisation')
    op.drop_table('organisation')
