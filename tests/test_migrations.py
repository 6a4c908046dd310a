"""Migrations: one head, upgrade from empty, downgrade and upgrade again, models match."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel, select

import app.models  # noqa: F401  (registers every table)
from app import db, migrate
from app.config import get_settings
from app.domain.schema import StrategyRecordData
from app.rules.completeness import Severity, evaluate
from tests.shared_helpers import as_of_0015


def test_one_head():
    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _differences(url: str) -> list:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def test_upgrade_from_empty_creates_every_table(empty_database):
    migrate.upgrade(empty_database)
    assert _tables(empty_database) == set(SQLModel.metadata.tables)


def test_downgrade_then_upgrade(empty_database):
    migrate.upgrade(empty_database)
    migrate.downgrade(empty_database, "base")
    assert _tables(empty_database) == set()
    migrate.upgrade(empty_database)
    assert _tables(empty_database) == set(SQLModel.metadata.tables)


def test_models_match_migrations(empty_database):
    migrate.upgrade(empty_database)
    assert _differences(empty_database) == []


def test_0010_carries_what_was_sent_by_agency_type_over_to_organisations(empty_database):
    """From the previous head: partner users, every record's and version's distribution,
    receipts and notifications move onto one organisation per agency type in use, and what a
    partner could read before they can still read."""
    import json

    from app.visibility import record_filter, sight

    migrate.upgrade(empty_database, "0009")
    engine = db.make_engine(empty_database)
    document = {"header": {"chair": "Jo"}, "distribution": ["csc", "police", "school"]}
    now = "2026-11-30 10:00:00"
    with engine.begin() as c:
        for user_id, name, role, agency in ((1, "pc", "partner", "police"),
                                            (2, "head", "partner", "school"),
                                            (3, "sam", "social_worker", None)):
            c.execute(text("INSERT INTO app_user (id, username, display_name, role, agency, "
                           "password_hash, is_active, created_at) VALUES (:id, :name, :name, "
                           ":role, :agency, 'x', true, :now)"),
                      {"id": user_id, "name": name, "role": role, "agency": agency, "now": now})
        c.execute(text(
            "INSERT INTO strategy_record (id, reference, status, version, revision, data, team, "
            "created_at, updated_at, sort_at, children_names, search_text, blocking_failures, "
            "warnings, damaged, referrer_feedback_due, latest_final_version) VALUES (1, 'SR-2026-00001', 'finalised', "
            "1, 2, :data, 'Central', :now, :now, :wall, '[]', 'sr-2026-00001', 0, 0, false, false, 1)"),
            {"data": json.dumps(document), "now": now, "wall": now})
        c.execute(text("INSERT INTO record_version (record_id, version, data, finalised_at) "
                       "VALUES (1, 1, :data, :now)"), {"data": json.dumps(document), "now": now})
        for agency in ("csc", "police", "school"):
            c.execute(text("INSERT INTO record_distribution (record_id, agency) VALUES (1, :a)"),
                      {"a": agency})
            c.execute(text("INSERT INTO record_receipt (record_id, version, agency, sent_at, "
                           "first_opened_at) VALUES (1, 1, :a, :now, :opened)"),
                      {"a": agency, "now": now, "opened": now if agency == "police" else None})
        c.execute(text("INSERT INTO notification (record_id, version, agency, kind, recipient_id, "
                       "email, status, attempts, next_attempt_at, created_at) VALUES (1, 1, "
                       "'police', 'sent', 1, 'pc@police.example', 'sent', 1, :now, :now)"),
                  {"now": now})
    engine.dispose()

    migrate.upgrade(empty_database)
    engine = db.make_engine(empty_database)
    try:
        with engine.connect() as c:
            orgs = {agency: (org_id, name, active) for org_id, name, agency, active in c.execute(
                text("SELECT id, name, agency, active FROM organisation"))}
            assert {a: (n, act) for a, (_, n, act) in orgs.items()} == {
                "csc": ("Children's social care", False), "police": ("Police", True),
                "school": ("School or college", True)}
            users = dict(c.execute(text("SELECT username, organisation_id FROM app_user")).all())
            assert users == {"pc": orgs["police"][0], "head": orgs["school"][0], "sam": None}
            receipts = {row[0]: row[1:] for row in c.execute(text(
                "SELECT agency, organisation_id, first_opened_at IS NOT NULL FROM record_receipt"))}
            assert receipts == {a: (orgs[a][0], a == "police") for a in ("csc", "police", "school")}
            assert c.execute(text("SELECT organisation_id, recipient_id FROM notification")).one() \
                == (orgs["police"][0], 1)
            assert set(c.execute(text(
                "SELECT organisation_id FROM record_distribution")).scalars()) == {
                orgs[a][0] for a in ("csc", "police", "school")}
            for table in ("strategy_record", "record_version"):
                data = c.execute(text(f"SELECT data FROM {table}")).scalar_one()
                data = json.loads(data) if isinstance(data, str) else data
                assert data["distribution"] == [
                    {"organisation_id": orgs[a][0], "agency": a, "name": orgs[a][1]}
                    for a in ("csc", "police", "school")]
        from sqlmodel import Session as ModelSession

        from app.auth.models import User
        from app.records.models import StrategyRecord
        with ModelSession(engine) as session:
            for username in ("pc", "head"):  # what each could read before, they still can
                user = session.exec(select(User).where(User.username == username)).one()
                assert sight(session, user, 1).versions == (1,)
                assert session.exec(select(StrategyRecord.id).where(record_filter(user))).all() \
                    == [1]
    finally:
        engine.dispose()


def test_0012_corrects_amendment_entries_written_one_version_too_high(empty_database):
    """Before the fix, amending version 1 wrote "version 3, amending version 2". Upgrading
    corrects such entries (their `amends` was not yet finalised) and leaves right ones alone."""
    import json

    migrate.upgrade(empty_database, "0011")
    engine = db.make_engine(empty_database)
    document = {"header": {"chair": "Jo"}}
    with engine.begin() as c:
        c.execute(text(
            "INSERT INTO strategy_record (id, reference, status, version, revision, data, team, "
            "created_at, updated_at, sort_at, children_names, search_text, blocking_failures, "
            "warnings, damaged, referrer_feedback_due, latest_final_version) VALUES (1, "
            "'SR-2026-00001', 'draft', 3, 5, :data, 'Central', :now, :now, :wall, '[]', "
            "'sr-2026-00001', 0, 0, false, false, 2)"),
            {"data": json.dumps(document), "now": "2026-11-30 09:00:00",
             "wall": "2026-11-30 09:00:00"})
        entries = [("finalised", 1, "10:00", {}),
                   ("amended", 3, "11:00", {"amends": 2, "reason": "wrong"}),  # the mistake
                   ("finalised", 2, "12:00", {}),
                   ("amended", 3, "13:00", {"amends": 2, "reason": "right"})]
        for kind, version, at, details in entries:
            c.execute(text("INSERT INTO followup_entry (record_id, version, kind, at, by_name, "
                           "details) VALUES (1, :v, :kind, :at, 'Sam', :details)"),
                      {"v": version, "kind": kind, "at": f"2026-11-30 {at}:00",
                       "details": json.dumps(details)})
    engine.dispose()
    migrate.upgrade(empty_database)
    engine = db.make_engine(empty_database)
    try:
        with engine.connect() as c:
            amended = [(v, json.loads(d) if isinstance(d, str) else d) for v, d in c.execute(text(
                "SELECT version, details FROM followup_entry WHERE kind = 'amended' ORDER BY at"))]
    finally:
        engine.dispose()
    assert amended == [(2, {"amends": 1, "reason": "wrong"}), (3, {"amends": 2, "reason": "right"})]


def test_0028_marks_the_actions_and_receipts_of_each_version_in_force(empty_database):
    """A record amended once (version 2 in force) and one never finalised: only version 2's
    action and receipt are marked in force."""
    import json

    migrate.upgrade(empty_database, "0027")
    engine = db.make_engine(empty_database)
    with engine.begin() as c:
        for record_id, status, version, latest in ((1, "finalised", 2, 2), (2, "draft", 1, None)):
            c.execute(text(
                "INSERT INTO strategy_record (id, reference, status, version, revision, data, "
                "team, created_at, updated_at, sort_at, children_names, search_text, "
                "blocking_failures, warnings, damaged, referrer_feedback_due, "
                "latest_final_version, projected_with) VALUES (:id, :ref, :status, :version, 1, "
                ":data, 'Central', :at, :at, '2026-11-30 09:00:00', '[]', '', 0, 0, false, false, "
                ":latest, 4)"),
                {"id": record_id, "ref": f"SR-2026-0000{record_id}", "status": status,
                 "version": version, "latest": latest, "data": json.dumps({}),
                 "at": "2026-11-30 09:00:00"})
        c.execute(text("INSERT INTO organisation (id, name, agency, active, created_at) VALUES "
                       "(1, 'Police', 'police', true, '2026-11-30 09:00:00')"))
        for record_id, version in ((1, 1), (1, 2), (2, 1)):
            c.execute(text(
                "INSERT INTO tracked_action (record_id, version, position, kind, description, "
                "status) VALUES (:r, :v, 0, 'task', 'Visit', 'open')"), {"r": record_id, "v": version})
            c.execute(text(
                "INSERT INTO record_receipt (record_id, version, organisation_id, agency, "
                "sent_at) VALUES (:r, :v, 1, 'police', '2026-11-30 10:00:00')"),
                {"r": record_id, "v": version})
    engine.dispose()
    migrate.upgrade(empty_database)
    engine = db.make_engine(empty_database)
    try:
        with engine.connect() as c:
            flags = {table: sorted((r, v, bool(f)) for r, v, f in c.execute(text(
                f"SELECT record_id, version, in_force FROM {table}")))
                for table in ("tracked_action", "record_receipt")}
    finally:
        engine.dispose()
    expected = [(1, 1, False), (1, 2, True), (2, 1, False)]
    assert flags == {"tracked_action": expected, "record_receipt": expected}


def _revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def _shape(url: str) -> dict[str, set[str]]:
    """Each table's columns."""
    engine = db.make_engine(url)
    try:
        found = inspect(engine)
        return {table: {c["name"] for c in found.get_columns(table)}
                for table in found.get_table_names() if table != "alembic_version"}
    finally:
        engine.dispose()


