"""Rules for the discussion details (the header section)."""

from collections.abc import Iterator
from datetime import date

from app.config import Settings
from app.domain.choices import S47_OUTCOMES, DiscussionFormat, LedBy, Sequence, YesNo
from app.domain.schema import StrategyRecordData
from app.rules.core import Failure, Kind, discussion_day, missing, rule
from app.rules.workdays import add_working_days, within_working_days

# --- discussion details -------------------------------------------------------------------

@rule("header.required", "blocking", "missing", "header",
      "The discussion's date, time, format, chair, minute-taker and lead are recorded",
      "The record must stand alone: agencies do not see CSC's case notes")
def _header_required(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    yield from missing(data.header, ("header",), {
        "concern_at": "Enter the date and time the concern arose",
        "discussion_at": "Enter the date and time of the discussion",
        "format": "Select the format of the discussion",
        "sequence": "Select whether this is the first or a further discussion",
        "chair": "Enter the chair's name",
        "minute_taker": "Enter the minute-taker's name",
        "led_by": "Select whether the day team or EDT led the discussion",
    })


@rule("header.further-linked", "blocking", "missing", "header",
      "A further discussion is linked to the earlier one",
      "Finding 4: follow-up strategies were lost or cancelled without trace")
def _further_linked(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if data.header.sequence == Sequence.FURTHER and not data.header.previous_reference:
        yield Failure("Enter the reference of the earlier strategy discussion",
                      ("header", "previous_reference"))


@rule("header.edt-review", "blocking", "conflict", "header",
      "An EDT-led discussion has a day-team review due within the local limit (EDT_REVIEW_WORKING_DAYS)",
      "Finding 5: EDT-led strategy records were inaccurate")
def _edt_review(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    header = data.header
    if header.led_by != LedBy.EDT:
        return
    path = ("header", "day_team_review_due")
    if not header.day_team_review_due:
        yield Failure("Enter the date the day team will review this EDT discussion", path,
                      Kind.MISSING)
        return
    day = discussion_day(data)
    if day:
        latest = add_working_days(day, settings.edt_review_working_days)
        if header.day_team_review_due > latest:
            limit = within_working_days(settings.edt_review_working_days)
            yield Failure(f"The day-team review must be due by {latest:%-d %B %Y}: "
                          f"{limit} after the discussion", path)
        elif header.day_team_review_due < day:
            yield Failure("The day-team review cannot be due before the discussion", path)


@rule("header.requester", "warning", "missing", "header",
      "The agency that asked for the discussion is recorded",
      "Finding 1: any agency may request a strategy discussion")
def _requester(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if not data.header.requested_by:
        yield Failure("Select which agency requested the discussion", ("header", "requested_by"))


@rule("header.csc-contact", "warning", "missing", "header",
      "The record names a social-care contact with a phone number",
      "The record must stand alone: agencies reading it need someone in CSC to call")
def _csc_contact(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    yield from missing(data.header, ("header",), {
        "csc_contact_name": "Enter the name of the social-care contact for this record",
        "csc_contact_phone": "Enter the social-care contact's phone number",
    })


@rule("header.s47-start-date", "warning", "missing", "header",
      "A further discussion in a section 47 enquiry gives the date of the discussion that "
      "started it",
      "Timescale: the conference is counted from the discussion that started the enquiry")
def _s47_started(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    header = data.header
    if (header.sequence == Sequence.FURTHER and data.decision.outcome in S47_OUTCOMES
            and not header.s47_started_on):
        yield Failure("Enter the date of the discussion that started the section 47 enquiry: "
                      "the conference is counted from it", ("header", "s47_started_on"))


@rule("header.phone-only-meeting", "warning", "conflict", "header",
      "A section 47 enquiry where earlier enquiries exist is decided at a meeting, not only "
      "by phone",
      "Local procedures: phone-only discussions are for the first, urgent response")
def _phone_only(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if (data.header.format == DiscussionFormat.PHONE
            and data.decision.outcome in S47_OUTCOMES
            and data.analysis.earlier_enquiries == YesNo.YES):
        yield Failure("There have been earlier section 47 enquiries: local procedures expect a "
                      "meeting (in person or by video), not phone calls alone",
                      ("header", "format"))
