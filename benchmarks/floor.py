"""The floor under every page: what the stack costs with (almost) no work, over real HTTP.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_100k \
        .venv/bin/python benchmarks/floor.py

Starts uvicorn (one worker, as `python -m app serve` does) on a free loopback port with a bare
FastAPI app of two routes, and times --requests sequential GETs of each with httpx:

- `/bare`: about 260 KB of HTML built once at start-up (no database, no template): routing,
  the response and the socket, for a page the size of a big one;
- `/pk`: one strategy record's read-model columns by primary key, from the app's own engine
  (pooled connection, statement and read limits), as JSON: the least a page that reads the
  database can cost.

A page's figure in benchmarks/growth.py less these is what its own queries and template cost.
"""

import argparse
import os
import random
import socket
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.db import get_engine  # noqa: E402
from app.records.models import StrategyRecord  # noqa: E402
from benchmarks.growth import percentile  # noqa: E402

BODY = "<!doctype html><title>floor</title><table>" + "".join(
    f"<tr><td>SR-2026-{i:06d}</td><td>Child {i}</td><td>Central</td></tr>" for i in range(3900)
) + "</table>"

floor = FastAPI()


@floor.get("/bare", response_class=HTMLResponse)
def bare() -> str:
    return BODY


@floor.get("/pk/{record_id}")
def by_primary_key(record_id: int) -> dict:
    with Session(get_engine()) as session:
        row = session.execute(select(
            StrategyRecord.id, StrategyRecord.reference, StrategyRecord.status,
            StrategyRecord.team, StrategyRecord.sort_at).where(
            StrategyRecord.id == record_id)).one()
    return {**row._mapping, "sort_at": row.sort_at.isoformat()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with Session(get_engine()) as session:
        top = session.execute(select(func.max(StrategyRecord.id))).scalar()
    if not top:
        sys.exit("No records: run benchmarks/seed.py first")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(floor, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    rng = random.Random(1)
    print(f"{'request':32} {'bytes':>9} {'p50 ms':>8} {'p95 ms':>8}   "
          f"({top:,} records, {os.environ.get('DATABASE_URL', 'settings').rsplit('/', 1)[-1]})")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for name, path in (("bare route, ~200 KB", lambda: "/bare"),
                           ("primary-key read", lambda: f"/pk/{rng.randint(1, top)}")):
            client.get(path()).raise_for_status()
            times, size = [], 0
            for _ in range(args.requests):
                started = time.perf_counter()
                answer = client.get(path())
                times.append((time.perf_counter() - started) * 1000)
                size = len(answer.content)
            print(f"{name:32} {size:>9,} {percentile(times, 50):8.2f} "
                  f"{percentile(times, 95):8.2f}")
    server.should_exit = True
    thread.join(10)


if __name__ == "__main__":
    main()
