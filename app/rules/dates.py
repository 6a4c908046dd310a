"""Dates judged against the discussion: one place for "this cannot be dated before that".

A fact can only follow what it follows. What is recorded after the meeting (an action done,
the referrer told, the day team's review) cannot be dated before the discussion's day; in the
record's own document, a contribution to the discussion cannot be dated before the day the
concern arose, the referrer cannot have been told the outcome before the discussion that
decided it, and the section 47 enquiry a further discussion continues cannot have started
after it. Dated on the boundary day itself is always accepted: times of day are not compared,
so a concern noted at 10:00 and a phone contribution at 09:30 the same day are not refused.

The document's checks are rules (the registry in core.py), so the form, the API, the task
list and the printed record agree; the follow-up forms ask `followup_date`. The year typed in
full is the schema's (app/domain/schema.year_in_full) and the typed date's reading is
app/parsing.typed_date. Checks written before this module stay with their sections: the
conference, the next discussion, the day-team review due date and the update-all-agencies
date (next_steps.py, header.py).
"""

from collections.abc import Iterator
from datetime import date

from app.config import Settings
from app.domain.schema import StrategyRecordData
from app.parsing import typed_date
from app.rules.core import Failure, discussion_day, rule


def _day(value: date | None) -> str:
    return f"{value:%-d %B %Y}" if value else ""


def concern_day(data: StrategyRecordData) -> date | None:
    return data.header.concern_at.date() if data.header.concern_at else None


def s47_start_after_discussion(data: StrategyRecordData) -> bool:
    """A section 47 start date later than this discussion: it cannot be the date of the
    discussion that started the enquiry, and must not move the conference deadline."""
    started, day = data.header.s47_started_on, discussion_day(data)
    return bool(started and day and started > day)


# --- the record's own dates --------------------------------------------------------------------

@rule("dates.s47-start", "blocking", "conflict", "header",
      "The section 47 enquiry started on or before this discussion",
      "Timescale: the conference is counted from the discussion that started the enquiry")
def _s47_start(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if s47_start_after_discussion(data):
        yield Failure(f"The section 47 enquiry cannot have started after this discussion on "
                      f"{_day(discussion_day(data))}: enter the date of the discussion that "
                      "started it", ("header", "s47_started_on"))


@rule("dates.referrer-told", "blocking", "conflict", "grounds",
      "The referrer was told the outcome on or after the discussion",
      "Finding 8: referrers were not told the outcome of their referral")
def _referrer_told(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    told, day = data.grounds.referrer_informed_on, discussion_day(data)
    if told and day and told < day:
        yield Failure(f"The referrer cannot have been told the outcome before the discussion "
                      f"on {_day(day)}", ("grounds", "referrer_informed_on"))


@rule("dates.contributions", "blocking", "conflict", "participants",
      "No contribution is dated before the concern arose",
      "Finding 2: records must show who contributed, how and when")
def _contributions(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    concern = concern_day(data)
    if concern is None:
        return
    for index, person in enumerate(data.participants):
        if person.contributed_at and person.contributed_at.date() < concern:
            who = person.name or f"Participant {index + 1}"
            yield Failure(f"{who}'s contribution cannot be before the concern arose on "
                          f"{_day(concern)}", ("participants", index, "contributed_at"))


# --- what is recorded after the meeting ---------------------------------------------------------

def followup_date(raw: object, data: StrategyRecordData, today: date, *, missing: str,
                  label: str) -> date:
    """The date of something recorded after the meeting (`label` names it: "The date it was
    done"), read as typed: not in the future and not before the discussion's day.
    ValueError with the message to show otherwise."""
    if isinstance(raw, date):
        value = raw
    else:
        text = raw.strip() if isinstance(raw, str) else ""  # a field posted twice is a list
        if not text:
            raise ValueError(missing)
        value = typed_date(text)
    if value > today:
        raise ValueError(f"{label} must not be in the future")
    day = discussion_day(data)
    if day and value < day:
        raise ValueError(f"{label} cannot be before the discussion on {_day(day)}")
    return value
