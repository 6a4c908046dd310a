"""Where one cached PDF download and one record page spend their time, step by step, next
to the floor (benchmarks/floor.py's bare route) measured in the same run.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_100k \
        .venv/bin/python benchmarks/steps.py --requests 200

In process, with the app's own functions and engine, as the routes call them: looking up the
session, visibility (the record as this person reads it), the receipt (a partner's first
opening or download), the audit row, and the body (the stored PDF's read; the record page's
template). Each step's p50 and its SQL statements (counted with `before_cursor_execute`).
Then over real HTTP, interleaved (one of each in turn): the bare route (uvicorn in this
process), and the real record page and cached PDF from `python -m app serve` (one worker),
with their ratio to the bare route. As `bench-manager` (social care) and `bench-police`
(a partner: the receipt is written the first time only; after that visibility's answer says
it was, and the step sends nothing).
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import event, select
from sqlmodel import Session
from starlette.requests import Request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import visibility  # noqa: E402
from app.auth import audit  # noqa: E402
from app.auth import service as auth  # noqa: E402
from app.db import get_engine  # noqa: E402
from app.followup.printed import printed_state  # noqa: E402
from app.pdf import service as pdf_service  # noqa: E402
from app.records.models import StrategyRecord  # noqa: E402
from app.sending.models import RecordReceipt  # noqa: E402
from app.web import access  # noqa: E402
from app.web.records_pages import _record_page  # noqa: E402
from benchmarks.floor import floor  # noqa: E402
from benchmarks.growth import (  # noqa: E402
    DEFAULT_PASSWORD,
    free_port,
    percentile,
    sign_in,
    start_server,
)


def fake_request(path: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "headers": [],
                    "query_string": b"", "client": ("127.0.0.1", 1), "app": None})


def a_record(session: Session, user) -> int:
    """A record this person reads that was finalised and sent (a partner's: sent to them)."""
    query = select(RecordReceipt.record_id).order_by(RecordReceipt.id.desc()).limit(1)
    if user.organisation_id is not None:
        query = query.where(RecordReceipt.organisation_id == user.organisation_id)
    else:  # social care: a record of their own team's (or EDT's)
        query = query.join(StrategyRecord, StrategyRecord.id == RecordReceipt.record_id).where(
            visibility.record_filter(user))
    return session.execute(query).scalar_one()


def steps(username: str, requests: int) -> tuple[int, list[tuple[str, float, int]]]:
    engine = get_engine()
    counted: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: counted.append(a[2]))
    with Session(engine) as session:
        user = auth.get_user(session, username)
        token = auth.start_session(session, user)
        record_id = a_record(session, user)
    times: dict[str, list[float]] = {}
    statements: dict[str, int] = {}

    def step(name, work):
        before, started = len(counted), time.perf_counter()
        result = work()
        times.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        statements[name] = len(counted) - before
        return result

    def one(kind: str) -> None:
        path = f"/strategies/{record_id}" + ("/record.pdf" if kind == "PDF" else "")
        request = fake_request(path)
        # As the routes' session (app/db.get_session): nothing expires on commit.
        with Session(engine, expire_on_commit=False) as session:
            who = step(f"{kind}: session lookup", lambda: auth.user_for_session(session, token))
            # As the routes ask: a download leaves the stored document unvalidated.
            shown = step(f"{kind}: visibility", lambda: access.readable(
                session, who, record_id, request, checked=kind == "page"))
            if kind == "PDF":
                step("PDF: body (printed state, stored PDF)", lambda: pdf_service.stored_pdf(
                    session, shown, None, printed_state(session, shown)))
            mark = access.note_opened if kind == "page" else access.note_downloaded
            step(f"{kind}: receipt", lambda: mark(session, who, shown, request))
            step(f"{kind}: audit row", lambda: audit.log(
                session, "viewed" if kind == "page" else "downloaded", user=who,
                record_id=record_id, detail=f"version {shown.version}", request=request))
            if kind == "page":
                step("page: body (template)", lambda: _record_page(
                    request, shown, who, session=session).body)

    for _ in range(requests):
        one("PDF")
        one("page")
    return record_id, [(name, percentile(t, 50), statements[name]) for name, t in times.items()]


def over_http(database: str, username: str, record_id: int, requests: int) -> dict[str, list]:
    bare_port, app_port = free_port(), free_port()
    bare = uvicorn.Server(uvicorn.Config(floor, host="127.0.0.1", port=bare_port,
                                         log_level="warning"))
    threading.Thread(target=bare.run, daemon=True).start()
    server = start_server(database, Path(__file__).resolve().parent.parent, app_port)
    times: dict[str, list[float]] = {"bare route": [], "record page": [], "cached PDF": []}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{bare_port}") as plain, \
                httpx.Client(base_url=f"http://127.0.0.1:{app_port}", timeout=60) as app:
            sign_in(app, username, DEFAULT_PASSWORD)
            paths = {"bare route": (plain, "/bare"),
                     "record page": (app, f"/strategies/{record_id}"),
                     "cached PDF": (app, f"/strategies/{record_id}/record.pdf")}
            for client, path in paths.values():
                client.get(path).raise_for_status()
            for _ in range(requests):
                for name, (client, path) in paths.items():
                    started = time.perf_counter()
                    client.get(path).raise_for_status()
                    times[name].append((time.perf_counter() - started) * 1000)
    finally:
        server.terminate()
        server.wait(30)
        bare.should_exit = True
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--username", action="append")
    args = parser.parse_args()
    database = os.environ["DATABASE_URL"]
    for username in args.username or ["bench-manager", "bench-police"]:
        record_id, measured = steps(username, args.requests)
        print(f"\n{username}, record {record_id}, in process ({args.requests} of each):")
        print(f"{'step':44} {'p50 ms':>8} {'statements':>11}")
        for name, p50, count in measured:
            print(f"{name:44} {p50:8.2f} {count:11}")
        times = over_http(database, username, record_id, args.requests)
        floor_p50 = percentile(times["bare route"], 50)
        print(f"over HTTP, interleaved:\n{'request':44} {'p50 ms':>8} {'p95 ms':>8} {'× floor':>8}")
        for name, values in times.items():
            p50 = percentile(values, 50)
            print(f"{name:44} {p50:8.2f} {percentile(values, 95):8.2f} {p50 / floor_p50:8.1f}")


if __name__ == "__main__":
    main()
