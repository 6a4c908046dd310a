"""The record list: one page of the read model, filtered, searched and sorted in the query.

Keyset paging: Next asks for the rows after the last one shown (by discussion time, then
id), Previous for those before the first, so page 400 costs what page 1 does (offset paging
made the database walk every earlier row). It reads only read-model columns, never the
documents, in one statement whatever the page size.
"""

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    func,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlmodel import Session

from app.clock import uk_today
from app.domain.choices import FINAL_STATUSES, LedBy, Outcome, RecordStatus
from app.domain.identifiers import identifier_key
from app.records.among import GATHERED, WALK, Among, among_rows, by_key, position_key
from app.records.list_query import LISTED_FROM, ListQuery, cursor_of, parse_cursor
from app.records.models import StrategyRecord
from app.records.returns_tables import ChildIdentifier

PAGE_SIZE = 25
# A search that is the start of a reference: references are SR-YYYY-NNNNN, in capitals
# (records/service.py), so "sr-2024" asks for the references that begin with SR-2024.
REFERENCE_START = re.compile(r"SR-[0-9-]*")
# The reference's "SR-YYYY": the first column of its index (migration 0015). Written with
# constants, not parameters, so a prepared statement's plan still matches the index.
REFERENCE_YEAR = func.substr(StrategyRecord.reference, literal_column("1"), literal_column("7"))


def reference_prefix(q: str | None) -> str | None:
    """The start of a reference `q` searches for, if it is one."""
    start = (q or "").strip().upper()
    return start if REFERENCE_START.fullmatch(start) else None



@dataclass(frozen=True)
class ListedRecord:
    id: int
    reference: str
    status: str
    version: int
    team: str | None
    led_by: str | None
    discussion_at: datetime | None
    outcome: str | None
    children_names: list[str]
    blocking_failures: int
    warnings: int
    next_due: date | None
    damaged: bool
    damage_reason: str | None
    sort_at: datetime
    returned_at: datetime | None = None  # a manager returned it (app/followup)
    finalised_at: datetime | None = None  # stored in UTC
    # An EDT-led discussion's day-team review: when due, and when recorded (app/followup).
    review_due: date | None = None
    reviewed_at: datetime | None = None
    referrer_feedback_due: bool = False
    owner: str | None = None  # the display name of whoever started it

    @property
    def is_draft(self) -> bool:
        return self.status == RecordStatus.DRAFT

    @property
    def cursor(self) -> str:
        return cursor_of(self.sort_at, self.id)

    def overdue_since(self, today: date) -> date | None:
        """The next due date, if it has passed (an open action, the day-team review, the
        conference or the next discussion: see service.derived_columns)."""
        return self.next_due if self.next_due is not None and self.next_due < today else None

    def review_overdue(self, today: date) -> bool:
        """An EDT-led record the day team has not reviewed by its review date."""
        return (self.led_by == LedBy.EDT.value and self.status in FINAL_STATUSES
                and self.reviewed_at is None
                and self.review_due is not None and self.review_due < today)

    @property
    def referrer_not_told(self) -> bool:
        return self.referrer_feedback_due and self.status in FINAL_STATUSES

    @property
    def status_choice(self) -> RecordStatus | str:
        return _choice(RecordStatus, self.status)

    @property
    def led_by_choice(self) -> LedBy | str | None:
        return _choice(LedBy, self.led_by)

    @property
    def outcome_choice(self) -> Outcome | str | None:
        return _choice(Outcome, self.outcome)


def _choice(kind, value):
    # A value no longer among the choices (a damaged or old record) is shown as stored.
    return kind(value) if value in kind._value2member_map_ else value


@dataclass(frozen=True)
class Page:
    query: ListQuery
    items: list[ListedRecord]
    has_next: bool
    has_previous: bool
    # Today in the UK, when the page was read: what is overdue is judged against it.
    today: date | None = None

    @property
    def next_cursor(self) -> str | None:
        return self.items[-1].cursor if self.has_next and self.items else None

    @property
    def previous_cursor(self) -> str | None:
        return self.items[0].cursor if self.has_previous and self.items else None


def identified(session: Session, q: str | None) -> list[int]:
    """The records a child's identifier (case-system person ID, NHS number, UPN) `q` names
    exactly, from the identifiers' index: looked up first, so the list's query ORs a short
    list of ids with the name search and both keep their indexes."""
    key = identifier_key(q)
    if not key or len(key) > 40:
        return []
    return list(session.execute(select(ChildIdentifier.record_id).where(
        ChildIdentifier.value == key).distinct().limit(1000)).scalars())


def _named(query: ListQuery, ids: list[int]) -> ColumnElement[bool] | None:
    """A search by part of a name or reference (or a child's identifier, `ids`), if `query`
    is one: not the start of a reference, which has an index in the list's order."""
    if not query.q or reference_prefix(query.q):
        return None
    named = StrategyRecord.search_text.contains(query.q.lower(), autoescape=True)
    return or_(named, StrategyRecord.id.in_(ids)) if ids else named


