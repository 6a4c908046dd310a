"""How each page family's latency grows with the data: p50/p95 over real HTTP, per database.

    .venv/bin/python benchmarks/growth.py \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_1k \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_100k

For each --database it starts `python -m app serve` (uvicorn, one worker, DATABASE_URL set
to it; --app-dir chooses which checkout serves) on a free loopback port, signs in over HTTP as
the seeded manager (benchmarks/seed.py; password STRATEGY_PASSWORD or the seed's default),
warms each page once, times --requests sequential GETs of it with httpx (whole body read),
stops the server, and prints one table with the figures side by side. With --url it measures
a server you started instead (one column).

Every page must answer 200; the PDF is a finalised record's stored one (rendered once by the
warm-up if it was not yet). The CSV exports are timed whole, with their rows per second.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SESSION_COOKIE = "sr_session"
DEFAULT_PASSWORD = "bench-password-123"
# (family, path): {record} is a finalised record the manager may see.
PAGES = [
    ("manager's page", "/manager"),
    ("actions tracker", "/actions"),
    ("actions tracker, overdue only", "/actions?overdue=true"),
    ("queue: awaiting authorisation", "/queues/awaiting-authorisation"),
    ("queue: EDT review", "/queues/edt-review"),
    ("requests", "/requests"),
    ("report page", "/reports/audit"),
    ("figure page", "/reports/audit/figures/update-on-time"),
    ("records behind a figure", "/reports/audit/figures/update-overdue/records"),
    ("report API", "/api/reports/audit"),
    ("report API: a figure's record ids", "/api/reports/audit/figures/update-overdue/records"),
    ("record list", "/strategies"),
    ("search: reference prefix", "/strategies?q=SR-2024"),
    ("search: child's name", "/strategies?q=aisha+okafor"),
    ("record page", "/strategies/{record}"),
    ("cached PDF", "/strategies/{record}/record.pdf"),
    ("record list CSV (all records)", "/strategies.csv"),
    ("report CSV", "/reports/audit.csv"),
]
SLOW = {"/strategies.csv", "/reports/audit.csv"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(database: str, app_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database}
    # The server logs every request: into a file, since a pipe nobody reads fills after a few
    # hundred requests and then stops the server mid-request.
    log = tempfile.TemporaryFile("w+")
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)],
                              cwd=app_dir, env=env, stdout=subprocess.DEVNULL, stderr=log,
                              text=True)
    deadline = time.monotonic() + 600  # a first start may migrate (index builds take a while)
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            sys.exit(f"The server stopped: {log.read()[-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=2)
            return server
        except httpx.TransportError:
            time.sleep(0.5)
    server.terminate()
    sys.exit("The server did not answer within 600 s")


def sign_in(client: httpx.Client, username: str, password: str) -> None:
    answer = client.post("/sign-in", data={"username": username, "password": password,
                                           "next": "/manager"})
    if answer.status_code != 303 or SESSION_COOKIE not in client.cookies:
        sys.exit(f"Sign-in as {username} failed (HTTP {answer.status_code}): seed first")


def a_finalised_record(client: httpx.Client) -> int:
    answer = client.get("/api/strategies?status=authorised")
    answer.raise_for_status()
    return answer.json()["items"][0]["id"]


def measure(url: str, username: str, password: str, requests: int,
            only: list[str] | None = None) -> dict[str, tuple]:
    """{family: (p50 ms, p95 ms, bytes)} for every page the server has (those whose family
    contains one of `only`, if given)."""
    figures = {}
    with httpx.Client(base_url=url, timeout=120) as client:
        sign_in(client, username, password)
        record = a_finalised_record(client)
        for family, path in PAGES:
            if only and not any(part in family for part in only):
                continue
            path = path.format(record=record)
            answer = client.get(path)  # warm up (and render the PDF once)
            if answer.status_code == 404 and "/api/reports/audit/figures/" in path:
                continue  # a server from before the figure's ids were paged
            if answer.status_code != 200:
                sys.exit(f"{path}: HTTP {answer.status_code} {answer.text[:300]}")
            times = []
            for _ in range(max(3, requests // 4) if path in SLOW else requests):
                started = time.perf_counter()
                answer = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)
            rows = answer.text.count("\n") - 1 if path.endswith(".csv") else None
            figures[family] = (percentile(times, 50), percentile(times, 95),
                               len(answer.content), rows)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", action="append", help="a seeded database (repeatable)")
    where.add_argument("--url", help="a running server instead")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the checkout that serves")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--username", default="bench-manager")
    parser.add_argument("--only", action="append",
                        help="only the page families containing this (repeatable)")
    args = parser.parse_args()
    password = os.environ.get("STRATEGY_PASSWORD", DEFAULT_PASSWORD)

    columns: dict[str, dict] = {}
    if args.url:
        columns[args.url] = measure(args.url, args.username, password, args.requests,
                                   args.only)
    for database in args.database or []:
        port = free_port()
        server = start_server(database, args.app_dir, port)
        try:
            columns[database.rsplit("/", 1)[1]] = measure(
                f"http://127.0.0.1:{port}", args.username, password, args.requests, args.only)
        finally:
            server.terminate()
            server.wait(30)

    heading = "".join(f" | {name[:24]:>24}" for name in columns)
    print(f"{'page (p50 / p95 ms)':36}{heading}")
    for family, _ in PAGES:
        cells = []
        for figures in columns.values():
            if family not in figures:
                cells.append(f"{'-':>24}")
                continue
            p50, p95, size, rows = figures[family]
            extra = f" {rows / (p50 / 1000):,.0f} rows/s" if rows else ""
            cells.append(f"{p50:8.1f} / {p95:8.1f}{extra}".rjust(24))
        print(f"{family:36}" + "".join(f" | {c}" for c in cells))
    for name, figures in columns.items():
        sizes = ", ".join(f"{family}: {figures[family][2]:,} B" for family in
                          ("report API", "record list CSV (all records)", "report CSV")
                          if family in figures)
        print(f"{name}: {sizes}")


if __name__ == "__main__":
    main()
