"""A PostgreSQL server of the test's own, on a free port of 127.0.0.1 in a temporary folder,
so a test may stop it (SIGSTOP) without touching the shared one."""

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(Path(path).parts[4]))
    return Path(found[-1]).parent if found else None


def available() -> bool:
    return _binaries() is not None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres() -> dict:
    # PostgreSQL refuses to run as root: then it runs as the postgres user (directly, with no
    # runuser in between, so the test's process is the postmaster itself).
    return {"user": "postgres", "group": "postgres", "extra_groups": []} \
        if os.geteuid() == 0 else {}


def _descendants(pid: int) -> list[int]:
    """`pid`'s children, their children and so on (PostgreSQL's backends each start a session
    of their own, so a process group does not reach them)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Server:
    def __init__(self, process: subprocess.Popen, url: str):
        self.process, self.url = process, url

    def _signal(self, number: int) -> None:
        for pid in [self.process.pid, *_descendants(self.process.pid)]:  # postmaster first
            try:
                os.kill(pid, number)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        """SIGSTOP the server and every backend: silent, not down."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)


@contextmanager
def running():
    binaries = _binaries()
    # Straight under /tmp: pytest's own folders are private to root, where postgres runs.
    folder = Path(tempfile.mkdtemp(prefix="strategy-record-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", _free_port()
    subprocess.run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True, **_as_postgres())
    process = subprocess.Popen(
        [str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=60"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **_as_postgres())
    server = Server(process, f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")
    try:
        probe = create_engine(server.url, connect_args={"connect_timeout": 2})
        deadline = time.monotonic() + 30
        while True:
            try:
                with probe.connect() as connection:
                    connection.execute(text("SELECT 1"))
                break
            except Exception:  # noqa: BLE001 - still starting
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        probe.dispose()
        yield server
    finally:
        server.resume()  # never leave it stopped
        process.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            server._signal(signal.SIGKILL)
            process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
