"""A consistent copy of the database while the service runs.

SQLite's online backup API copies the pages under one read transaction, so the copy is a
single point in time even while other processes write (the database is in WAL mode, so those
writers are not held up). On PostgreSQL, pg_dump's custom format does the same from one
snapshot; pg_restore restores it (README, "Backups").
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

POSTGRES_REFUSAL = "Use backup() for PostgreSQL: this copies SQLite databases only."


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


def backup(database_url: str, target: Path) -> Path:
    """Back up the database `database_url` names to `target` (a new file); its path."""
    if make_url(database_url).get_backend_name() == "postgresql":
        return backup_postgres(database_url, target)
    return backup_sqlite(database_url, target)


def _new_file(target: Path) -> tuple[Path, Path]:
    """The target's full path and the partial file written beside it first, so a failed
    backup never leaves a half-written file under the name someone will restore from."""
    target = Path(target).resolve()
    if target.exists():
        raise BackupRefused(f"{target} already exists: choose a new file name.")
    if not target.parent.is_dir():
        raise BackupRefused(f"There is no directory {target.parent}.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    return target, partial


def backup_postgres(database_url: str, target: Path) -> Path:
    """pg_dump in its custom format (restore with pg_restore), checked by listing it."""
    url = make_url(database_url)
    if not url.database:
        raise BackupRefused("The database URL names no database.")
    if not (pg_dump := shutil.which("pg_dump")) or not (pg_restore := shutil.which("pg_restore")):
        raise BackupRefused("pg_dump and pg_restore are not installed (Debian: postgresql-client).")
    target, partial = _new_file(target)
    # libpq's own environment variables: the password never appears in the process list.
    env = {**os.environ, "PGHOST": url.host or "", "PGPORT": str(url.port or 5432),
           "PGUSER": url.username or "", "PGDATABASE": url.database}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    for name in ("PGHOST", "PGUSER"):
        if not env[name]:
            del env[name]
    try:
        dumped = subprocess.run([pg_dump, "--format=custom", "--no-owner", f"--file={partial}"],
                                env=env, capture_output=True, text=True, timeout=3600)
        listed = dumped.returncode == 0 and subprocess.run(
            [pg_restore, "--list", str(partial)], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as error:
        partial.unlink(missing_ok=True)
        raise BackupRefused(f"The backup failed: {error}") from error
    if dumped.returncode != 0 or listed.returncode != 0:
        partial.unlink(missing_ok=True)
        problem = (dumped.stderr if dumped.returncode else listed.stderr).strip()
        raise BackupRefused(f"The backup failed: {problem.splitlines()[-1] if problem else '?'}")
    os.replace(partial, target)
    return target


def backup_sqlite(database_url: str, target: Path) -> Path:
    """Copy the database named by `database_url` to `target` (a new file); return its path."""
    source_path = sqlite_path(database_url)
    target, partial = _new_file(target)
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
