"""How long the retention report takes, and the query plan it gets (it must read index
ranges, never every document).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_100k \
        .venv/bin/python benchmarks/retention.py --today 2040-01-01

For each rule (RETENTION_RULE), prints the PostgreSQL plan of one page of the report, then
times the whole report (every due record, 1,000 a query) and the manager page's capped count.
--today moves the day judged, so a freshly seeded database has records past retention.
Reads only.
"""

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import get_settings  # noqa: E402
from app.db import get_engine  # noqa: E402
from app.records.models import StrategyRecord  # noqa: E402
from app.retention import service  # noqa: E402
from app.retention.rule import due_clause  # noqa: E402

RULES = ("youngest_child", "after_last_change", "later_of_both")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args()
    engine = get_engine()
    for rule in RULES:
        os.environ["RETENTION_RULE"] = rule
        get_settings.cache_clear()
        settings = get_settings()
        with Session(engine) as session:
            if engine.dialect.name == "postgresql":
                page = (select(StrategyRecord.id).where(due_clause(settings, args.today))
                        .order_by(StrategyRecord.id).limit(1000))
                sql = str(page.compile(engine, compile_kwargs={"literal_binds": True}))
                plan = session.execute(text("EXPLAIN " + sql)).scalars().all()
                print(f"{rule}: plan\n  " + "\n  ".join(plan))
            started = time.perf_counter()
            due = sum(1 for _ in service.all_due(session, settings, args.today))
            report = time.perf_counter() - started
            started = time.perf_counter()
            count = service.due_count(session, settings, args.today)
            counted = time.perf_counter() - started
        print(f"{rule}: {due:,} records due on {args.today}; the report read them in "
              f"{report:.3f} s, the page's count ({count:,}, to 1,000) took {counted:.3f} s\n")


if __name__ == "__main__":
    main()
