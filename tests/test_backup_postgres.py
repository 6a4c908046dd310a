"""`python -m app backup` on PostgreSQL: pg_dump while the service runs, restored with
pg_restore into an empty database, holds every row, every record and every stored PDF."""

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from app import config, db, migrate
from app.__main__ import main
from app.backup import BackupRefused, backup
from app.demo import load_demo
from app.domain.choices import RecordStatus
from app.pdf import service as pdf_service
from app.pdf.models import RenderedPdf
from app.records.models import StrategyRecord
from tests.conftest import POSTGRES_URL, postgres_or_skip, use_database
from tests.shared_helpers import every_row


def _scratch(name: str) -> str:
    """A database beside the test one, named after it (test_x: x_backup_source)."""
    base = make_url(POSTGRES_URL)
    prefix = base.database.removeprefix("test_")
    return base.set(database=f"{prefix}_{name}").render_as_string(hide_password=False)


def _recreate(url: str, create: bool = True) -> None:
    name = make_url(url).database
    admin = db.make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


@pytest.fixture
def live_postgres():
    postgres_or_skip()
    previous = os.environ.get("DATABASE_URL")
    source, restored = _scratch("backup_source"), _scratch("backup_restored")
    _recreate(source)
    _recreate(restored)
    migrate.upgrade(source)
    use_database(source)
    load_demo()
    with Session(db.get_engine()) as session:
        record = session.exec(select(StrategyRecord).where(
            StrategyRecord.status == RecordStatus.FINALISED).order_by(StrategyRecord.id)).first()
        for child_key in (None, record.content.children[0].key):
            pdf_service.record_pdf(session, record, child_key)
    yield source, restored
    db.get_engine().dispose()
    if previous is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = previous
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    _recreate(source, create=False)
    _recreate(restored, create=False)


def test_a_postgresql_backup_restores_into_an_empty_database_with_every_record_and_pdf(
        live_postgres, tmp_path, capsys):
    source, restored = live_postgres
    target = tmp_path / "strategy.dump"
    main(["backup", str(target)])
    assert capsys.readouterr().out.strip() == f"Backed up the database to {target}."
    assert target.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    assert not target.with_name(target.name + ".partial").exists()

    url = make_url(restored)
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-h", url.host,
                    "-p", str(url.port or 5432), "-U", url.username, "-d", url.database,
                    str(target)], check=True, capture_output=True)
    rows = every_row(restored)
    assert rows == every_row(source)
    assert len(rows["strategy_record"]) == 5 and len(rows["rendered_pdf"]) == 2
    engine = db.make_engine(restored)
    with Session(engine) as session:
        for record in session.exec(select(StrategyRecord)):
            assert record.content.header is not None  # every document validates
        for pdf in session.exec(select(RenderedPdf)):
            assert pdf.content.startswith(b"%PDF-")
            assert pdf.etag == pdf_service._etag(pdf.content)
    engine.dispose()


def test_a_postgresql_backup_never_overwrites_a_file(live_postgres, tmp_path):
    target = tmp_path / "taken.dump"
    target.write_bytes(b"keep me")
    with pytest.raises(BackupRefused, match="already exists"):
        backup(live_postgres[0], target)
    assert target.read_bytes() == b"keep me"


def test_a_failed_postgresql_backup_leaves_no_file(tmp_path):
    postgres_or_skip()
    missing = _scratch("backup_missing")
    with pytest.raises(BackupRefused, match="The backup failed: .*backup_missing"):
        backup(missing, tmp_path / "nothing.dump")
    assert list(Path(tmp_path).iterdir()) == []
