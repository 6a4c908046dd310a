"""The working-day rules one function at a time (app/rules/due_dates.py, calendar.py and
dates.py): each due date on an ordinary week, across a weekend and across a bank holiday, and
each boundary (the due day itself, the day after). Every answer is worked out by hand from the
England and Wales calendar: Good Friday 3 April 2026 and Easter Monday 6 April 2026 are bank
holidays; 1 January 2026 is a Thursday."""

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Date, literal, select

from app.config import Settings
from app.rules.calendar import (
    FIRST_DAY,
    LAST_DAY,
    WorkingDay,
    number_of,
    numbered_days,
    refresh,
    working_days_since,
)
from app.rules.dates import followup_date
from app.rules.due_dates import (
    cancellation_update_due,
    edt_review_due,
    referrer_feedback_due_on,
    sent_late,
    uk_date,
    update_agencies_due,
    working_days_overdue,
)
from tests.builders import record_with

# Distinct limits, so a function that read the wrong one gives a different date.
SETTINGS = Settings(edt_review_working_days=1, update_agencies_working_days=5,
                    cancellation_update_working_days=2, referrer_feedback_working_days=3,
                    send_within_working_days=1)
MAUNDY_THURSDAY = date(2026, 4, 2)
TUESDAY_AFTER_EASTER = date(2026, 4, 7)


def test_edt_review_is_due_the_next_working_day_after_a_bank_holiday_weekend():
    # Thursday night before Easter: Good Friday, the weekend and Easter Monday are skipped.
    assert edt_review_due(datetime(2026, 4, 2, 22, 0), SETTINGS) == TUESDAY_AFTER_EASTER
    assert edt_review_due(datetime(2026, 4, 14, 22, 0), SETTINGS) == date(2026, 4, 15)
    assert edt_review_due(datetime(2026, 4, 14, 22, 0), Settings(edt_review_working_days=2)) \
        == date(2026, 4, 16)
    assert edt_review_due(None, SETTINGS) is None


def test_update_agencies_and_cancellation_updates_count_their_own_limits():
    # Five working days from Thursday 2 April 2026: Tue 7, Wed 8, Thu 9, Fri 10, Mon 13.
    assert update_agencies_due(MAUNDY_THURSDAY, SETTINGS) == date(2026, 4, 13)
    # Two: Tue 7, Wed 8.
    assert cancellation_update_due(MAUNDY_THURSDAY, SETTINGS) == date(2026, 4, 8)
    # Three: Tue 7, Wed 8, Thu 9.
    assert referrer_feedback_due_on(MAUNDY_THURSDAY, SETTINGS) == date(2026, 4, 9)
    assert referrer_feedback_due_on(None, SETTINGS) is None


@pytest.mark.parametrize(("due", "today", "overdue"), [
    (date(2026, 4, 2), date(2026, 4, 1), 0),  # not yet due
    (date(2026, 4, 2), date(2026, 4, 2), 0),  # the due day itself
    (date(2026, 4, 1), date(2026, 4, 2), 1),  # the day after
    (date(2026, 4, 2), date(2026, 4, 6), 0),  # Good Friday to Easter Monday: no working day
    (date(2026, 4, 2), date(2026, 4, 7), 1),  # Tuesday after Easter
    (date(2026, 4, 2), date(2026, 4, 10), 4),  # Tue, Wed, Thu, Fri
], ids=str)
def test_working_days_overdue_counts_only_working_days_after_the_due_day(due, today, overdue):
    assert working_days_overdue(due, today) == overdue


def test_a_stored_moment_is_read_on_the_uk_calendar():
    # 23:30 UTC on 30 June is 00:30 on 1 July in British Summer Time; naive means UTC.
    assert uk_date(datetime(2026, 6, 30, 23, 30)) == date(2026, 7, 1)
    assert uk_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2026, 7, 1)
    assert uk_date(datetime(2026, 1, 30, 23, 30)) == date(2026, 1, 30)  # GMT: the same day
    # A moment stored with another zone is read in it: 20:30 in New York is 01:30 in London.
    assert uk_date(datetime(2026, 1, 30, 20, 30, tzinfo=timezone(timedelta(hours=-5)))) \
        == date(2026, 1, 31)


def test_a_stored_moment_without_a_zone_is_utc_whatever_the_servers_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert uk_date(datetime(2026, 1, 30, 23, 30)) == date(2026, 1, 30)
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(("sent", "late"), [
    (datetime(2026, 4, 7, 22, 59, tzinfo=UTC), False),  # 23:59 BST on the due day
    (datetime(2026, 4, 7, 23, 0, tzinfo=UTC), True),  # 00:00 BST the day after
    (datetime(2026, 4, 2, 12, 0), False),  # the same day (naive: UTC)
], ids=str)
def test_sent_late_is_judged_on_the_uk_day_after_the_working_day_limit(sent, late):
    # Discussed on Maundy Thursday: one working day on is the Tuesday after Easter.
    assert sent_late(datetime(2026, 4, 2, 10, 0), sent, SETTINGS) is late


