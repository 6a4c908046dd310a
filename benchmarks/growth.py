"""How each page family's latency grows with the data: p50/p95 over real HTTP, per database.

    .venv/bin/python benchmarks/growth.py \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_1k \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_100k

For each --database it starts `python -m app serve` (uvicorn, one worker, DATABASE_URL set
to it; --app-dir chooses which checkout serves) on a free loopback port and signs in over HTTP
as the seeded manager (benchmarks/seed.py; password STRATEGY_PASSWORD or the seed's default).
Then, page family by page family, it warms the page once on each server and times --requests
sequential GETs with httpx (whole body read), one to each server in turn: interleaved, so the
machine's drift (a shared host speeding up or slowing down) falls on every column alike, where
measuring one database after the other put it all on the second. It prints one table with the
figures side by side: p50 / p95 ms and the SQL statements a request ran (the median of its
requests' log lines, `statements`), and with two databases the ratio of their p50s (the
second ÷ the first). With --url it measures a server you started (no statement counts: its
log is not ours to read), alone or beside the databases'.

Every page must answer 200; the PDF is a finalised record's stored one (rendered once by the
warm-up if it was not yet). The CSV exports are timed whole, with their rows per second.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SESSION_COOKIE = "sr_session"
DEFAULT_PASSWORD = "bench-password-123"
# (family, path): {record} is a finalised record the manager may see; {last_year} the year
# before this one (a report's period need not be the current one); {first_year} the year the
# seed's three years of discussions start in.
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
    ("records behind a figure most are behind",
     "/reports/audit/figures/participants-recorded/records?which=denominator"),
    ("records behind a figure few are behind", "/reports/audit/figures/amended/records"),
    ("records behind a figure most are behind, oldest first",
     "/reports/audit/figures/participants-recorded/records?which=denominator&sort=oldest"),
    ("records behind a figure for last year",
     "/reports/audit/figures/participants-recorded/records?which=denominator&from={last_year}-01-01"
     "&to={last_year}-12-31"),
    ("report API", "/api/reports/audit"),
    # A page of ids compares like with like only when both databases fill it: the default
    # page (500) of "update overdue" holds 12 at 1,000 records. A dense figure (the records
    # whose participants were recorded) over the seed's whole span fills 400 at both; a page
    # of 10 of "update overdue" fills at both too.
    ("report API: a figure's record ids, 400 a page",
     "/api/reports/audit/figures/participants-recorded/records?from={first_year}-01-01&limit=400"),
    ("report API: a figure's record ids, 10 a page",
     "/api/reports/audit/figures/update-overdue/records?limit=10"),
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
    env = {**os.environ, "DATABASE_URL": database, "LOG_FORMAT": "json"}
    # The server logs every request: into a file, since a pipe nobody reads fills after a few
    # hundred requests and then stops the server mid-request. Appended to (O_APPEND), so the
    # server's writes never land where statements_since has moved the shared offset.
    log = tempfile.TemporaryFile("a+")
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
            server.log = log  # type: ignore[attr-defined]  # read by statements_since
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


def statements_since(log, position: int) -> list[int]:
    """The SQL statement counts of the requests the server logged after `position`."""
    time.sleep(0.2)  # the last request's line is written after its answer was sent
    log.seek(position)
    counts = []
    for line in log.read().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "request" and "statements" in entry:
            counts.append(entry["statements"])
    return counts


def a_finalised_record(client: httpx.Client) -> int:
    answer = client.get("/api/strategies?status=authorised")
    answer.raise_for_status()
    return answer.json()["items"][0]["id"]


@dataclass
class Server:
    """One server to measure: its client (signed in), a finalised record, and its log."""

    client: httpx.Client
    record: int
    log: object = None


def connect(url: str, username: str, password: str, log=None) -> Server:
    client = httpx.Client(base_url=url, timeout=120)
    sign_in(client, username, password)
    return Server(client, a_finalised_record(client), log)


def measure(servers: dict[str, Server], requests: int,
            only: list[str] | None = None) -> dict[str, dict[str, tuple]]:
    """{server: {family: (p50 ms, p95 ms, bytes, CSV rows, statements)}} for every page (those
    whose family contains one of `only`, if given). The servers' requests are interleaved, one
    to each in turn, so a machine that slows down or speeds up meanwhile slows them alike;
    statements come from a server's log if it has one, else None."""
    figures: dict[str, dict[str, tuple]] = {name: {} for name in servers}
    for family, template in PAGES:
        if only and not any(part in family for part in only):
            continue
        last_year = date.today().year - 1
        paths = {name: template.format(record=server.record, last_year=last_year,
                                       first_year=last_year - 2)
                 for name, server in servers.items()}
        times: dict[str, list[float]] = {name: [] for name in servers}
        answers, positions = {}, {}
        for name, server in servers.items():
            answer = server.client.get(paths[name])  # warm up (and render the PDF once)
            if answer.status_code != 200:
                sys.exit(f"{paths[name]}: HTTP {answer.status_code} {answer.text[:300]}")
            positions[name] = server.log.seek(0, os.SEEK_END) if server.log is not None else 0
        for _ in range(max(3, requests // 4) if template in SLOW else requests):
            for name, server in servers.items():
                started = time.perf_counter()
                answers[name] = server.client.get(paths[name])
                times[name].append((time.perf_counter() - started) * 1000)
                assert answers[name].status_code == 200, (paths[name], answers[name].status_code)
        for name, server in servers.items():
            answer = answers[name]
            rows = answer.text.count("\n") - 1 if template.endswith(".csv") else None
            counts = statements_since(server.log, positions[name]) if server.log else []
            figures[name][family] = (percentile(times[name], 50), percentile(times[name], 95),
                                     len(answer.content), rows,
                                     round(percentile(counts, 50)) if counts else None)
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

    servers: dict[str, Server] = {}
    processes = []
    try:
        if args.url:
            servers[args.url] = connect(args.url, args.username, password)
        for database in args.database or []:
            port = free_port()
            process = start_server(database, args.app_dir, port)
            processes.append(process)
            servers[database.rsplit("/", 1)[1]] = connect(
                f"http://127.0.0.1:{port}", args.username, password, log=process.log)
        columns = measure(servers, args.requests, args.only)
    finally:
        for server in servers.values():
            server.client.close()
        for process in processes:
            process.terminate()
            process.wait(30)

    paired = len(columns) == 2
    heading = "".join(f" | {name[:36]:>36}" for name in columns) + (" |  ratio" if paired else "")
    print(f"{'page (p50 / p95 ms, SQL statements)':36}{heading}")
    for family, _ in PAGES:
        cells = []
        for figures in columns.values():
            if family not in figures:
                cells.append(f"{'-':>36}")
                continue
            p50, p95, size, rows, statements = figures[family]
            extra = f" {rows / (p50 / 1000):,.0f} rows/s" if rows else ""
            counted = f", {statements} SQL" if statements is not None else ""
            cells.append(f"{p50:8.1f} / {p95:8.1f}{counted}{extra}".rjust(36))
        if paired and all(family in figures for figures in columns.values()):
            first, second = (figures[family][0] for figures in columns.values())
            cells.append(f"{second / first:6.2f}")
        print(f"{family:36}" + "".join(f" | {c}" for c in cells))
    for name, figures in columns.items():
        sizes = ", ".join(f"{family}: {figures[family][2]:,} B" for family in
                          ("report API", "record list CSV (all records)", "report CSV")
                          if family in figures)
        print(f"{name}: {sizes}")


if __name__ == "__main__":
    main()
