"""A consistent copy of the SQLite database while the service runs.

SQLite's online backup API copies the pages under one read transaction, so the copy is a
single point in time even while other processes write (the database is in WAL mode, so those
writers are not held up). PostgreSQL has its own tools (pg_dump / pg_restore): see the README.
"""

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

POSTGRES_REFUSAL = (
    "This command backs up SQLite databases only. For PostgreSQL use pg_dump -Fc and "
    "pg_restore: see 'Backup and restore' in the README."
)


class BackupRefused(Exception):
    """The database cannot be backed up by this command; the message says what to do."""


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupRefused(POSTGRES_REFUSAL if url.get_backend_name() == "postgresql" else
                            f"Cannot back up a {url.get_backend_name()} database with this command.")
    if not url.database or url.database == ":memory:":
        raise BackupRefused("An in-memory SQLite database has nothing on disk to back up.")
    path = Path(url.database)
    if not path.is_file():
        raise BackupRefused(f"There is no database at {path}.")
    return path


def backup_sqlite(database_url: str, target: Path) -> Path:
    """Copy the database named by `database_url` to `target` (a new file); return its path."""
    source_path = sqlite_path(database_url)
    target = Path(target).resolve()
    if target.exists():
        raise BackupRefused(f"{target} already exists: choose a new file name.")
    if not target.parent.is_dir():
        raise BackupRefused(f"There is no directory {target.parent}.")
    # Written beside the target and renamed at the end, so a failed backup never leaves a
    # half-written file under the name someone will restore from.
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        problem = _copy(source_path, partial)
    except (sqlite3.Error, OSError) as error:
        partial.unlink(missing_ok=True)
        raise BackupRefused(f"The backup failed: {error}") from error
    if problem != "ok":
        partial.unlink(missing_ok=True)
        raise BackupRefused(f"The copy failed its integrity check: {problem}")
    os.replace(partial, target)
    return target


def _copy(source_path: Path, target: Path) -> str:
    """Copy with the backup API; return the copy's integrity check ("ok" when sound)."""
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            # All pages in one step: one read transaction, so one consistent point in time.
            source.backup(copy, pages=-1)
            # A self-contained single file (no -wal beside it), checked before it is trusted.
            copy.execute("PRAGMA journal_mode=DELETE")
            return copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
    finally:
        source.close()
