"""Rules for actions, timescales and who receives the record."""

from collections.abc import Iterator
from datetime import date

from app.config import Settings
from app.domain.choices import (
    S47_OUTCOMES,
    ActionKind,
    ActionStatus,
    Agency,
    Outcome,
    Position,
    Sequence,
)
from app.domain.schema import StrategyRecordData
from app.rules.core import Failure, Kind, agencies_taking_part, discussion_day, missing, rule
from app.rules.dates import s47_start_after_discussion
from app.rules.workdays import add_working_days, is_working_day

# --- actions and next steps ---------------------------------------------------------------

@rule("actions.update-agencies", "blocking", "conflict", "actions",
      "The action 'CSC will update all agencies' has a date on or after the discussion",
      "Finding 4: agencies were not updated, above all when follow-ups were cancelled")
def _update_action(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    index = next((i for i, a in enumerate(data.actions) if a.kind == ActionKind.UPDATE_AGENCIES),
                 None)
    if index is None:
        yield Failure("The record has lost its update-all-agencies action", ("actions",))
        return
    action = data.actions[index]
    path = ("actions", index, "due_date")
    day = discussion_day(data)
    if not action.due_date:
        yield Failure("Enter the date by which CSC will update all agencies", path, Kind.MISSING)
    elif day and action.due_date < day:
        yield Failure("The date to update all agencies must be on or after the discussion", path)
    if action.status == ActionStatus.CANCELLED:
        yield Failure("The update to all agencies cannot be cancelled", ("actions", index, "status"))


@rule("actions.details", "blocking", "missing", "actions",
      "Every action has a description, an owner and a due date",
      "Agencies must know who will do what by when")
def _actions(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    for i, action in enumerate(data.actions):
        if action.kind == ActionKind.UPDATE_AGENCIES:
            continue
        yield from missing(action, ("actions", i), {
            "description": f"Describe action {i + 1}",
            "owner": f"Enter who owns action {i + 1}",
            "due_date": f"Enter a due date for action {i + 1}",
        })


def _icpc_counted_from(data: StrategyRecordData) -> date | None:
    """The conference is due within the limit of the discussion that started the section 47
    enquiry: this one, or for a further discussion the earlier one that started it."""
    header = data.header
    # A start after this discussion is refused (dates.s47-start) and never moves the deadline.
    if (header.sequence == Sequence.FURTHER and header.s47_started_on
            and not s47_start_after_discussion(data)):
        return header.s47_started_on
    return discussion_day(data)


def s47_started_on(data: StrategyRecordData) -> date | None:
    """The section 47 enquiry's start for the returns: the date of the discussion that
    decided it (the census's S47ActualStartDate)."""
    return _icpc_counted_from(data)


def conference_due(data: StrategyRecordData, settings: Settings) -> date | None:
    """The latest date for the initial child protection conference, if a section 47 enquiry
    starts (the form shows it as a hint before anyone types a date)."""
    start = _icpc_counted_from(data)
    return add_working_days(start, settings.icpc_working_days) if start else None


@rule("next.icpc-date", "warning", "missing", "next-steps",
      "A section 47 enquiry has an initial child protection conference date",
      "Timescale: conference within 15 working days of the discussion")
def _icpc_date(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if data.decision.outcome in S47_OUTCOMES and not data.next_steps.icpc_date:
        latest = conference_due(data, settings)
        by = f" (due by {latest:%-d %B %Y})" if latest else ""
        yield Failure(f"Enter the initial child protection conference date{by}",
                      ("next_steps", "icpc_date"))


@rule("next.icpc-within-limit", "blocking", "conflict", "next-steps",
      "The initial child protection conference is within the working-day limit of the discussion "
      "that started the section 47 enquiry",
      "Timescale: conference within 15 working days of the discussion")
def _icpc_within(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    icpc = data.next_steps.icpc_date
    day = discussion_day(data)
    if data.decision.outcome not in S47_OUTCOMES or not icpc or not day:
        return
    latest = conference_due(data, settings)
    path = ("next_steps", "icpc_date")
    if icpc < day:
        yield Failure("The conference cannot be before the discussion", path)
    elif latest is not None and icpc > latest:
        which = ("the discussion that started the section 47 enquiry"
                 if _icpc_counted_from(data) != day else "the discussion")
        yield Failure(f"The conference must be within {settings.icpc_working_days} working days "
                      f"of {which}: by {latest:%-d %B %Y}", path)
    elif not is_working_day(icpc):
        yield Failure("The conference date falls on a weekend or bank holiday", path)


@rule("next.prebirth-conference", "warning", "conflict", "next-steps",
      "A pre-birth conference is held by the configured week of pregnancy",
      "Finding 7: pre-birth protocol timings were not followed")
def _prebirth(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    icpc, day = data.next_steps.icpc_date, discussion_day(data)
    if data.decision.outcome not in S47_OUTCOMES or not icpc or not day:
        return
    for i, child in enumerate(data.children):
        if child.unborn and child.gestation_weeks is not None:
            weeks_at_conference = child.gestation_weeks + (icpc - day).days / 7
            if weeks_at_conference > settings.prebirth_conference_by_weeks:
                yield Failure(
                    f"{child.title(i)} will be about {weeks_at_conference:.0f} weeks' "
                    f"gestation at the conference: the pre-birth protocol expects it by "
                    f"{settings.prebirth_conference_by_weeks} weeks",
                    ("next_steps", "icpc_date"),
                )


@rule("next.prebirth-conference-date", "warning", "missing", "next-steps",
      "An unborn child at or beyond the pre-birth limit (PREBIRTH_CONFERENCE_BY_WEEKS) has a "
      "pre-birth conference date, whatever the outcome",
      "Finding 7: pre-birth protocol timings were not followed")
def _prebirth_date(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if data.next_steps.icpc_date:
        return
    limit = settings.prebirth_conference_by_weeks
    for i, child in enumerate(data.children):
        if child.unborn and child.gestation_weeks is not None and child.gestation_weeks >= limit:
            yield Failure(f"{child.title(i)} is at {child.gestation_weeks} weeks' gestation: the "
                          f"pre-birth protocol expects a conference by {limit} weeks. Enter its "
                          "date", ("next_steps", "icpc_date"))


@rule("next.further-discussion-date", "blocking", "conflict", "next-steps",
      "A decision to hold a further strategy discussion gives its date",
      "Finding 4: follow-up strategies were cancelled without agencies knowing")
def _further_date(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if data.decision.outcome != Outcome.FURTHER_STRATEGY:
        return
    path = ("next_steps", "next_discussion_on")
    nxt, day = data.next_steps.next_discussion_on, discussion_day(data)
    if not nxt:
        yield Failure("Enter the date of the next strategy discussion", path, Kind.MISSING)
    elif day and nxt < day:
        yield Failure("The next discussion must be after this one", path)


# --- distribution -------------------------------------------------------------------------

@rule("distribution.present", "blocking", "missing", "distribution",
      "The record says which agencies receive it",
      "Finding 4: agencies were never told the outcome")
def _distribution(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if not data.distribution:
        yield Failure("Select the organisations that will receive the record", ("distribution",))


def agencies_involved(data: StrategyRecordData) -> set[Agency]:
    """Partner agencies that took part or gave a position: each should receive the record
    (children's social care owns it, and is never sent it)."""
    return (agencies_taking_part(data) | {
        p.agency for p in data.agency_positions
        if p.agency and p.position and p.position != Position.NOT_CONTACTED
    }) - {Agency.CSC}


@rule("distribution.involved", "warning", "missing", "distribution",
      "Every agency that took part or gave a position receives the record",
      "Finding 4: agencies were never told the outcome")
def _distribution_involved(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    involved = agencies_involved(data)
    receiving = {recipient.agency for recipient in data.distribution}
    for agency in sorted(involved - receiving):
        yield Failure(f"{agency.label} was involved but will not receive the record",
                      ("distribution",))