def _one_finalised_record(url: str) -> dict:
    """A finalised record, sent to nobody yet, so each migration that fills columns from stored
    documents has one to fill. (A document naming agency types, as documents did before 0010,
    fails today's schema, which 0006 reads it by: tests/test_read_model.py covers 0004 with one.)"""
    import json

    from tests.builders import complete_record

    document = as_of_0015({**complete_record(), "distribution": []})
    engine = db.make_engine(url)
    try:
        with engine.begin() as c:
            c.execute(text(
                "INSERT INTO strategy_record (id, reference, status, version, revision, data, team, "
                "created_at, updated_at, finalised_at) VALUES (1, 'SR-2026-00001', 'finalised', 1, "
                "2, :data, 'Central', :at, :at, :at)"),
                {"data": json.dumps(document), "at": "2026-01-05 09:00:00"})
    finally:
        engine.dispose()
    return document


def test_every_migration_runs_from_the_previous_revision_and_back(empty_database):
    """Each revision in turn from the one before it (the first from empty): upgrade,
    downgrade to the one before, upgrade again; the second upgrade leaves the tables as the
    first did."""
    previous = "base"
    for revision in _revisions():
        migrate.upgrade(empty_database, revision)
        shape = _shape(empty_database)
        migrate.downgrade(empty_database, previous)
        migrate.upgrade(empty_database, revision)
        assert _shape(empty_database) == shape, revision
        previous = revision
    assert set(_shape(empty_database)) == set(SQLModel.metadata.tables)


