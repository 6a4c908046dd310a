"""Fill the database DATABASE_URL names with N realistic strategy records, in bulk.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python -m app migrate
    DATABASE_URL=... .venv/bin/python benchmarks/seed.py 100000

Each record is generated (varied children, participants, agencies, outcomes, EDT-led or
day team, discussions spread over five years), validated, and given its read-model columns
and record_distribution rows by the service's own `derived_columns`: lists and reports see
exactly what a save would have written. A record is finalised only if the rules allow it.
Rows go in with multi-row INSERTs in batches, not HTTP and not one ORM commit each.

It creates the users it needs if missing (password from STRATEGY_PASSWORD, default below):
bench-central, bench-north (social workers), bench-edt (EDT worker), bench-manager
(Central), bench-police and bench-school (partners).
"""

import argparse
import multiprocessing
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth import service as auth_service  # noqa: E402
from app.auth.roles import Role  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.domain.schema import UK, StrategyRecordData, with_update_action  # noqa: E402
from app.records.models import RecordDistribution, StrategyRecord  # noqa: E402
from app.rules.workdays import add_working_days, is_working_day  # noqa: E402

DEFAULT_PASSWORD = "bench-password-123"
USERS = [
    ("bench-central", "Central social worker", "social_worker", None, "Central"),
    ("bench-north", "North social worker", "social_worker", None, "North"),
    ("bench-edt", "EDT worker", "edt_worker", None, "EDT"),
    ("bench-manager", "Central manager", "manager", None, "Central"),
    ("bench-police", "Police partner", "partner", "police", None),
    ("bench-school", "School partner", "partner", "school", None),
]
FIRST = ["Leo", "Mia", "Ava", "Noah", "Oliver", "Amelia", "Isla", "Jack", "Freya", "Harry",
         "Zara", "Yusuf", "Aisha", "Kacper", "Maja", "Tyler", "Chloe", "Reggie", "Ruby", "Ali",
         "Sofia", "Evie", "Arlo", "Layla", "Theo", "Ivy", "Ezra", "Nia", "Jayden", "Lily"]
SURNAMES = ["Carter", "Smith", "Jones", "Khan", "Patel", "Nowak", "Williams", "Brown", "Taylor",
            "Davies", "Evans", "Hussain", "Ali", "Wilson", "Murphy", "Kowalski", "Okafor",
            "Mensah", "Walker", "Wright", "Begum", "Thompson", "Roberts", "Green", "Hall"]
OUTCOMES = ["s47_single", "s47_joint", "s47_joint", "s47_criminal", "cin", "cin",
            "early_help", "nfa", "nfa", "further_strategy"]
CONTRIBUTORS = [
    ("police", "DC", "video"), ("health_visiting", "Health Visitor", "phone_outside"),
    ("school", "Designated safeguarding lead", "in_person"), ("gp", "GP", "email_outside"),
    ("midwifery", "Midwife", "phone_outside"), ("hospital", "Paediatrician", "video"),
    ("probation", "Probation officer", "written_report"), ("housing", "Housing officer", "video"),
]


def _working_day_before(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def generate(rng: random.Random, today: date, years: int) -> dict:
    """One strategy record (JSON shape) as a social worker might have written it."""
    day = _working_day_before(today - timedelta(days=rng.randint(1, 365 * years)))
    edt = rng.random() < 0.15
    at = datetime(day.year, day.month, day.day, rng.choice([20, 21, 22]) if edt else
                  rng.randint(9, 16), rng.choice([0, 15, 30, 45]))
    surname = rng.choice(SURNAMES)
    children = []
    for _ in range(rng.choices([1, 2, 3], [6, 3, 1])[0]):
        age = rng.randint(0, 16)
        child = {"name": f"{rng.choice(FIRST)} {surname}",
                 "date_of_birth": str(day - timedelta(days=365 * age + rng.randint(1, 300))),
                 "communication": "pre_verbal" if age < 2 else "verbal",
                 "seen": "yes", "seen_at": (at - timedelta(hours=2)).isoformat(),
                 "seen_by": "Social worker"}
        if age < 2:
            child["observations"] = "Settled with mother; clean and appropriately dressed."
        else:
            child["voice"] = "Said they felt scared when the adults shouted."
            child["school"] = "Riverside Primary School"
        children.append(child)
    joining = rng.sample(CONTRIBUTORS, rng.randint(2, 5))
    for core in (CONTRIBUTORS[0], CONTRIBUTORS[1 if rng.random() < 0.5 else 3]):
        if core not in joining and rng.random() < 0.95:  # police and health, nearly always
            joining.append(core)
    if rng.random() < 0.9 and CONTRIBUTORS[2] not in joining:
        joining.append(CONTRIBUTORS[2])  # school
    participants = [{"name": "Priya Shah", "agency": "csc", "role": "Team Manager",
                     "mode": "in_person", "email": "priya.shah@example.gov.uk"}]
    positions = [{"agency": "csc", "position": "has_concerns", "concerns": "Injury"}]
    for agency, role, mode in joining:
        participant = {"name": f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}", "agency": agency,
                       "role": role, "mode": mode, "phone": "01632 960 202"}
        if mode.endswith("_outside") or mode == "written_report":
            participant["contributed_at"] = (at - timedelta(hours=1)).isoformat()
        participants.append(participant)
        positions.append({"agency": agency, "position": rng.choice(
            ["has_concerns", "no_concerns"]), "concerns": "Domestic abuse"})
    if rng.random() < 0.1:  # a draft still being written: some sections missing
        positions = positions[:1]
    outcome = rng.choice(OUTCOMES)
    record = {
        "header": {"concern_at": (at - timedelta(hours=rng.randint(2, 30))).isoformat(),
                   "discussion_at": at.isoformat(), "format": rng.choice(["in_person", "video",
                                                                        "mixed"]),
                   "sequence": "first", "led_by": "edt" if edt else "day_team",
                   "chair": "Priya Shah", "minute_taker": "Tom Reed",
                   "requested_by": rng.choice(["school", "police", "health_visiting"]),
                   "request_reason": "Concern raised by a professional"},
        "children": children,
        "grounds": {"summary": "Bruising reported", "source": "School",
                    "categories": rng.sample(["physical", "emotional", "neglect", "sexual"],
                                             rng.randint(1, 2))},
        "participants": participants,
        "agency_positions": positions,
        "analysis": {"risks": "Physical harm", "strengths": "Mother is protective"},
        "decision": {"outcome": outcome, "reasons": "Reasonable cause to suspect harm"},
        "actions": [{"kind": "update_agencies", "due_date": str(day + timedelta(days=5))}] + [
            {"description": f"Action {i + 1}", "owner": "Social worker",
             "due_date": str(day + timedelta(days=rng.randint(1, 20))),
             "status": rng.choice(["open", "done"])}
            for i in range(rng.randint(1, 4))],
        "next_steps": {},
        "distribution": ["csc", *[agency for agency, _, _ in joining]],
    }
    if edt:
        record["header"]["day_team_review_due"] = str(add_working_days(day, 1))
    if outcome == "further_strategy":
        record["next_steps"]["next_discussion_on"] = str(add_working_days(day, 5))
    if outcome.startswith("s47"):
        record["next_steps"]["icpc_date"] = str(add_working_days(day, rng.randint(5, 15)))
    return record


