"""The returns for a period (issue 24): the section 47 enquiries a manager may see, read from
the projection's indexed rows in keyset batches (each in a short session of its own, so
100,000 rows never sit in memory nor hold a connection while the client reads), checked, and
the enquiries still open past the local limit for the manager's page.

One enquiry continued by a further discussion (whose decision names the earlier discussion's
start) is one census item: rows of the same child (person ID) and start date, coming
together in the export's order, are merged, the later records' course filling in the rest."""

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import and_, select, tuple_
from sqlmodel import Session

from app.auth.models import User
from app.config import get_settings
from app.db import count_up_to, get_engine
from app.records.models import StrategyRecord
from app.records.returns_tables import Section47Enquiry as E
from app.returns import checks
from app.rules.workdays import is_working_day
from app.visibility import record_filter

BATCH = 1000
# Problems listed on the Returns page and in the JSON (all are counted).
LISTED_PROBLEMS = 500


@dataclass(frozen=True)
class Item:
    record_id: int
    reference: str
    position: int
    child_title: str
    person_id: str | None
    person_key: str
    unborn: bool
    team: str | None
    start_on: date | None
    icpc_target: date | None
    icpc_on: date | None
    icpc_not_required: bool
    icpc_not_required_reason: str | None
    completed_on: date | None
    outcome: str | None
    records: tuple[int, ...] = ()


COLUMNS = (E.record_id, StrategyRecord.reference, E.position, E.child_title, E.person_id,
           E.person_key, E.unborn, E.team, E.start_on, E.icpc_target, E.icpc_on,
           E.icpc_not_required, E.icpc_not_required_reason, E.completed_on, E.outcome)
ORDER = (E.start_on, E.person_key, E.record_id, E.position)


def _rows(user: User, start: date, end: date, batch: int) -> Iterator[Item]:
    """The period's rows the user may see, in the export's order, a batch per session."""
    after = None
    while True:
        statement = (select(*COLUMNS).join(StrategyRecord, StrategyRecord.id == E.record_id)
                     .where(record_filter(user), E.start_on >= start, E.start_on <= end))
        if after is not None:
            statement = statement.where(tuple_(*ORDER) > tuple_(*after))
        with Session(get_engine()) as session:
            rows = session.execute(statement.order_by(*ORDER).limit(batch)).all()
        for row in rows:
            yield Item(**row._mapping, records=(row.record_id,))
        if len(rows) < batch:
            return
        last = rows[-1]
        after = (last.start_on, last.person_key, last.record_id, last.position)


def _merged(first: Item, later: Item) -> Item:
    return replace(
        first, icpc_on=later.icpc_on or first.icpc_on,
        icpc_not_required=first.icpc_not_required or later.icpc_not_required,
        icpc_not_required_reason=later.icpc_not_required_reason or first.icpc_not_required_reason,
        completed_on=later.completed_on or first.completed_on,
        outcome=later.outcome or first.outcome, records=first.records + later.records)


def items(user: User, start: date, end: date, *, batch: int = BATCH) -> Iterator[Item]:
    """The period's Section47 items: one per child and enquiry."""
    pending = None
    for item in _rows(user, start, end, batch):
        if (pending is not None and item.person_key and item.person_key == pending.person_key
                and item.start_on == pending.start_on):
            pending = _merged(pending, item)
            continue
        if pending is not None:
            yield pending
        pending = item
    if pending is not None:
        yield pending


@dataclass
class Summary:
    rows: int = 0
    failed: int = 0
    problems: list = None  # (item, problem) pairs, the first LISTED_PROBLEMS


def checked(user: User, start: date, end: date, *, batch: int = BATCH) -> Summary:
    """Every item checked: how many, how many failed a check, and the first problems."""
    settings, summary = get_settings(), Summary(problems=[])
    for item in items(user, start, end, batch=batch):
        summary.rows += 1
        found = checks.problems(item, settings)
        summary.failed += bool(found)
        room = LISTED_PROBLEMS - len(summary.problems)
        summary.problems += [(item, problem) for problem in found][:max(room, 0)]
    return summary


def fix_link(item: Item, problem: checks.Problem) -> str:
    if problem.fix == "person_id":
        return f"/strategies/{item.record_id}#children"
    return f"/strategies/{item.records[-1]}/follow-up#section-47"


# --- the manager's page ---------------------------------------------------------------------


def open_since(today: date, working_days: int) -> date:
    """The first start date not yet past the limit: an enquiry started before it has been
    open more than `working_days` working days by `today`."""
    day, counted = today, 0
    while counted < working_days:
        day -= timedelta(days=1)
        counted += is_working_day(day)
    return day


def open_past_limit(session: Session, user: User, today: date, limit: int, cap: int
                    ) -> tuple[int, list]:
    """How many enquiries the user may see are open past S47_OPEN_LIMIT_WORKING_DAYS, counted
    no further than cap + 1 (as the manager's other counts: the page costs the same however
    many there are), and the `limit` oldest (record, child, start)."""
    since = open_since(today, get_settings().s47_open_limit_working_days)
    where = and_(record_filter(user), E.completed_on.is_(None), E.start_on < since)
    count = count_up_to(session, select(E.id).join(
        StrategyRecord, StrategyRecord.id == E.record_id).where(where), cap)
    rows = session.execute(
        select(E.record_id, StrategyRecord.reference, E.child_title, E.start_on)
        .join(StrategyRecord, StrategyRecord.id == E.record_id).where(where)
        .order_by(E.start_on, E.record_id, E.position).limit(limit)).all()
    return count, rows
