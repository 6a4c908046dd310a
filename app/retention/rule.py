"""The retention rule: which records are past the time the authority keeps them.

It reads three indexed columns of strategy_record, never a document: `youngest_born` and
`born_unknown` (derived from the children by `records.service.retention_columns`) and
`updated_at` (bumped by every save, finalise and follow-up, so "the last change" is the last
version or anything recorded after it). `due_clause` is the rule as a WHERE clause; `due_on`
is the same rule for one row, for showing the day it became due. A record is due on the day
itself: the day before the 25th birthday it is kept, on the birthday it is due.

- "youngest_child": due on the youngest child's RETENTION_CHILD_AGE_YEARS birthday (born
  29 February: 1 March in other years). When any child has no known date of birth (or no
  expected date of delivery, if unborn), or the record names no child, the youngest is not
  known: it is kept until that many years and one more after the last change (the unknown
  child was at most unborn then, so their birthday cannot come later), and never before the
  known youngest child's birthday.
- "after_last_change": due RETENTION_YEARS_AFTER_LAST_CHANGE years after the last change.
- "later_of_both": due when both have passed.

A record whose retention columns are not derived yet (NULL, before the upgrade's
re-projection) is never due.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, false, or_

from app.clock import UK, uk_local
from app.config import Settings
from app.records.models import StrategyRecord

r = StrategyRecord


def anniversary(day: date, years: int) -> date:
    """The day `years` after `day` (29 February falls on 1 March in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def years_before(today: date, years: int) -> date:
    """The latest day whose `years` anniversary is on or before `today`."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return date(today.year - years, 2, 28)


def uk_day(moment: datetime) -> date:
    return uk_local(moment).date()


def _changed_on_or_before(day: date) -> ColumnElement[bool]:
    """updated_at fell on `day` (UK) or earlier: before the next UK midnight, in UTC."""
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UK).astimezone(UTC)
    return r.updated_at < midnight


def _child_clause(settings: Settings, today: date) -> ColumnElement[bool]:
    # Two branches, each a range of one index (youngest_born, updated_at), so the database
    # reads two index ranges rather than every row.
    age = settings.retention_child_age_years
    born_by = years_before(today, age)
    every_date_known = and_(r.born_unknown.is_(False), r.youngest_born <= born_by)
    some_unknown = and_(r.born_unknown.is_(True),
                        _changed_on_or_before(years_before(today, age + 1)),
                        or_(r.youngest_born.is_(None), r.youngest_born <= born_by))
    return or_(every_date_known, some_unknown)


def due_clause(settings: Settings, today: date) -> ColumnElement[bool]:
    """The records past retention on `today`, as a WHERE clause on strategy_record."""
    after = _changed_on_or_before(years_before(today, settings.retention_years_after_last_change))
    if settings.retention_rule == "youngest_child":
        return _child_clause(settings, today)
    if settings.retention_rule == "after_last_change":
        return after
    if settings.retention_rule == "later_of_both":
        return and_(_child_clause(settings, today), after)
    return false()


@dataclass(frozen=True)
class Columns:
    youngest_born: date | None
    born_unknown: bool | None
    updated_at: datetime


def due_on(row: Columns, settings: Settings) -> date | None:
    """The day the record became (or becomes) due under the rule; None if never derived."""
    changed = uk_day(row.updated_at)
    after = anniversary(changed, settings.retention_years_after_last_change)
    if settings.retention_rule == "after_last_change":
        return after
    if row.born_unknown is None:
        return None
    age = settings.retention_child_age_years
    days = [anniversary(row.youngest_born, age)] if row.youngest_born else []
    if row.born_unknown:
        days.append(anniversary(changed, age + 1))
    child = max(days)
    return max(child, after) if settings.retention_rule == "later_of_both" else child


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def describe(settings: Settings) -> str:
    age, years = settings.retention_child_age_years, settings.retention_years_after_last_change
    child = (f"until the youngest child's {_ordinal(age)} birthday ({age + 1} years after the last "
             "change when a child's date of birth is not known)")
    after = f"for {years} years after the record last changed"
    return {"youngest_child": f"Kept {child}.", "after_last_change": f"Kept {after}.",
            "later_of_both": f"Kept {child}, and {after}, whichever is later."
            }[settings.retention_rule]