def ensure_users(session: Session, password: str) -> dict[str, int]:
    ids = {}
    for username, name, role, agency, team in USERS:
        user = auth_service.get_user(session, username)
        if user is None:
            user = auth_service.create_user(session, username=username, display_name=name,
                                            role=Role(role), password=password, agency=agency,
                                            team=team)
        ids[team or agency] = user.id
    return ids


def rows_for(rng, record_id, raw, today, users, settings, derived_columns):
    data = with_update_action(StrategyRecordData.model_validate(raw, context={"stored": True}))
    at = data.header.discussion_at
    created = at.replace(tzinfo=UK).astimezone(UTC) - timedelta(minutes=rng.randint(0, 90))
    reference = f"SR-{at.year}-{record_id:06d}"
    columns = derived_columns(reference, data, created, settings)
    agencies = columns.pop("distribution")
    old = (today - at.date()).days > 14
    finalised = columns["blocking_failures"] == 0 and (old or rng.random() < 0.5)
    team = "EDT" if columns["led_by"] == "edt" else rng.choice(["Central", "North"])
    row = {
        "id": record_id, "reference": reference, "version": 1, "revision": rng.randint(1, 12),
        "status": "finalised" if finalised else "draft",
        "data": data.model_dump(mode="json"), "team": team, "created_by_id": users[team],
        "created_at": created, "updated_at": created + timedelta(hours=rng.randint(1, 48)),
        "finalised_at": created + timedelta(days=1) if finalised else None, **columns,
    }
    return row, [{"record_id": record_id, "agency": a} for a in agencies]


def make_batch(job: tuple) -> tuple[list[dict], list[dict]]:
    """One batch of rows, generated and derived in a worker process (seeded per batch, so a
    run is repeatable whatever the number of workers)."""
    seed, first_id, size, today, years, users = job
    from app.records.service import derived_columns

    rng = random.Random(seed * 1_000_003 + first_id)
    settings = get_settings()
    records, distribution = [], []
    for record_id in range(first_id, first_id + size):
        row, sent = rows_for(rng, record_id, generate(rng, today, years), today, users,
                             settings, derived_columns)
        records.append(row)
        distribution += sent
    return records, distribution


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes generating records while this one inserts")
    args = parser.parse_args()

    started = time.perf_counter()
    settings = get_settings()
    engine = make_engine(settings.database_url)
    today = datetime.now(UK).date()
    with Session(engine) as session:
        users = ensure_users(session, os.environ.get("STRATEGY_PASSWORD", DEFAULT_PASSWORD))
        first_id = (session.execute(select(func.max(StrategyRecord.id))).scalar() or 0) + 1
    jobs = [(args.seed, first_id + start, min(args.batch, args.count - start), today,
             args.years, users) for start in range(0, args.count, args.batch)]
    statuses: dict[str, int] = {}
    done = 0
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for records, distribution in pool.imap(make_batch, jobs):
            with engine.begin() as connection:
                connection.execute(insert(StrategyRecord.__table__), records)
                connection.execute(insert(RecordDistribution.__table__), distribution)
            for row in records:
                statuses[row["status"]] = statuses.get(row["status"], 0) + 1
            done += len(records)
            print(f"\r{done}/{args.count} records", end="", flush=True)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            # Explicit ids were inserted: the next record the app creates follows them.
            connection.execute(text("SELECT setval(pg_get_serial_sequence('strategy_record', "
                                    "'id'), (SELECT max(id) FROM strategy_record))"))
        # VACUUM also folds the search index's pending entries in: searches are then as fast
        # as they will be in service.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE strategy_record"))
            connection.execute(text("VACUUM ANALYZE record_distribution"))
    engine.dispose()
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{v} {k}" for k, v in sorted(statuses.items()))
    print(f"\nInserted {done} records ({summary}) into {engine.url.render_as_string()} "
          f"in {elapsed:.1f} s ({done / elapsed:.0f} records/s, {args.workers} workers)")


if __name__ == "__main__":
    main()
