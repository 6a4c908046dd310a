"""A page of the record list limited to some records (a report's "the records behind this
figure"), found without reading every one of them where that can be helped
(`listing.list_page`, issue 26)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from app.auth.models import User
from app.db import inline
from app.domain.choices import RecordStatus
from app.records.list_query import LISTED, LISTED_FROM
from app.records.models import StrategyRecord

# How many rows of the list a page asks one at a time (`Among.asked`) before it gathers the
# rest: at 5-15 us a row, a few milliseconds at most.
WALK = 1000
# How many records a page looks up by key, read first, before it leaves the database to
# choose how to find them (`by_key`).
GATHERED = 2000


@dataclass(frozen=True)
class Among:
    """Some records a page is limited to, given two ways: `ids`, a query of their ids, to
    gather them; `asked`, a condition on one record that the database asks of each in turn
    (a scalar subquery, which it cannot turn into a join).

    `within`, if given, is where in the list they are: sort times [from, until) that hold
    every one of them except records being amended (`BEING_AMENDED`), whose list row is the
    draft and may have moved. The page then starts at that range, not at the list's end,
    and finds those amended from their own index.

    `by_day`, if given (with `within`), is their rows (`record_id`, `day`) in an order the
    database can read from an index: `day` the date of each one's sort time, but for those
    being amended. A record may have several rows."""

    ids: Select
    asked: ColumnElement[bool]
    within: tuple[datetime, datetime] | None = None
    by_day: Select | None = None


# A record whose list row is an amendment being drafted (or a version returned to its
# author), while an earlier version stays in force (ix_strategy_record_amending).
BEING_AMENDED = and_(StrategyRecord.status == inline(RecordStatus.DRAFT.value),
                     StrategyRecord.latest_final_version.is_not(None))

# listed(columns, condition, position, limit, chosen=None): the list's statement for a page
# (its visibility, filters, position, order and limit), as `listing.list_page` makes it.
Listed = Callable[..., Select]


def position_key(at: tuple[datetime, int] | None):
    return None if at is None else tuple_(*at)


def among_rows(session: Session, listed: Listed, among: Among, at, descending: bool,
               wanted: int, walk: int) -> list:
    """The first `wanted` rows after `at` of the records `among`, in the list's order."""
    if among.within is None:
        return _walked(session, listed, among, None, at, descending, wanted, walk)
    since, until = among.within
    inside = and_(StrategyRecord.sort_at >= since, StrategyRecord.sort_at < until)
    # The range's edge as a position: ids start at 1, so (since, 0) comes before every row at
    # `since`, and (until, 0) after every row before `until`.
    edge = (until, 0) if descending else (since, 0)
    start = edge if at is None else (max, min)[descending](at, edge)
    if among.by_day is not None:
        rows = _by_day(session, listed, among.by_day, inside, start, descending, wanted)
        # Those being amended, anywhere up to the last of those rows (if they fill a page).
        amended = [BEING_AMENDED]
        if len(rows) == wanted:
            amended.append(tuple_(StrategyRecord.sort_at, StrategyRecord.id) >= (
                rows[-1].sort_at, rows[-1].id) if descending else tuple_(
                StrategyRecord.sort_at, StrategyRecord.id) <= (rows[-1].sort_at, rows[-1].id))
    else:
        rows = _walked(session, listed, among, inside, start, descending, wanted, walk)
        # Those amended come before the range in the list's order (newer, newest first), or
        # after it, which only matter when the range holds less than a page.
        before = StrategyRecord.sort_at >= until if descending else StrategyRecord.sort_at < since
        amended = [BEING_AMENDED, before if len(rows) == wanted else ~inside]
    found = session.execute(listed(LISTED_FROM, and_(*amended, among.asked), position_key(at),
                                   wanted)).all()
    return sorted(rows + found, key=lambda row: (row.sort_at, row.id),
                  reverse=descending)[:wanted]


def _by_day(session: Session, listed: Listed, by_day: Select, inside, start, descending: bool,
            wanted: int) -> list:
    """The first `wanted` records after `start` of those not being amended, read from their
    rows in the order of their days: a page's worth of the rows and their records, however
    many the list or the figure holds. Each record's day is the date of its sort time, so
    (day, sort time, id) is the list's order.

    First the days of the next `wanted` records, read in the order of their rows' index,
    then every row of those days, sorted: the last of those days may hold more records than
    the first read gave. Each row's record is looked up by key in turn (`_each_looked_up`):
    PostgreSQL, guessing how many rows a page needs, otherwise joined the whole period's
    rows to every record the list may show (28 ms at 100,000 records), and asked for the
    page in one statement, sorted all the period's rows (7 ms)."""
    behind = by_day.subquery("behind")
    day = behind.c.day
    rows, record = _each_looked_up(session, behind, listed(
        select(StrategyRecord.sort_at, StrategyRecord.id), and_(~BEING_AMENDED, inside),
        position_key(start), None).order_by(None))
    rows = rows.where(day <= start[0].date() if descending else day >= start[0].date())
    in_order = [c.desc() if descending else c.asc() for c in (day, record.c.sort_at, record.c.id)]
    # The day of each of the next `wanted` records (one a record, whatever its rows)...
    days = session.execute(rows.with_only_columns(day).group_by(day, record.c.id)
                           .order_by(in_order[0]).limit(wanted)).scalars().all()
    picked = rows.with_only_columns(day, record.c.sort_at, record.c.id)
    if len(days) == wanted:  # ... so every record of the days up to the last of them
        picked = picked.where(day >= days[-1] if descending else day <= days[-1])
    picked = picked.order_by(*in_order).distinct().limit(wanted).subquery("picked")
    return session.execute(
        select(*LISTED).select_from(picked).join(StrategyRecord, StrategyRecord.id == picked.c.id)
        .outerjoin(User, User.id == StrategyRecord.created_by_id)
        .order_by(*(c.desc() if descending else c.asc()
                    for c in (picked.c.sort_at, picked.c.id)))).all()


