"""The working-day calendar in the database: one row a day, numbering the working days, so a
query counts working days between two dates by subtracting two numbers (the actions tracker's
"N working days overdue") instead of walking the days in Python row by row.

`number` is how many working days (England and Wales, app/rules/workdays.py) there are from
FIRST_DAY up to and including the day; working days in (a, b] are number(b) - number(a).
Migration 0013 fills it; `refresh` rewrites any row the installed `holidays` package now
disagrees with (a bank holiday announced later: `python -m app migrate` runs it).
"""

from datetime import date, timedelta

from sqlalchemy import Column, ColumnElement, Date, Integer, case, literal, select
from sqlmodel import Field, Session, SQLModel, col

from app.rules.workdays import is_working_day

FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2100, 12, 31)


class WorkingDay(SQLModel, table=True):
    __tablename__ = "working_day"

    day: date = Field(sa_column=Column(Date, primary_key=True))
    number: int = Field(sa_column=Column(Integer, nullable=False))


def numbered_days(first: date = FIRST_DAY, last: date = LAST_DAY) -> list[tuple[date, int]]:
    """Every day from `first` to `last` with its working-day number."""
    days, number, day = [], 0, first
    while day <= last:
        number += is_working_day(day)
        days.append((day, number))
        day += timedelta(days=1)
    return days


def refresh(session: Session) -> int:
    """Make the table agree with `holidays` as installed; how many rows were rewritten."""
    stored = dict(session.execute(select(col(WorkingDay.day), col(WorkingDay.number))).all())
    changed = [(day, number) for day, number in numbered_days() if stored.get(day) != number]
    for day, number in changed:
        session.merge(WorkingDay(day=day, number=number))
    session.commit()
    return len(changed)


def number_of(session: Session, day: date) -> int:
    """`day`'s working-day number (FIRST_DAY's or LAST_DAY's outside the calendar)."""
    day = min(max(day, FIRST_DAY), LAST_DAY)
    number: int = session.execute(select(col(WorkingDay.number)).where(
        col(WorkingDay.day) == day)).scalar_one()
    return number


def working_days_since(due_column: ColumnElement[date | None], today_number: int) -> ColumnElement[int]:
    """SQL: working days from the date in `due_column` to the day numbered `today_number`
    (0 if not yet past): join WorkingDay on `due_column` (outer) for `col(WorkingDay.number)`.
    A due date before the calendar counts from its first day."""
    past = literal(today_number) - col(WorkingDay.number)
    return case((due_column.is_(None), 0), (col(WorkingDay.number).is_(None), literal(today_number)),
                (past > 0, past), else_=0)
