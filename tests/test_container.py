"""The container: what the Dockerfile and compose.yaml must say (no container engine runs
here, so these read the files), the first administrator from the environment, and a replica
that serves without migrating."""

import re
import shlex
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from app import migrate
from app.__main__ import main
from app.auth import passwords
from app.auth.models import User
from app.cli import first_admin
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parent.parent


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions of its final stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.strip().startswith("#")]
    final = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    return [tuple(line.split(None, 1)) for line in lines[final:]]


def _all(keyword: str) -> list[str]:
    return [value for key, value in _instructions() if key.upper() == keyword]


def test_the_image_installs_the_package_from_a_wheel_not_editable():
    installs = [run for run in _all("RUN") if "pip install" in run]
    assert installs and all(" -e " not in f" {run} " and "--editable" not in run
                            for run in installs)
    assert any("/wheels/" in run for run in installs)
    assert "COPY app" not in " ".join(f"{k} {v}" for k, v in _instructions())  # no source tree


def test_the_image_serves_without_migrating_and_runs_as_a_user():
    command = yaml.safe_load(_all("CMD")[-1])
    assert command[:4] == ["python", "-m", "app", "serve"] and "--no-migrate" in command
    assert _all("USER")[-1] not in ("root", "0")


def test_the_image_keeps_sqlite_and_its_stored_pdfs_on_a_volume():
    volumes = yaml.safe_load(_all("VOLUME")[-1])
    env = dict(pair.split("=", 1) for value in _all("ENV") for pair in shlex.split(value))
    assert volumes == ["/srv/app/data"]
    assert env["DATABASE_URL"] == "sqlite:////srv/app/data/strategy.db"
    assert env["PDF_SLOT_DIR"].startswith("/srv/app/data/")
    # Alembic's files are copied to where ALEMBIC_CONFIG says (they are not in the package).
    assert env["ALEMBIC_CONFIG"] == "/srv/app/alembic.ini"
    copies = _all("COPY")
    assert "alembic.ini ./" in copies and "migrations ./migrations" in copies
    assert any("postgresql-client" in run for run in _all("RUN"))  # pg_dump for backups


def test_every_file_the_app_reads_is_in_the_package():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "tool"]["setuptools"]["package-data"]["app"]
    app = ROOT / "app"
    missing = [str(path.relative_to(app)) for path in app.rglob("*")
               if path.is_file() and path.suffix not in (".py", ".pyc")
               and not any(fnmatch(str(path.relative_to(app)), p.replace("**/", "*"))
                           for p in patterns)]
    assert missing == []


def test_compose_runs_postgresql_a_one_shot_migration_then_web_and_worker():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "migrate", "web", "worker"}
    assert services["db"]["image"].startswith("postgres:15")
    assert services["migrate"]["command"] == [
        "sh", "-c", "python -m app migrate && python -m app first-admin"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "FIRST_ADMIN_PASSWORD" in services["migrate"]["environment"]
    assert services["web"]["command"][:4] == ["python", "-m", "app", "serve"]
    assert "--no-migrate" in services["web"]["command"]
    assert services["worker"]["command"] == ["python", "-m", "app", "worker"]
    for name in ("migrate", "web", "worker"):
        service = services[name]
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]
        assert service["environment"]["NOTIFICATION_WORKER"] == "false"
        assert service["volumes"] == ["data:/srv/app/data"]
        if name != "migrate":
            assert service["depends_on"] == {
                "migrate": {"condition": "service_completed_successfully"}}
    assert set(compose["volumes"]) == {"data", "pgdata"}


def test_serve_no_migrate_starts_without_migrating(monkeypatch):
    calls = []
    monkeypatch.setattr(migrate, "upgrade", lambda *a, **k: calls.append("migrated"))
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append(("served", k["workers"])))
    main(["serve", "--no-migrate", "--workers", "2"])
    assert calls == [("served", 2)]
    main(["serve"])
    assert calls == [("served", 2), "migrated", ("served", 1)]


def test_alembic_finds_its_files_through_alembic_config(monkeypatch, tmp_path):
    monkeypatch.setenv("ALEMBIC_CONFIG", str(tmp_path / "alembic.ini"))
    assert migrate.alembic_config().config_file_name == str(tmp_path / "alembic.ini")


ADMIN = {"FIRST_ADMIN_USERNAME": "Root", "FIRST_ADMIN_PASSWORD": "a long enough password",
         "FIRST_ADMIN_NAME": "First Admin"}


def test_the_first_administrator_is_created_once(session):
    assert first_admin.run(ADMIN) == "Created the administrator root."
    again = {**ADMIN, "FIRST_ADMIN_PASSWORD": "another long password"}
    assert first_admin.run(again) == "root already exists: nothing changed."
    session.expire_all()
    users = list(session.execute(select(User)).scalars())
    assert [(u.username, u.role, u.display_name) for u in users] == [
        ("root", "admin", "First Admin")]
    assert passwords.verify("a long enough password", users[0].password_hash)


def test_the_first_administrator_from_a_secret_file(session, tmp_path):
    secret = tmp_path / "password"
    secret.write_text("from a docker secret file\n")
    env = {"FIRST_ADMIN_USERNAME": "root", "FIRST_ADMIN_PASSWORD_FILE": str(secret)}
    assert first_admin.run(env) == "Created the administrator root."
    user = session.execute(select(User)).scalar_one()
    assert passwords.verify("from a docker secret file", user.password_hash)


def test_first_admin_refuses_what_it_cannot_do(session):
    assert first_admin.run({}) == "FIRST_ADMIN_USERNAME is not set: no administrator created."
    with pytest.raises(SystemExit, match="Set FIRST_ADMIN_PASSWORD"):
        first_admin.run({"FIRST_ADMIN_USERNAME": "root"})
    with pytest.raises(SystemExit, match="12"):
        first_admin.run({"FIRST_ADMIN_USERNAME": "root", "FIRST_ADMIN_PASSWORD": "short"})
    make_user(session, "sam")
    with pytest.raises(SystemExit, match="sam exists and is not an administrator"):
        first_admin.run({**ADMIN, "FIRST_ADMIN_USERNAME": "sam"})
    assert session.execute(select(User.username)).scalars().all() == ["sam"]
