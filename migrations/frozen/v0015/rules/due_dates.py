"""Due dates the service works out for people, in working days (England and Wales)."""

from datetime import date, datetime

from migrations.frozen.v0015.clock import uk_date
from migrations.frozen.v0015.config import Settings
from migrations.frozen.v0015.rules.workdays import add_working_days, is_working_day


def edt_review_due(discussion_at: datetime | None, settings: Settings) -> date | None:
    """When the day team must review an EDT-led discussion: EDT_REVIEW_WORKING_DAYS working
    days after the discussion (an EDT discussion on a Saturday night is reviewed on Monday,
    or on Tuesday after a bank holiday Monday)."""
    if discussion_at is None:
        return None
    return add_working_days(discussion_at.date(), settings.edt_review_working_days)


def update_agencies_due(discussion_on: date, settings: Settings) -> date:
    """The date offered for the update-all-agencies action: UPDATE_AGENCIES_WORKING_DAYS
    working days after the discussion (the user may agree another)."""
    return add_working_days(discussion_on, settings.update_agencies_working_days)


def cancellation_update_due(cancelled_on: date, settings: Settings) -> date:
    """By when CSC tells every agency that a further discussion was cancelled, and why."""
    return add_working_days(cancelled_on, settings.cancellation_update_working_days)


def referrer_feedback_due_on(discussion_on: date | None, settings: Settings) -> date | None:
    """By when CSC tells a named referrer the outcome: REFERRER_FEEDBACK_WORKING_DAYS working
    days after the discussion."""
    if discussion_on is None:
        return None
    return add_working_days(discussion_on, settings.referrer_feedback_working_days)


def working_days_overdue(due: date, today: date) -> int:
    """How many working days have passed since `due` (0 if it is not yet past)."""
    count, day = 0, due
    while day < today:
        day = date.fromordinal(day.toordinal() + 1)
        if is_working_day(day):
            count += 1
    return count


def sent_late(discussion_at: datetime | None, sent_at: datetime, settings: Settings) -> bool:
    """Sent later than SEND_WITHIN_WORKING_DAYS after the discussion (UK wall-clock)."""
    if discussion_at is None:
        return False
    return uk_date(sent_at) > add_working_days(discussion_at.date(),
                                               settings.send_within_working_days)
