"""Peak memory of a real server under concurrent failed sign-ins.

    .venv/bin/python benchmarks/sign_in_memory.py --concurrent 40 200

Starts `python -m app serve` on a free port of 127.0.0.1 with a fresh SQLite database holding
one user, then for each N posts N failed sign-ins at once (half a wrong password for that
user, half unknown usernames) and samples the server's resident memory (VmRSS, every 10 ms)
until every answer is back. The sign-in limits are raised so every attempt reaches the
password check: what is measured is the hashing bound (PASSWORD_HASH_CONCURRENCY, from the
environment), not the throttle.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def known_user(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    from sqlmodel import Session

    from app import db, migrate
    from app.auth.roles import Role
    from app.organisations import accounts

    migrate.upgrade(database_url)
    with Session(db.get_engine()) as session:
        accounts.create_user(session, username="known-user", display_name="Known User",
                             role=Role.SOCIAL_WORKER, password="the-right-password", team="Central")
    db.get_engine().dispose()


def burst(url: str, pid: int, n: int) -> tuple[float, dict[int, int], float]:
    """Peak RSS (MiB) during n sign-ins at once, the answers' statuses, and seconds taken."""
    peak, done = rss_mib(pid), threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mib(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = threading.Barrier(n)

    def one(i: int) -> int:
        start.wait()
        name = "known-user" if i % 2 else f"nobody-{i}"
        return httpx.post(f"{url}/sign-in", data={"username": name, "password": f"wrong-{i}"},
                          timeout=120).status_code

    began = time.monotonic()
    with ThreadPoolExecutor(n) as pool:
        statuses = list(pool.map(one, range(n)))
    took = time.monotonic() - began
    done.set()
    sampler.join()
    return peak, {s: statuses.count(s) for s in sorted(set(statuses))}, took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrent", type=int, nargs="+", default=[40, 200])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        database_url = f"sqlite:///{tmp}/bench.db"
        known_user(database_url)
        env = {**os.environ, "DATABASE_URL": database_url,
               "NOTIFICATION_WORKER": "false", "PDF_RENDER_ON_FINALISE": "false",
               "SIGN_IN_MAX_FAILURES_PER_ACCOUNT": "100000",
               "SIGN_IN_MAX_FAILURES_PER_ADDRESS": "100000"}
        server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            burst(url, server.pid, 4)  # warm up: the dummy hash, the first connections
            print(f"PASSWORD_HASH_CONCURRENCY={os.environ.get('PASSWORD_HASH_CONCURRENCY', '2')}"
                  f"  idle RSS {rss_mib(server.pid):.0f} MiB")
            for n in args.concurrent:
                before = rss_mib(server.pid)
                peak, statuses, took = burst(url, server.pid, n)
                print(f"{n:4} at once: RSS before {before:.0f} MiB, peak {peak:.0f} MiB, "
                      f"answers {statuses}, {took:.1f} s")
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
