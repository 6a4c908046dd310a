"""`python -m app migrate` says what it did: created, migrated from a revision, or nothing."""

from app import migrate
from app.__main__ import main


def test_migrate_says_it_created_a_new_database(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    from app.config import get_settings

    get_settings.cache_clear()
    try:
        main(["migrate"])
        first = capsys.readouterr().out.strip()
        main(["migrate"])
        second = capsys.readouterr().out.strip()
    finally:
        get_settings.cache_clear()
    head = migrate.head_revision()
    assert first == f"Created the database's tables (migrations up to {head})."
    assert second == f"The database was already at migration {head}; no migration to apply."


def test_migrate_names_the_revision_it_started_from(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0011")
    assert migrate.current_revision(url) == "0011"
    assert migrate.upgrade_and_describe(url) == (
        f"Migrated the database from 0011 to {migrate.head_revision()}.")
    assert migrate.current_revision(url) == migrate.head_revision()