def test_every_migration_runs_from_the_previous_revision_with_a_record_stored(empty_database):
    """Each revision in turn from the one before it, with a finalised record stored from 0003
    on, so each migration that fills columns from stored documents (0004, 0006, 0009, 0010)
    has one to fill; then the head re-projects it and matches the models."""
    for revision in _revisions():
        migrate.upgrade(empty_database, revision)
        if revision == "0003":
            document = _one_finalised_record(empty_database)
    migrate.upgrade(empty_database)
    assert _differences(empty_database) == []
    engine = db.make_engine(empty_database)
    try:
        with engine.connect() as c:
            blocking, damaged, latest = c.execute(text(
                "SELECT blocking_failures, damaged, latest_final_version FROM strategy_record")).one()
            # Judged by today's rules: sent to nobody, and whatever a later rule asks of it.
            data = StrategyRecordData.model_validate(document, context={"stored": True})
            expected = sum(len(r.failures) for r in evaluate(data, get_settings())
                           if r.rule.severity == Severity.BLOCKING)
            assert expected >= 1
            assert (blocking, bool(damaged), latest) == (expected, False, 1)
            assert c.execute(text("SELECT count(*) FROM record_version")).scalar_one() == 1
            assert c.execute(text("SELECT count(*) FROM record_measure")).scalar_one() == 1
    finally:
        engine.dispose()