def test_sent_late_counts_its_own_limit_and_nothing_without_a_discussion():
    sent = datetime(2026, 4, 8, 12, 0, tzinfo=UTC)
    assert sent_late(datetime(2026, 4, 2, 10, 0), sent, Settings(send_within_working_days=2)) \
        is False
    assert sent_late(None, sent, SETTINGS) is False


def test_numbered_days_count_working_days_up_to_and_including_each_day():
    days = numbered_days(date(2026, 4, 1), date(2026, 4, 7))
    assert days == [(date(2026, 4, 1), 1), (date(2026, 4, 2), 2), (date(2026, 4, 3), 2),
                    (date(2026, 4, 4), 2), (date(2026, 4, 5), 2), (date(2026, 4, 6), 2),
                    (date(2026, 4, 7), 3)]
    # A non-working first day is numbered 0.
    assert numbered_days(date(2026, 4, 4), date(2026, 4, 4)) == [(date(2026, 4, 4), 0)]


def test_the_calendar_table_numbers_working_days_and_refresh_mends_a_wrong_row(session):
    # Working days in (Wed 1 April, Tue 7 April]: Thursday 2 and Tuesday 7 only.
    assert number_of(session, date(2026, 4, 7)) - number_of(session, date(2026, 4, 1)) == 2
    # The calendar starts on New Year's Day 1990, a bank holiday: numbered 0; Tuesday 2nd is 1.
    assert number_of(session, date(1980, 6, 1)) == number_of(session, FIRST_DAY) == 0
    assert number_of(session, date(1990, 1, 2)) == 1
    assert number_of(session, date(2200, 1, 1)) == number_of(session, LAST_DAY)
    right = number_of(session, date(2026, 4, 7))
    session.merge(WorkingDay(day=date(2026, 4, 7), number=right + 5))
    session.commit()
    try:
        assert refresh(session) == 1
        assert number_of(session, date(2026, 4, 7)) == right
        assert refresh(session) == 0
    finally:
        session.merge(WorkingDay(day=date(2026, 4, 7), number=right))
        session.commit()


@pytest.mark.parametrize(("due", "today", "overdue"), [
    (date(2026, 4, 2), date(2026, 4, 2), 0),  # the due day
    (date(2026, 4, 2), date(2026, 4, 6), 0),  # over Easter
    (date(2026, 4, 2), date(2026, 4, 7), 1),  # the Tuesday after
    (date(2026, 4, 7), date(2026, 4, 2), 0),  # not yet due
    (None, date(2026, 4, 7), 0),  # no due date
], ids=str)
def test_working_days_since_in_sql_agrees_with_working_days_overdue(session, due, today,
                                                                    overdue):
    due_row = select(literal(due, Date).label("due")).subquery()
    query = select(working_days_since(due_row.c.due, number_of(session, today))).select_from(
        due_row.outerjoin(WorkingDay, WorkingDay.day == due_row.c.due))
    assert session.execute(query).scalar_one() == overdue
    if due:
        assert working_days_overdue(due, today) == overdue


def test_a_due_date_before_the_calendar_counts_from_its_first_day(session):
    due_row = select(literal(date(1980, 1, 1), Date).label("due")).subquery()
    query = select(working_days_since(due_row.c.due, 42)).select_from(
        due_row.outerjoin(WorkingDay, WorkingDay.day == due_row.c.due))
    assert session.execute(query).scalar_one() == 42


# --- a date recorded after the meeting (app/rules/dates.followup_date) -------------------------

RECORD = record_with(header={"discussion_at": "2026-04-02T10:00:00",
                             "concern_at": "2026-04-02T08:00:00"})
TODAY = date(2026, 4, 10)


def _followup(raw, today=TODAY):
    return followup_date(raw, RECORD, today, missing="Enter the date it was done",
                         label="The date it was done")


def test_a_followup_date_on_the_discussion_day_or_today_is_accepted():
    assert _followup("2/4/2026") == date(2026, 4, 2)
    assert _followup("  10/4/2026 ") == TODAY
    assert _followup(date(2026, 4, 2)) == date(2026, 4, 2)


@pytest.mark.parametrize(("raw", "message"), [
    ("", "Enter the date it was done"),
    ("   ", "Enter the date it was done"),
    (["2/4/2026", "3/4/2026"], "Enter the date it was done"),
    ("11/4/2026", "The date it was done must not be in the future"),
    (date(2026, 4, 11), "The date it was done must not be in the future"),
    ("1/4/2026", "The date it was done cannot be before the discussion on 2 April 2026"),
], ids=repr)
def test_a_followup_date_missing_in_the_future_or_before_the_discussion_is_refused(raw, message):
    with pytest.raises(ValueError) as refused:
        _followup(raw)
    assert str(refused.value) == message


def test_a_followup_date_needs_no_discussion_day_to_compare_with():
    undated = record_with(header={"discussion_at": None})
    assert followup_date("1/1/2026", undated, TODAY, missing="x", label="y") == date(2026, 1, 1)


def test_the_followup_date_before_the_discussion_is_refused_a_day_earlier_only():
    assert _followup(date(2026, 4, 2) + timedelta(days=1)) == date(2026, 4, 3)