def _each_looked_up(session: Session, behind, records: Select):
    """The rows `behind` (a subquery with `record_id`) joined to their records as `records`
    (a SELECT of strategy_record's columns, its conditions) gives them, and those records as
    a FROM: on PostgreSQL each row's record looked up by key in turn (LATERAL, so that it
    never joins the whole period's rows by hash); SQLite, without LATERAL, joins so anyway."""
    if session.get_bind().dialect.name == "postgresql":
        record = records.where(StrategyRecord.id == behind.c.record_id).limit(1).lateral("record")
        return select(behind).join(record, true()), record
    record = records.subquery("record")
    return select(behind).join(record, record.c.id == behind.c.record_id), record


def _walked(session: Session, listed: Listed, among: Among, condition, at, descending: bool,
            wanted: int, walk: int) -> list:
    """The first `wanted` rows after `at` (under `condition`) that are `among` the records:
    the next `walk` rows asked in turn, then, if they hold fewer, the rest found beyond."""
    rows = session.execute(_asked_in_turn(
        listed(select(StrategyRecord.id, StrategyRecord.sort_at), condition, position_key(at),
               walk), among.asked, descending, wanted)).all()
    if len(rows) < wanted:
        last = session.execute(listed(select(StrategyRecord.sort_at, StrategyRecord.id),
                                      condition, position_key(at), 1).offset(walk - 1)).first()
        if last is not None:  # the walk stopped short of the end of the list
            gathered = by_key(session, among.ids, GATHERED)
            if gathered is None:
                gathered = StrategyRecord.id.in_(among.ids.scalar_subquery())
            rows += session.execute(listed(LISTED_FROM, condition, tuple_(*last),
                                           wanted - len(rows), chosen=gathered)).all()
    return rows


def _asked_in_turn(walked, asked: ColumnElement[bool], descending: bool, limit: int):
    """The listed columns of the `walked` rows (ids and sort times, in list order) that
    `asked` holds for, in the same order. Ordered by the walked rows' own columns, the
    database reads them in turn and stops at `limit`, instead of asking every one."""
    walked = walked.subquery("walked")
    order = [c.desc() if descending else c.asc() for c in (walked.c.sort_at, walked.c.id)]
    return (select(*LISTED).select_from(walked)
            .join(StrategyRecord, StrategyRecord.id == walked.c.id)
            .outerjoin(User, User.id == StrategyRecord.created_by_id)
            .where(asked).order_by(*order).limit(limit))


def by_key(session: Session, ids: Select, cap: int) -> ColumnElement[bool] | None:
    """The record is one of those `ids` names, as the list of them, for the page to look
    each up by key; None if they are more than `cap`. Given the list, the database knows
    how many it holds; asked `IN (ids)` it guessed, and for a guess of a few hundred read
    every record the list may show (44 ms at 100,000 where the lookups take 7). On
    PostgreSQL the list is one array parameter (a parameter each cost 3 ms to expand and
    send for a few hundred)."""
    found = session.execute(ids.limit(cap + 1)).scalars().all()
    if len(found) > cap:
        return None
    if session.get_bind().dialect.name == "postgresql":
        return StrategyRecord.id == any_(
            bindparam("chosen", found, type_=postgresql.ARRAY(Integer)))
    return StrategyRecord.id.in_(found)


def ids_by_day(session: Session, by_day: Select, visible: ColumnElement[bool],
               after: tuple | None, limit: int) -> list:
    """(day, id) of the records the rows `by_day` name that `visible` allows, in order of
    day and then id, after `after` (a day and an id), at most `limit`: read from the rows'
    own index, so a page costs what its records cost, however many there are in all (a
    figure's ids in id order had to gather all of them first: 24,000 rows at 100,000)."""
    behind = by_day.subquery("behind")
    day = behind.c.day
    rows, record = _each_looked_up(session, behind, select(StrategyRecord.id).where(visible))
    record_id = record.c.id
    rows = rows.with_only_columns(day, record_id)
    if after is not None:
        rows = rows.where(day >= after[0], tuple_(day, record_id) > tuple_(*after))
    return session.execute(rows.group_by(day, record_id).order_by(day, record_id)
                           .limit(limit)).all()
