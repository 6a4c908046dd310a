"""Timeliness of the discussion itself (the header section).

Both are warnings, never blocking: a late discussion is a fact to explain, and refusing to
finalise its record would only delay the record reaching the agencies.

The other timeliness standard, that the record reaches the agencies within
SEND_WITHIN_WORKING_DAYS of the discussion, is not a rule on the document: the document
cannot know when it was sent. It is judged from the receipts (app/sending/receipts.sent_late,
shown per agency by GET /api/strategies/{id}/receipts).
"""

from collections.abc import Iterator
from datetime import date

from app.config import Settings
from app.domain.schema import StrategyRecordData
from app.rules.core import Failure, discussion_day, rule
from app.rules.workdays import add_working_days, within_working_days

PATH = ("header", "discussion_at")


def _days_late(data: StrategyRecordData, days: int) -> date | None:
    """The latest day the discussion could be held within `days` working days of the
    concern, if it was held after it (else None)."""
    concern, held = data.header.concern_at, discussion_day(data)
    if not concern or not held:
        return None
    latest = add_working_days(concern.date(), days)
    return latest if held > latest else None


@rule("timeliness.discussion-within", "warning", "conflict", "header",
      "The discussion took place within the local limit after the concern "
      "(DISCUSSION_WITHIN_WORKING_DAYS)",
      "Strategy discussions should be held promptly once there is reasonable cause to suspect harm")
def _discussion_within(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    latest = _days_late(data, settings.discussion_within_working_days)
    if latest:
        limit = within_working_days(settings.discussion_within_working_days)
        yield Failure(f"The discussion was held after {latest:%-d %B %Y}: more than {limit} "
                      "after the concern arose. Record why in the reasons for the decision", PATH)


@rule("timeliness.discussion-prompt", "warning", "conflict", "header",
      "The discussion took place promptly after the concern (DISCUSSION_WARN_AFTER_WORKING_DAYS)",
      "Strategy discussions should be held promptly once there is reasonable cause to suspect harm")
def _discussion_prompt(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if _days_late(data, settings.discussion_within_working_days):
        return  # the stronger warning says it
    latest = _days_late(data, settings.discussion_warn_after_working_days)
    if latest:
        limit = within_working_days(settings.discussion_warn_after_working_days)
        yield Failure(f"The discussion was held more than {limit} after the concern arose "
                      f"(after {latest:%-d %B %Y})", PATH)
