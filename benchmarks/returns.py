"""The returns' export of 100,000 Section47 items on a seeded database (issue 24).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python -m app migrate
    DATABASE_URL=... .venv/bin/python benchmarks/returns.py --rows 100000

After benchmarks/seed.py and `python -m app migrate` (which re-projects every record and fills
the projection's section47_enquiry rows), the seeded manager sees fewer section 47 enquiries
than --rows, and the seed gives children no person ID. So the benchmark first gives every
row a person ID and some a conference date, and copies the manager's rows (child_key
"bench-copy", at later positions) until they see --rows; `--clean` removes the copies. Only
the projection's rows are touched, never a record: the next re-projection rebuilds them.

It then runs each export as the routes do, minus HTTP (the generators the responses stream),
over the whole period: the checks' pass (the page, and every download's count), the census
XML and CSV, the SSD's two tables and the JSON. For each: seconds (untraced), megabytes
written, and the peak of Python's traced memory (tracemalloc, a second run) while it ran,
which stays flat whatever the rows.
"""

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.returns.api import _stream  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth import service as auth_service  # noqa: E402
from app.csv_export import csv_chunks  # noqa: E402
from app.db import get_engine  # noqa: E402
from app.records.models import StrategyRecord  # noqa: E402
from app.records.returns_tables import Section47Enquiry as E  # noqa: E402
from app.returns import census, ssd  # noqa: E402
from app.returns import service as returns  # noqa: E402
from app.visibility import record_filter  # noqa: E402

COPY = "bench-copy"


def visible_rows(session, user) -> int:
    return session.execute(select(func.count()).select_from(E).join(
        StrategyRecord, StrategyRecord.id == E.record_id).where(record_filter(user))).scalar_one()


def prepare(session, user, wanted: int) -> None:
    session.execute(text(
        "UPDATE section47_enquiry SET person_id = 'LCS' || record_id || '-' || position, "
        "person_key = 'LCS' || record_id || position WHERE person_key = ''"))
    session.execute(text(
        "UPDATE section47_enquiry SET icpc_on = icpc_target - 2 "
        "WHERE icpc_on IS NULL AND record_id % 3 = 0 AND icpc_target IS NOT NULL"))
    # A few held late: the census's query, listed.
    session.execute(text(
        "UPDATE section47_enquiry SET icpc_on = icpc_target + 1 "
        "WHERE icpc_on IS NULL AND record_id % 7 = 0 AND icpc_target IS NOT NULL"))
    session.commit()
    copies = 0
    while (have := visible_rows(session, user)) < wanted:
        copies += 1
        visible = str(record_filter(user).compile(compile_kwargs={"literal_binds": True}))
        session.execute(text(
            "INSERT INTO section47_enquiry (record_id, version, position, child_key, child_title,"
            " unborn, person_id, person_key, team, discussion_on, start_on, continues,"
            " icpc_target, icpc_on, icpc_not_required, icpc_not_required_reason, completed_on,"
            " outcome) SELECT e.record_id, e.version, e.position + :offset, CAST(:copy AS VARCHAR),"
            " e.child_title,"
            " e.unborn, e.person_id || 'C' || CAST(:n AS VARCHAR),"
            " e.person_key || 'C' || CAST(:n AS VARCHAR), e.team,"
            " e.discussion_on, e.start_on, e.continues, e.icpc_target, e.icpc_on,"
            " e.icpc_not_required, e.icpc_not_required_reason, e.completed_on, e.outcome"
            " FROM section47_enquiry e JOIN strategy_record ON strategy_record.id = e.record_id"
            f" WHERE e.child_key != CAST(:copy AS VARCHAR) AND ({visible}) LIMIT :missing"),
            {"offset": 1000 * copies, "copy": COPY, "n": copies, "missing": wanted - have})
        session.commit()
    # Statistics for the rows just written (autovacuum's job in service): without them the
    # planner guesses a handful of rows and sorts every remaining row for each batch.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE section47_enquiry"))
        session.commit()


def measure(label: str, chunks) -> None:
    """`chunks` makes a fresh generator of the export: timed once untraced (tracemalloc slows
    Python about threefold), then run again traced for its peak memory."""
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in chunks())
    seconds = time.perf_counter() - started
    tracemalloc.start()
    for _ in chunks():
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label:34} {seconds:8.1f} {size / 1e6:9.1f} {peak / 1e6:10.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--user", default="bench-manager")
    parser.add_argument("--clean", action="store_true", help="remove the copied rows and stop")
    args = parser.parse_args()
    with Session(get_engine()) as session:
        if args.clean:
            session.execute(text("DELETE FROM section47_enquiry WHERE child_key = :copy"),
                            {"copy": COPY})
            session.commit()
            return
        user = auth_service.get_user(session, args.user)
        if user is None:
            sys.exit(f"No user {args.user}: run benchmarks/seed.py first")
        if not session.execute(select(func.count()).select_from(E)).scalar_one():
            sys.exit("No section 47 rows: run `python -m app migrate` (it re-projects) first")
        prepare(session, user, args.rows)
        user = auth_service.get_user(session, args.user)
        session.expunge(user)  # used after this session ends, as a request's user is
        first, last = session.execute(select(func.min(E.start_on), func.max(E.start_on))
                                      ).one()
    started = time.perf_counter()
    summary = returns.checked(user, first, last)
    print(f"{summary.rows} items from {first} to {last}, {summary.failed} failing the checks "
          f"(checked in {time.perf_counter() - started:.1f} s)")
    print(f"{'export':34} {'seconds':>8} {'MB':>9} {'peak MB':>10}")

    def checks_pass():
        yield str(returns.checked(user, first, last).failed).encode()

    def items():
        return returns.items(user, first, last)

    measure("checks (every export's count)", checks_pass)
    measure("census XML", lambda: census.xml_chunks(items()))
    measure("census CSV", lambda: csv_chunks(census.CSV_HEADER, map(census.csv_row, items())))
    measure("SSD ssd_s47_enquiry CSV",
            lambda: csv_chunks(ssd.S47_HEADER, map(ssd.s47_row, items())))
    measure("SSD ssd_initial_cp_conference CSV", lambda: csv_chunks(ssd.ICPC_HEADER, (
        row for row in map(ssd.icpc_row, items()) if row)))
    measure("JSON API", lambda: _stream(user, (first, last)))


if __name__ == "__main__":
    main()
