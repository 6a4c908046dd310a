"""How long `python -m app migrate` takes on a real-sized database, step by step.

    createdb -h 127.0.0.1 -U postgres -T bench bench_copy    # a copy: this changes it
    .venv/bin/python benchmarks/migration.py \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_copy --from 0011

With --from it first downgrades the copy to that revision (untimed; the facts in the tables
that revision has stay, what later revisions added is dropped), then times what `migrate`
does (app/migrate.py): Alembic's upgrade to the head, refreshing the working-day calendar,
and re-projecting every record an older projection derived (app/followup/reprojection.py).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app import db, migrate  # noqa: E402
from app.followup.projection import PROJECTION  # noqa: E402
from app.followup.reprojection import project_stale  # noqa: E402
from app.records.models import StrategyRecord  # noqa: E402
from app.rules import calendar  # noqa: E402


def stale_count(session: Session) -> int:
    """Records an older projection derived (what `migrate` re-projects)."""
    return session.execute(select(func.count()).where(
        StrategyRecord.projected_with < PROJECTION)).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="a copy: it is migrated")
    parser.add_argument("--from", dest="start", help="downgrade to this revision first")
    args = parser.parse_args()
    config = migrate.alembic_config(args.database)
    if args.start:
        command.downgrade(config, args.start)
    engine = db.make_engine(args.database)
    with engine.connect() as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        records = connection.execute(select(func.count()).select_from(
            StrategyRecord.__table__)).scalar()
    print(f"{records:,} records at revision {revision}")
    steps = []
    started = time.perf_counter()
    command.upgrade(config, "head")
    steps.append(("Alembic upgrade to the head", time.perf_counter() - started))
    with Session(engine) as session:
        stale = stale_count(session)
        moment = time.perf_counter()
        calendar.refresh(session)
        steps.append(("working-day calendar", time.perf_counter() - moment))
        moment = time.perf_counter()
        done = project_stale(session)
        steps.append((f"re-projecting {done:,} of {stale:,} stale records",
                      time.perf_counter() - moment))
    engine.dispose()
    for name, seconds in steps:
        print(f"{name:48} {seconds:8.1f} s")
    print(f"{'in all':48} {time.perf_counter() - started:8.1f} s")


if __name__ == "__main__":
    main()