def _where(statement, visible: ColumnElement[bool], query: ListQuery,
           restrict: ColumnElement[bool] | None, ids: list[int] = (), *, named: bool = True):
    """`statement` limited to the list's records: `named`=False leaves out a search by name
    (for `list_page` to name the records its index found instead)."""
    statement = statement.where(visible)
    if restrict is not None:
        statement = statement.where(restrict)
    prefix = reference_prefix(query.q)
    if prefix:
        # Only capitals, digits and hyphens: nothing in it is a LIKE wildcard.
        statement = statement.where(StrategyRecord.reference.like(prefix + "%"))
        if len(prefix) >= 7:
            # One year's references, read from their index in the list's order. A year is a
            # block of old or new records, so walking the list's own index instead would
            # pass every record outside it (64,000 before the first SR-2024 at 100,000).
            statement = statement.where(REFERENCE_YEAR == prefix[:7])
    elif query.q and named:
        statement = statement.where(_named(query, ids))
    for name in ("status", "led_by", "team", "outcome"):
        value = getattr(query, name)
        if value is not None:
            statement = statement.where(getattr(StrategyRecord, name) == value)
    return statement


def list_page(session: Session, visible: ColumnElement[bool], query: ListQuery,
              page_size: int = PAGE_SIZE, *,
              restrict: ColumnElement[bool] | None = None,
              among: Among | None = None, walk: int = WALK) -> Page:
    """One page of the records `visible` allows, filtered by `query`. `restrict` is a further
    condition ANDed in; it narrows what `visible` allows, never widens it.

    `among` limits the page to some records (`app/records/among.py`). Where their own rows
    come in the order of their days (`Among.by_day`: a report's figure), a page is read from
    those rows, a page's worth of them, however few of the list's records are among them.
    Otherwise by walking: the next `walk` rows of the list are read in order, each asked
    whether it is among them, stopping at a page. That is as quick as the plain list when
    most records are among them, however many there are. Only when those rows hold less
    than a page is the rest found beyond them, and sorted: read first and looked up by key
    when they are at most `GATHERED` (`by_key`), else joined to the list. That costs what
    finding them all costs. Where `among.within` says which sort times hold them (a report's
    period), the walk starts at the first of those, not at the end of the list; those being
    amended are read from their own index.

    A search by name likewise first asks the names' trigram index which records match, and
    lists them by key when they are at most `GATHERED`; a name matching more is common
    enough for the database to walk the list. Left to itself, PostgreSQL chose between the
    two by its estimate of how many records a name matches, and misjudged: a name 186
    records in 100,000 matched, estimated at 500, was walked through 17,000 rows (25 ms,
    where the index takes 2)."""
    ids = identified(session, query.q)
    named = _named(query, ids)
    matched = None if named is None else by_key(
        session, select(StrategyRecord.id).where(named), GATHERED)
    key = tuple_(StrategyRecord.sort_at, StrategyRecord.id)
    # Walking backwards (Previous) reads the list in reverse from the first row shown.
    backwards = query.before is not None
    descending = (query.sort == "newest") != backwards
    order = [c.desc() if descending else c.asc()
             for c in (StrategyRecord.sort_at, StrategyRecord.id)]

    def listed(columns, condition, position, limit: int, chosen=None):
        statement = _where(columns, visible, query, condition, ids, named=matched is None)
        for limited in (matched, restrict, chosen):
            if limited is not None:
                statement = statement.where(limited)
        if position is not None:
            statement = statement.where(key < position if descending else key > position)
        if matched is None and chosen is None:
            return statement.order_by(*order).limit(limit)
        # Records chosen apart from the list are found first and then sorted: OFFSET 0 keeps
        # the database from walking the list's index for them instead, on a guess that they
        # are spread along it (oldest first, 38,000 rows before the first of a recent year).
        looked_up = statement.offset(0).subquery("looked_up")
        return (select(*looked_up.c).order_by(*(
            c.desc() if descending else c.asc() for c in (looked_up.c.sort_at, looked_up.c.id)))
            .limit(limit))

    cursor = query.after or query.before
    at = parse_cursor(cursor) if cursor else None
    # One row more than a page says whether there is another page without counting them all.
    wanted = page_size + 1
    if among is None:
        rows = session.execute(listed(LISTED_FROM, None, position_key(at), wanted)).all()
    else:
        if matched is not None:  # the names' index chose the records: no order of days
            among = replace(among, by_day=None)
        rows = among_rows(session, listed, among, at, descending, wanted, walk)
    items = [ListedRecord(**row._mapping) for row in rows[:page_size]]
    more = len(rows) > page_size
    today = uk_today()
    if backwards:
        return Page(query, items[::-1], has_next=True, has_previous=more, today=today)
    return Page(query, items, has_next=more, has_previous=query.after is not None, today=today)


def count_listed(session: Session, visible: ColumnElement[bool], query: ListQuery, *,
                 restrict: ColumnElement[bool] | None = None) -> int:
    """How many records the list holds over all its pages (its filters, not its position)."""
    statement = _where(select(func.count()).select_from(StrategyRecord), visible, query, restrict,
                       identified(session, query.q))
    return session.execute(statement).scalar_one()
