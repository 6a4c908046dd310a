"""How long re-projecting stale records takes (what `python -m app migrate` does after an
upgrade that bumps PROJECTION, before `serve` listens).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_100k \
        .venv/bin/python benchmarks/reproject.py --records 5000

Marks --records records stale (`projected_with = 0`, spread evenly over the ids; --all for
every record), times `project_stale` over them, and prints the time, records a second and
the time to expect for every record in the database. It writes to the database it is
given: use a copy of a seeded one. What is derived does not change (the same facts and
rules), so a run leaves the database as it found it. --rewrite first deletes or clears the
derived rows of those records too (the worst case: a new projection that changes everything).
"""

import argparse
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.db import get_engine  # noqa: E402
from app.followup.reprojection import project_stale  # noqa: E402
from app.records.models import StrategyRecord  # noqa: E402

STALE = "SELECT id FROM strategy_record WHERE id % :step = 0"
REWRITE = [f"DELETE FROM tracked_action WHERE record_id IN ({STALE})",
           f"DELETE FROM record_distribution WHERE record_id IN ({STALE})",
           f"DELETE FROM record_measure WHERE record_id IN ({STALE})",
           f"UPDATE record_receipt SET discussion_on = NULL WHERE record_id IN ({STALE})",
           f"UPDATE record_version SET superseded_by = NULL, superseded_at = NULL "
           f"WHERE record_id IN ({STALE})"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--all", action="store_true", help="every record")
    parser.add_argument("--rewrite", action="store_true",
                        help="also delete their tracked actions, distribution and live-audit "
                             "rows and clear their receipts' day, so all of it is written again")
    args = parser.parse_args()
    engine = get_engine()
    with Session(engine) as session:
        total = session.execute(select(func.count()).select_from(StrategyRecord)).scalar_one()
        step = 1 if args.all else max(1, total // args.records)
        session.execute(text("UPDATE strategy_record SET projected_with = 0 WHERE id % :step = 0"),
                        {"step": step})
        if args.rewrite:
            for statement in REWRITE:
                session.execute(text(statement), {"step": step})
        session.commit()
        stale = session.execute(select(func.count()).select_from(StrategyRecord).where(
            StrategyRecord.projected_with == 0)).scalar_one()
    with Session(engine) as session:
        start = time.perf_counter()
        done = project_stale(session)
        seconds = time.perf_counter() - start
    assert done == stale, (done, stale)
    print(f"{done} of {total} records re-projected in {seconds:.1f} s "
          f"({done / seconds:.0f} a second); all {total}: about {seconds / done * total / 60:.1f} min")


if __name__ == "__main__":
    main()