def test_no_migration_imports_the_application():
    """A migration carries the code it needs (migrations/frozen), so it behaves the same
    however the application changes."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "migrations"
    found = []
    for path in [*root.glob("versions/*.py"), *root.glob("frozen/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            found += [f"{path.name}: {n}" for n in names if n == "app" or n.startswith("app.")]
    assert found == []


def test_a_migration_is_not_held_to_the_services_statement_limit(empty_database, monkeypatch):
    """A migration rewriting every row takes minutes at 100,000 records: PostgreSQL runs it
    with an hour's limit, not DATABASE_STATEMENT_TIMEOUT_SECONDS (15 s), which cancelled it."""
    import alembic.op

    migrate.upgrade(empty_database, "0023")
    limits, create_index = [], alembic.op.create_index

    def noting_the_limit(*args, **kwargs):
        bind = alembic.op.get_bind()
        if bind.dialect.name == "postgresql":
            limits.append(bind.exec_driver_sql("SHOW statement_timeout").scalar())
        return create_index(*args, **kwargs)

    monkeypatch.setattr(alembic.op, "create_index", noting_the_limit)
    migrate.upgrade(empty_database, "0024")  # creates one index
    if empty_database.startswith("postgresql"):
        assert limits == ["1h"]
        engine = db.make_engine(empty_database)  # the service's own connections keep theirs
        try:
            with engine.connect() as connection:
                assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == (
                    f"{round(get_settings().database_statement_timeout_seconds)}s")
        finally:
            engine.dispose()
    else:
        assert limits == []  # SQLite has no statement limit


def _insert(connection, table: str, values: dict) -> None:
    """A row with `values` and a placeholder for every other column that must have one."""
    dummy = {"INTEGER": 0, "BOOLEAN": False, "DATE": "2026-01-05", "DATETIME": "2026-01-05 09:00:00",
             "TIMESTAMP": "2026-01-05 09:00:00", "JSON": "{}", "JSONB": "{}"}
    row = dict(values)
    for column in inspect(connection).get_columns(table):
        if column["name"] in row or column["nullable"] or column.get("default") is not None \
                or column.get("autoincrement") is True:
            continue
        kind = str(column["type"]).split("(")[0].split()[0].upper()
        row[column["name"]] = dummy.get(kind, f"x{column['name']}")
    names = ", ".join(row)
    connection.execute(text(f"INSERT INTO {table} ({names}) VALUES "
                            f"({', '.join(':' + n for n in row)})"), row)


def test_0022_gives_each_convened_record_its_requester(empty_database):
    """A convened request's requester is kept on its record; a record no request asked for
    has none. (On PostgreSQL a join since the subquery a record, which read every request for
    each of 100,000 records, ran for over 25 minutes: the answer must not change.)"""
    migrate.upgrade(empty_database, "0021")
    engine = db.make_engine(empty_database)
    try:
        with engine.begin() as c:
            for user in (7, 8):
                _insert(c, "app_user", {"id": user, "username": f"u{user}", "role": "partner"})
            for record in (1, 2, 3):
                _insert(c, "strategy_record", {"id": record, "reference": f"SR-2026-0000{record}",
                                               "status": "draft", "version": 1, "data": "{}"})
            _insert(c, "strategy_request", {"id": 1, "created_by_id": 8, "record_id": 2,
                                            "status": "convened", "data": "{}"})
            _insert(c, "strategy_request", {"id": 2, "created_by_id": 7, "record_id": None,
                                            "status": "awaiting", "data": "{}"})
    finally:
        engine.dispose()
    migrate.upgrade(empty_database, "0022")
    engine = db.make_engine(empty_database)
    try:
        with engine.connect() as c:
            assert c.execute(text("SELECT id, requester_id FROM strategy_record ORDER BY id")
                             ).all() == [(1, None), (2, 8), (3, None)]
    finally:
        engine.dispose()
