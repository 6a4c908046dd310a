"""Operations: several worker processes share everything through the database, and a SQLite
backup taken while the service runs holds every record and stored PDF."""

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from app import config, db, migrate
from app.__main__ import main
from app.auth.deps import SESSION_COOKIE
from app.backup import BackupRefused, backup_sqlite
from app.demo import DEMO_PASSWORD, load_demo
from app.domain.choices import RecordStatus
from app.pdf import service as pdf_service
from app.pdf.models import RenderedPdf
from app.records.models import StrategyRecord
from tests.conftest import use_database
from tests.html import soup
from tests.shared_helpers import every_row

MAX_FAILURES = 3  # SIGN_IN_MAX_FAILURES_PER_ACCOUNT for the multi-worker server


# --- several workers ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker_pids(supervisor: int) -> list[int]:
    """uvicorn's worker processes: the supervisor's children started by multiprocessing."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):  # ended while we looked
            continue
        if parent == supervisor and b"spawn_main" in command:
            pids.append(int(proc.name))
    return pids


@contextmanager
def only_through(worker: int, workers: list[int]):
    """New connections can reach only `worker` meanwhile: the others are paused (they share one
    listening socket, so a paused worker accepts nothing). Keep it short: uvicorn replaces a
    worker that misses its health check for 5 s."""
    paused = [pid for pid in workers if pid != worker]
    for pid in paused:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in paused:
            os.kill(pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    """A real server with two worker processes on a demo SQLite database."""
    folder = tmp_path_factory.mktemp("workers")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'workers.db'}",
           "SIGN_IN_MAX_FAILURES_PER_ACCOUNT": str(MAX_FAILURES)}
    for command in (["migrate"], ["demo"]):
        subprocess.run([sys.executable, "-m", "app", *command], env=env, check=True,
                       capture_output=True)
    port = _free_port()
    log = (folder / "server.log").open("w")
    # Its own process group, so the supervisor and both workers are ended together.
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {(folder / 'server.log').read_text()}")
            try:
                if (httpx.get(f"{base}/healthz", timeout=2).status_code == 200
                        and len(_worker_pids(process.pid)) == 2):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail(f"the server did not start: {(folder / 'server.log').read_text()}")
        pids = sorted(_worker_pids(process.pid))
        yield base, pids
        # Pausing workers in the tests never got one replaced: both served throughout.
        assert sorted(_worker_pids(process.pid)) == pids
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _sign_in(base: str, username: str, password: str) -> httpx.Response:
    # httpx.post opens a fresh connection each time, so the kernel may hand it to either worker.
    return httpx.post(f"{base}/sign-in", data={"username": username, "password": password,
                                                "next": "/strategies"},
                      headers={"Origin": base}, follow_redirects=False, timeout=30)


def test_the_server_runs_two_worker_processes(workers):
    _, pids = workers
    assert len(pids) == 2


def test_a_session_started_by_one_worker_is_honoured_by_the_other(workers):
    base, (first, second) = workers
    with only_through(first, [first, second]):
        response = _sign_in(base, "sw", DEMO_PASSWORD)
    assert response.status_code == 303
    cookies = {SESSION_COOKIE: response.cookies[SESSION_COOKIE]}

    def signed_in_as() -> str:
        page = httpx.get(f"{base}/strategies", cookies=cookies, follow_redirects=False, timeout=30)
        assert page.status_code == 200  # a worker that did not know the session would redirect
        return soup(page).select_one(".app-header__user span").get_text(strip=True)

    with only_through(second, [first, second]):
        assert [signed_in_as() for _ in range(3)] == ["Sam Worker"] * 3
    # And over many fresh connections, however the kernel shares them out.
    assert [signed_in_as() for _ in range(30)] == ["Sam Worker"] * 30


def test_failed_sign_ins_are_counted_across_workers(workers):
    base, (first, second) = workers
    with only_through(first, [first, second]):
        statuses = [_sign_in(base, "school", "wrong-password").status_code
                    for _ in range(MAX_FAILURES - 1)]
    with only_through(second, [first, second]):
        statuses.append(_sign_in(base, "school", "wrong-password").status_code)
    assert statuses == [401] * MAX_FAILURES
    with only_through(first, [first, second]):
        refused = _sign_in(base, "school", "wrong-password")
    assert refused.status_code == 429
    assert "too many failed attempts" in soup(refused).select_one(".govuk-error-summary").get_text()
    # The right password is refused too while the window lasts, whichever worker answers.
    for worker in (first, second):
        with only_through(worker, [first, second]):
            assert _sign_in(base, "school", DEMO_PASSWORD).status_code == 429


def test_a_finalised_record_is_the_same_bytes_and_etag_from_every_worker(workers):
    base, (first, second) = workers
    cookies = {SESSION_COOKIE: _sign_in(base, "police", DEMO_PASSWORD).cookies[SESSION_COOKIE]}
    listing = httpx.get(f"{base}/strategies", cookies=cookies, timeout=30)
    ids = {m.group(1) for a in soup(listing).select("a[href]")
           if (m := re.fullmatch(r"/strategies/(\d+)", a["href"]))}
    # The police were sent three demo records: Leo's, one returned after sending (they keep
    # version 1 while its correction is drafted) and one amended.
    assert len(ids) == 3
    url = f"{base}/strategies/{min(ids, key=int)}/record.pdf"

    def download(_=None) -> httpx.Response:
        return httpx.get(url, cookies=cookies, timeout=60)

    # The first downloads race to render and store it; every one must serve the stored copy.
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(download, range(4)))
    for worker in (first, second):
        with only_through(worker, [first, second]):
            responses += [download() for _ in range(3)]
    responses += [download() for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * len(responses)
    assert responses[0].content.startswith(b"%PDF-")
    assert {r.content for r in responses} == {responses[0].content}
    etag = responses[0].headers["ETag"]
    assert {r.headers["ETag"] for r in responses} == {etag}
    for worker in (first, second):
        with only_through(worker, [first, second]):
            again = httpx.get(url, cookies=cookies, headers={"If-None-Match": etag}, timeout=30)
            assert again.status_code == 304


# --- backup ---------------------------------------------------------------------------------


@pytest.fixture
def live_sqlite(tmp_path):
    """A demo SQLite database whose finalised record has stored PDFs (whole and per child)."""
    previous = os.environ.get("DATABASE_URL")
    url = f"sqlite:///{tmp_path / 'live.db'}"
    migrate.upgrade(url)
    use_database(url)
    load_demo()
    with Session(db.get_engine()) as session:
        record = session.exec(select(StrategyRecord).where(
            StrategyRecord.status == RecordStatus.FINALISED).order_by(StrategyRecord.id)).first()
        for child_key in (None, record.content.children[0].key):
            pdf_service.record_pdf(session, record, child_key)
    yield url
    db.get_engine().dispose()
    if previous is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = previous
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()


def _assert_same_database(copy: Path, live_url: str) -> None:
    rows = every_row(f"sqlite:///{copy}")
    assert rows == every_row(live_url)
    assert len(rows["strategy_record"]) == 5
    assert len(rows["rendered_pdf"]) == 2
    with Session(engine := db.make_engine(f"sqlite:///{copy}")) as session:
        for pdf in session.exec(select(RenderedPdf)):
            assert pdf.content.startswith(b"%PDF-")
            assert pdf.etag == pdf_service._etag(pdf.content)
    engine.dispose()


def test_a_backup_taken_during_reads_and_writes_holds_every_record_and_stored_pdf(
        live_sqlite, tmp_path):
    live = Path(live_sqlite.removeprefix("sqlite:///"))
    reader = sqlite3.connect(live)
    writer = sqlite3.connect(live)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM strategy_record").fetchone() == (5,)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE strategy_record SET revision = revision + 1000")

        copy = backup_sqlite(live_sqlite, tmp_path / "copy.db")
    finally:
        writer.rollback()
        writer.close()
        reader.rollback()
        reader.close()

    # One self-contained file (checked before the app's engine opens it and turns WAL on).
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy")) == ["copy.db"]
    with sqlite3.connect(copy) as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    _assert_same_database(copy, live_sqlite)  # the uncommitted update is not in the copy


def test_the_backup_command_writes_the_same_copy(live_sqlite, tmp_path, capsys):
    target = tmp_path / "cli.db"
    main(["backup", str(target)])
    assert capsys.readouterr().out.strip() == f"Backed up the database to {target}."
    _assert_same_database(target, live_sqlite)


def test_the_backup_command_never_overwrites_a_file(live_sqlite, tmp_path, capsys):
    target = tmp_path / "existing.db"
    target.write_bytes(b"keep me")
    with pytest.raises(SystemExit) as exit_:
        main(["backup", str(target)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == f"{target} already exists: choose a new file name."
    assert target.read_bytes() == b"keep me"


def test_backup_refuses_a_database_that_is_not_there(tmp_path):
    with pytest.raises(BackupRefused, match="There is no database at"):
        backup_sqlite(f"sqlite:///{tmp_path / 'missing.db'}", tmp_path / "copy.db")
    assert not (tmp_path / "missing.db").exists()  # looking did not create it


def test_backup_refuses_a_folder_that_is_not_there(live_sqlite, tmp_path):
    with pytest.raises(BackupRefused, match="There is no directory"):
        backup_sqlite(live_sqlite, tmp_path / "nowhere" / "copy.db")


def test_a_failed_backup_leaves_no_file_behind(live_sqlite, tmp_path):
    db.get_engine().dispose()  # the last connection closes: no -wal file is left beside it
    live = Path(live_sqlite.removeprefix("sqlite:///"))
    live.write_bytes(b"this is not a database" * 100)  # the copy cannot be read from it
    with pytest.raises(BackupRefused, match="The backup failed: file is not a database"):
        backup_sqlite(live_sqlite, tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists()
    assert not (tmp_path / "copy.db.partial").exists()
