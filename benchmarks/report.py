"""Live audit report latency on a seeded database (see benchmarks/seed.py).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/report.py

Requests go through the whole app in-process (routing, sign-in, queries, template) as the
seeded manager, over the year to the newest seeded discussion: p50 and p95 of the report
page, a figure's page with its chart, a team's report, the CSV, the JSON API (which lists
every figure's record ids). The report keeps each month's counts (app/reports/tally.py), so
a repeated request reads them; with --cold every kept month is dropped before each request,
so each counts every row of its period, as the first report of a day does.
"""

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import delete, func, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth import service as auth_service  # noqa: E402
from app.auth.deps import SESSION_COOKIE  # noqa: E402
from app.db import get_engine  # noqa: E402
from app.followup.measure_table import RecordMeasure  # noqa: E402
from app.main import app  # noqa: E402
from app.reports.tally_tables import ReportTally  # noqa: E402
from benchmarks.list_pages import percentile  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--user", default="bench-manager")
    parser.add_argument("--cold", action="store_true",
                        help="drop the kept months before each request (not timed)")
    args = parser.parse_args()
    with Session(get_engine()) as session:
        user = auth_service.get_user(session, args.user)
        if user is None:
            sys.exit(f"No user {args.user}: run benchmarks/seed.py first")
        cookie = auth_service.start_session(session, user)
        newest = session.execute(select(func.max(RecordMeasure.discussion_on))).scalar()
        if newest is None:
            sys.exit("No finalised records: run benchmarks/seed.py first")
        start = newest - timedelta(days=364)
        counted = session.execute(select(func.count()).select_from(RecordMeasure).where(
            RecordMeasure.discussion_on >= start)).scalar()
    period = f"from={start.isoformat()}&to={newest.isoformat()}"
    pages = [
        ("report page, one year", f"/reports/audit?{period}"),
        ("report page, one team", f"/reports/audit?{period}&team=Central"),
        ("report page, EDT-led", f"/reports/audit?{period}&led_by=edt"),
        ("figure page with chart", f"/reports/audit/figures/update-on-time?{period}"),
        ("records behind a figure", f"/reports/audit/figures/update-overdue/records?{period}"),
        ("report CSV", f"/reports/audit.csv?{period}"),
        ("JSON API (with record ids)", f"/api/reports/audit?{period}"),
    ]
    print(f"{counted} finalised records discussed from {start} to {newest}")
    print(f"{'request':32} {'bytes':>9} {'p50 ms':>8} {'p95 ms':>8}")
    with TestClient(app) as client:
        client.cookies.set(SESSION_COOKIE, cookie)
        for name, url in pages:
            answer = client.get(url)  # warm up
            assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
            times = []
            for _ in range(args.requests):
                if args.cold:
                    with get_engine().begin() as connection:
                        connection.execute(delete(ReportTally))
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            print(f"{name:32} {len(answer.content):>9} {percentile(times, 50):>8.1f} "
                  f"{percentile(times, 95):>8.1f}")


if __name__ == "__main__":
    main()
