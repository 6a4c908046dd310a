"""List page latency on a seeded database (see benchmarks/seed.py).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/list_pages.py

Requests go through the whole app in-process (routing, sign-in, query, template), as the
seeded users: p50 and p95 per list page, HTML and JSON, plus the plan of each list query.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth import service as auth_service  # noqa: E402
from app.auth.deps import SESSION_COOKIE  # noqa: E402
from app.db import get_engine  # noqa: E402
from app.main import app  # noqa: E402
from app.records.list_query import cursor_of  # noqa: E402
from app.records.models import StrategyRecord  # noqa: E402
from app.web.access import visible_filter  # noqa: E402

DEEP = 10_000

PAGES = [
    ("bench-central", "default list", "/strategies"),
    ("bench-central", "filter: drafts", "/strategies?status=draft"),
    ("bench-central", "filter: EDT-led, no further action", "/strategies?led_by=edt&outcome=nfa"),
    ("bench-central", "search: child's name", "/strategies?q=aisha+okafor"),
    ("bench-central", "search: reference", "/strategies?q=SR-2024-0500"),
    ("bench-central", "oldest first", "/strategies?sort=oldest"),
    ("bench-central", "deep page (after 10,000 rows)", "/strategies?after={deep}"),
    ("bench-police", "partner: default list", "/strategies"),
    ("bench-police", "partner: deep page (after 10,000)", "/strategies?after={deep}"),
    ("bench-central", "JSON: default list", "/api/strategies"),
    ("bench-police", "JSON: search", "/api/strategies?q=khan"),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with Session(get_engine()) as session:
        cookies, deep = {}, {}
        for username in {user for user, _, _ in PAGES}:
            user = auth_service.get_user(session, username)
            if user is None:
                sys.exit(f"No user {username}: run benchmarks/seed.py first")
            cookies[username] = auth_service.start_session(session, user)
            # Where a reader who pressed Next 400 times would be.
            row = session.execute(
                select(StrategyRecord.sort_at, StrategyRecord.id).where(visible_filter(user))
                .order_by(StrategyRecord.sort_at.desc(), StrategyRecord.id.desc())
                .offset(DEEP - 1).limit(1)).one()
            deep[username] = cursor_of(*row).replace("+", "%2B")
    print(f"{'page':40} {'rows':>4} {'p50 ms':>8} {'p95 ms':>8}")
    with TestClient(app) as client:
        for username, name, url in PAGES:
            client.cookies.set(SESSION_COOKIE, cookies[username])
            url = url.format(deep=deep[username])
            answer = client.get(url)  # warm up
            assert answer.status_code == 200, (url, answer.status_code)
            rows = (len(answer.json()["items"]) if url.startswith("/api")
                    else answer.text.count('<tr class="govuk-table__row">') - 1)
            times = []
            for _ in range(args.requests):
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            print(f"{name:40} {rows:>4} {statistics.median(times):8.1f} "
                  f"{percentile(times, 95):8.1f}")


if __name__ == "__main__":
    main()
