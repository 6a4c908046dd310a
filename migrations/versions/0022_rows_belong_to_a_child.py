"""Every injury on the body map and every image belongs to a child; passages for one child's copy

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 20:15:00

An injury (and images taken) of a record with one child is that child's. An injury of a record with two or more
children is left without a child: nothing in it says whose it is, so the rule
children.rows-belong asks the author to choose, never a guess. Only the live records change:
a version already sent never changes, and reading one fills in its only child the same way.

A convened request's requester is kept on its record (requester_id), to be told when it is
sent. Downgrading removes each injury's child, whom the images are of, and the passages written for one child's copy (the
earlier code has no place for them). Set-based SQL on both databases; nothing from app/.
"""

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

POSTGRES_UP = """
UPDATE strategy_record SET data = jsonb_set(data, '{injuries}', (
    SELECT jsonb_agg(CASE WHEN coalesce(injury ->> 'child_key', '') = ''
                          THEN injury || jsonb_build_object('child_key', data #> '{children,0,key}')
                          ELSE injury END ORDER BY n)
    FROM jsonb_array_elements(data -> 'injuries') WITH ORDINALITY AS rows(injury, n)))
WHERE CASE WHEN jsonb_typeof(data -> 'children') = 'array'
           THEN jsonb_array_length(data -> 'children') END = 1
  AND CASE WHEN jsonb_typeof(data -> 'injuries') = 'array'
           THEN jsonb_array_length(data -> 'injuries') END > 0
  AND jsonb_typeof(data #> '{children,0,key}') = 'string'
"""
POSTGRES_IMAGES_UP = """
UPDATE strategy_record
SET data = jsonb_set(data, '{grounds,images_of}', jsonb_build_array(data #> '{children,0,key}'))
WHERE CASE WHEN jsonb_typeof(data -> 'children') = 'array'
           THEN jsonb_array_length(data -> 'children') END = 1
  AND jsonb_typeof(data -> 'grounds') = 'object' AND data #>> '{grounds,images_taken}' = 'yes'
  AND jsonb_typeof(data #> '{children,0,key}') = 'string'
"""
SQLITE_IMAGES_UP = """
UPDATE strategy_record
SET data = json_set(data, '$.grounds.images_of', json_array(json_extract(data, '$.children[0].key')))
WHERE json_type(data, '$.children') = 'array' AND json_array_length(data, '$.children') = 1
  AND json_type(data, '$.grounds') = 'object' AND json_extract(data, '$.grounds.images_taken') = 'yes'
  AND json_type(data, '$.children[0].key') = 'text'
"""
SQLITE_UP = """
UPDATE strategy_record SET data = json_set(data, '$.injuries', json((
    SELECT json_group_array(CASE WHEN coalesce(json_extract(value, '$.child_key'), '') = ''
        THEN json_set(value, '$.child_key', json_extract(strategy_record.data, '$.children[0].key'))
        ELSE json(value) END)
    FROM json_each(strategy_record.data, '$.injuries'))))
WHERE json_type(data, '$.children') = 'array' AND json_array_length(data, '$.children') = 1
  AND json_type(data, '$.injuries') = 'array' AND json_array_length(data, '$.injuries') > 0
  AND json_type(data, '$.children[0].key') = 'text'
"""

POSTGRES_DOWN = ("""
UPDATE {table} SET data = data - 'child_passages' WHERE data ? 'child_passages'
""", """
UPDATE {table} SET data = data #- '{{grounds,images_of}}' WHERE data -> 'grounds' ? 'images_of'
""", """
UPDATE {table} SET data = jsonb_set(data, '{{injuries}}', (
    SELECT jsonb_agg(injury - 'child_key' ORDER BY n)
    FROM jsonb_array_elements(data -> 'injuries') WITH ORDINALITY AS rows(injury, n)))
WHERE CASE WHEN jsonb_typeof(data -> 'injuries') = 'array'
           THEN jsonb_array_length(data -> 'injuries') END > 0
""")
SQLITE_DOWN = ("""
UPDATE {table} SET data = json_remove(data, '$.child_passages')
WHERE json_type(data, '$.child_passages') IS NOT NULL
""", """
UPDATE {table} SET data = json_remove(data, '$.grounds.images_of')
WHERE json_type(data, '$.grounds.images_of') IS NOT NULL
""", """
UPDATE {table} SET data = json_set(data, '$.injuries', json((
    SELECT json_group_array(json_remove(value, '$.child_key'))
    FROM json_each({table}.data, '$.injuries'))))
WHERE json_type(data, '$.injuries') = 'array' AND json_array_length(data, '$.injuries') > 0
""")


def _postgres() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def upgrade() -> None:
    # Whoever requested a convened discussion: told when the record is sent to them.
    # A plain ADD COLUMN: SQLite must not copy strategy_record (its indexes, its references).
    if not _postgres():  # SQLite's ALTER takes a reference only written inline
        op.execute("ALTER TABLE strategy_record ADD COLUMN requester_id INTEGER "
                   "REFERENCES app_user (id)")
    else:
        op.add_column('strategy_record', sa.Column('requester_id', sa.Integer(),
                                                   sa.ForeignKey('app_user.id'), nullable=True))
    if _postgres():  # one join: a subquery a record read every request each time (quadratic)
        op.execute("UPDATE strategy_record SET requester_id = strategy_request.created_by_id "
                   "FROM strategy_request WHERE strategy_request.record_id = strategy_record.id")
    else:
        op.execute("UPDATE strategy_record SET requester_id = (SELECT created_by_id FROM "
                   "strategy_request WHERE strategy_request.record_id = strategy_record.id)")
    op.execute(POSTGRES_UP if _postgres() else SQLITE_UP)
    op.execute(POSTGRES_IMAGES_UP if _postgres() else SQLITE_IMAGES_UP)


def downgrade() -> None:
    op.drop_column('strategy_record', 'requester_id')
    for table in ('strategy_record', 'record_version'):
        for statement in POSTGRES_DOWN if _postgres() else SQLITE_DOWN:
            op.execute(statement.format(table=table))
