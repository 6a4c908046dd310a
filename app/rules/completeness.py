"""The completeness rules. Every view of completeness (task list, finalise, API, PDF) calls these.

Each rule returns the failures it finds; a rule with no failures has passed. A failure
names the field it is about, so an error summary can link straight to it.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.config import Settings
from app.records.choices import (
    HEALTH_AGENCIES,
    OUTSIDE_MEETING_MODES,
    S47_OUTCOMES,
    ActionKind,
    ActionStatus,
    Agency,
    ContributionMode,
    LedBy,
    Outcome,
    Position,
    Sequence,
    YesNo,
)
from app.records.schema import Child, StrategyRecordData, uk_now
from app.rules.workdays import add_working_days, is_working_day, within_working_days


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"


class Kind(StrEnum):
    MISSING = "missing"  # something is not filled in yet
    CONFLICT = "conflict"  # something is filled in but breaks a rule


@dataclass(frozen=True)
class Failure:
    message: str
    path: tuple  # e.g. ("participants", 2, "phone")
    # Set where one rule finds both kinds: a date not given (missing) or given but too late.
    kind: Kind | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    kind: Kind
    section: str
    message: str
    finding: str
    # (data, settings, today): "today" is the UK date the caller's clock gives, so rules stay pure.
    check: Callable[[StrategyRecordData, Settings, date], Iterator[Failure]]


@dataclass(frozen=True)
class Result:
    rule: Rule
    failures: tuple[Failure, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


RULES: list[Rule] = []


def rule(id, severity, kind, section, message, finding):
    def register(check):
        RULES.append(Rule(id, Severity(severity), Kind(kind), section, message, finding, check))
        return check

    return register


def evaluate(data: StrategyRecordData, settings: Settings, *, today: date | None = None) -> list[Result]:
    """Every rule's result. `today` defaults to the date in the UK now."""
    today = today or uk_now().date()
    return [Result(r, tuple(r.check(data, settings, today))) for r in RULES]


@dataclass(frozen=True)
class Tally:
    """How far a record is from being finalised: what pages and the printed record summarise."""

    required: int  # how many blocking rules there are
    blocking_failed: tuple[Result, ...]
    warnings_failed: tuple[Result, ...]


def tally(results: list[Result]) -> Tally:
    failed = [r for r in results if not r.passed]
    return Tally(
        required=sum(r.rule.severity == Severity.BLOCKING for r in results),
        blocking_failed=tuple(r for r in failed if r.rule.severity == Severity.BLOCKING),
        warnings_failed=tuple(r for r in failed if r.rule.severity == Severity.WARNING),
    )


def blocking_failures(results: list[Result]) -> list[Result]:
    return [r for r in results if not r.passed and r.rule.severity == Severity.BLOCKING]


# --- helpers -----------------------------------------------------------------------


def _missing(obj, path: tuple, fields: dict[str, str]) -> Iterator[Failure]:
    for field, message in fields.items():
        value = getattr(obj, field)
        if value is None or value == []:
            yield Failure(message, (*path, field))


def _discussion_day(data: StrategyRecordData) -> date | None:
    return data.header.discussion_at.date() if data.header.discussion_at else None


def _agencies_with_position(data: StrategyRecordData) -> set[Agency]:
    return {p.agency for p in data.agency_positions if p.agency and p.position}


def _agencies_taking_part(data: StrategyRecordData) -> set[Agency]:
    return {
        p.agency for p in data.participants
        if p.agency and p.mode and p.mode != ContributionMode.UNAVAILABLE
    }


def _age_on(child: Child, day: date) -> int | None:
    if child.unborn or not child.date_of_birth:
        return None
    born = child.date_of_birth
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


# --- discussion details ------------------------------------------------------------


@rule("header.required", "blocking", "missing", "header",
      "The discussion's date, time, format, chair, minute-taker and lead are recorded",
      "The record must stand alone: agencies do not see CSC's case notes")
def _header_required(data, settings, today):
    yield from _missing(data.header, ("header",), {
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
def _further_linked(data, settings, today):
    if data.header.sequence == Sequence.FURTHER and not data.header.previous_reference:
        yield Failure("Enter the reference of the earlier strategy discussion",
                      ("header", "previous_reference"))


@rule("header.edt-review", "blocking", "conflict", "header",
      "An EDT-led discussion has a day-team review due within the local limit (EDT_REVIEW_WORKING_DAYS)",
      "Finding 5: EDT-led strategy records were inaccurate")
def _edt_review(data, settings, today):
    header = data.header
    if header.led_by != LedBy.EDT:
        return
    path = ("header", "day_team_review_due")
    if not header.day_team_review_due:
        yield Failure("Enter the date the day team will review this EDT discussion", path,
                      Kind.MISSING)
        return
    day = _discussion_day(data)
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
def _requester(data, settings, today):
    if not data.header.requested_by:
        yield Failure("Select which agency requested the discussion", ("header", "requested_by"))


# --- children ------------------------------------------------------------------------


@rule("children.present", "blocking", "missing", "children",
      "At least one child is recorded", "The record is about named children")
def _children_present(data, settings, today):
    if not data.children:
        yield Failure("Add the child or children the discussion is about", ("children",))


@rule("children.identity", "blocking", "missing", "children",
      "Every child has a name, a date of birth (or an expected date of delivery and gestation "
      "if unborn) and how they communicate",
      "Finding 7: an unborn child has an expected date of delivery and gestation")
def _children_identity(data, settings, today):
    for i, child in enumerate(data.children):
        who = child.title(i)
        path = ("children", i)
        if not child.name:
            yield Failure(f"Enter child {i + 1}'s name, or 'Unborn baby of' and the mother's "
                          "name", (*path, "name"))
        if child.unborn:
            yield from _missing(child, path, {
                "expected_delivery_date": f"Enter {who}'s expected date of delivery",
                "gestation_weeks": f"Enter {who}'s gestation in weeks",
            })
        elif not child.date_of_birth:
            yield Failure(f"Enter {who}'s date of birth, or say the child is unborn",
                          (*path, "date_of_birth"))
        if not child.communication:
            yield Failure(f"Select how {who} communicates", (*path, "communication"))


# --- grounds -------------------------------------------------------------------------


@rule("grounds.required", "blocking", "missing", "grounds",
      "The concern is summarised with its source and category of harm",
      "The record must stand alone: agencies do not see CSC's case notes")
def _grounds_required(data, settings, today):
    yield from _missing(data.grounds, ("grounds",), {
        "summary": "Enter a summary of the concern",
        "source": "Enter the source of the concern",
        "categories": "Select at least one category of harm",
    })


@rule("grounds.images", "blocking", "missing", "grounds",
      "If images of injuries were taken, who took them and under which policy is recorded",
      "Finding 6: a school photographed marks on a child")
def _images(data, settings, today):
    if data.grounds.images_taken == YesNo.YES:
        yield from _missing(data.grounds, ("grounds",), {
            "images_taken_by": "Enter who took the images",
            "images_policy": "Enter the policy the images were taken under",
        })


@rule("grounds.body-map", "warning", "missing", "grounds",
      "Injuries are recorded on a body map", "Finding 6: injuries belong on a body map")
def _body_map(data, settings, today):
    if data.grounds.images_taken == YesNo.YES and data.grounds.body_map != YesNo.YES:
        yield Failure("Record the injuries on a body map", ("grounds", "body_map"))


@rule("grounds.referrer-told", "warning", "missing", "grounds",
      "The referrer is told the outcome, and when and how is recorded",
      "Finding 8: referrers were not told the outcome of their referral")
def _referrer_told(data, settings, today):
    grounds = data.grounds
    if grounds.referrer_name and not (grounds.referrer_informed_on and grounds.referrer_informed_how):
        missing = "referrer_informed_how" if grounds.referrer_informed_on else "referrer_informed_on"
        yield Failure("Record when and how the referrer was told the outcome", ("grounds", missing))


# --- participants and agencies ---------------------------------------------------------


@rule("participants.present", "blocking", "missing", "participants",
      "Everyone who contributed is recorded", "Finding 2: records did not show who took part")
def _participants_present(data, settings, today):
    if not data.participants:
        yield Failure("Add everyone who took part or contributed", ("participants",))


@rule("participants.details", "blocking", "missing", "participants",
      "Every participant has a name, agency, role, how they contributed and a phone or email; "
      "contributions outside the meeting say when",
      "Finding 2: phone and email contributions outside the meeting were lost")
def _participant_details(data, settings, today):
    for i, person in enumerate(data.participants):
        who = person.name or f"participant {i + 1}"
        path = ("participants", i)
        yield from _missing(person, path, {
            "name": f"Enter participant {i + 1}'s name",
            "agency": f"Select {who}'s agency",
            "role": f"Enter {who}'s role",
            "mode": f"Select how {who} contributed",
        })
        if not person.phone and not person.email:
            yield Failure(f"Enter a phone number or email for {who}", (*path, "phone"))
        if person.mode in OUTSIDE_MEETING_MODES and not person.contributed_at:
            yield Failure(f"Enter when {who} contributed", (*path, "contributed_at"))


@rule("agencies.core", "blocking", "missing", "agency-positions",
      "Children's social care, police and health (and midwifery for an unborn child) have a "
      "position or a participant",
      "Finding 2 and 7: every agency's view is recorded; the midwife must be involved pre-birth")
def _core_agencies(data, settings, today):
    # Someone invited but unavailable has not given the agency's view.
    present = _agencies_with_position(data) | _agencies_taking_part(data)
    needed = {Agency.CSC: "children's social care's", Agency.POLICE: "the police's"}
    for agency, whose in needed.items():
        if agency not in present:
            yield Failure(f"Record {whose} position", ("agency_positions",))
    if not present & HEALTH_AGENCIES:
        yield Failure("Record health's position (for example the GP or health visitor)",
                      ("agency_positions",))
    if any(c.unborn for c in data.children) and Agency.MIDWIFERY not in present:
        yield Failure("Record midwifery's position: the child is unborn", ("agency_positions",))


@rule("agencies.positions", "blocking", "missing", "agency-positions",
      "Every agency row has a position, with its concerns or why it was not contacted",
      "Finding 2: agencies with no safeguarding concerns were not recorded")
def _positions(data, settings, today):
    seen: set[tuple] = set()
    for i, row in enumerate(data.agency_positions):
        path = ("agency_positions", i)
        name = row.agency.label if row.agency else f"agency {i + 1}"
        if not row.agency:
            yield Failure(f"Select agency {i + 1}", (*path, "agency"))
        if not row.position:
            yield Failure(f"Select {name}'s position", (*path, "position"))
        elif row.position == Position.HAS_CONCERNS and not row.concerns:
            yield Failure(f"Enter {name}'s concerns", (*path, "concerns"))
        elif row.position == Position.NOT_CONTACTED and not row.not_contacted_reason:
            yield Failure(f"Enter why {name} was not contacted", (*path, "not_contacted_reason"))
        identity = (row.agency, (row.organisation or "").casefold())
        if row.agency and identity in seen:
            yield Failure(f"{name} appears more than once: keep one row per agency",
                          (*path, "agency"))
        seen.add(identity)


@rule("agencies.participants-have-positions", "warning", "missing", "agency-positions",
      "Every agency that took part has its position recorded",
      "Finding 2: the concerns of all agencies must be recorded")
def _participants_have_positions(data, settings, today):
    for agency in sorted(_agencies_taking_part(data) - _agencies_with_position(data)):
        yield Failure(f"{agency.label} took part: record its position", ("agency_positions",))


# --- the child's experience ----------------------------------------------------------


@rule("experience.account", "blocking", "missing", "experience",
      "Every child's experience is recorded: whether they were seen, and what they said or showed",
      "Finding 3: a young baby's experience was missing")
def _experience(data, settings, today):
    for i, child in enumerate(data.children):
        who = child.title(i)
        path = ("children", i)
        if child.unborn:
            pass  # an unborn child cannot be seen; the observation rule asks what was seen of care
        elif not child.seen:
            yield Failure(f"Say whether {who} has been seen", (*path, "seen"))
        elif child.seen == YesNo.YES:
            yield from _missing(child, path, {
                "seen_at": f"Enter when {who} was seen",
                "seen_by": f"Enter who saw {who}",
            })
        else:
            yield from _missing(child, path, {
                "not_seen_reason": f"Enter why {who} has not been seen",
            })
        if not child.voice and not child.observations and not child.cannot_speak:
            # A child who cannot speak is asked for observations by experience.observed.
            yield Failure(f"Describe {who}'s experience: what they said or showed, or what was "
                          "observed", (*path, "voice"))


@rule("experience.observed", "blocking", "missing", "experience",
      "A child who is unborn, pre-verbal or non-verbal has an account of what was observed",
      "Finding 3: for a child who cannot speak, record what was observed")
def _observed(data, settings, today):
    for i, child in enumerate(data.children):
        if child.cannot_speak and not child.observations:
            who = child.title(i)
            message = (
                f"{who} is unborn: describe what was observed of the pregnancy and of the care "
                "being prepared for the baby"
                if child.unborn
                else f"{who} cannot speak for themselves: describe what was observed of their "
                "care, routines, presentation and interaction with carers"
            )
            yield Failure(message, ("children", i, "observations"))


# --- analysis ------------------------------------------------------------------------


@rule("analysis.risks-and-strengths", "warning", "missing", "analysis",
      "The analysis sets out the risks and the strengths",
      "The record must stand alone: agencies act on its account of risk")
def _analysis(data, settings, today):
    yield from _missing(data.analysis, ("analysis",), {
        "risks": "Enter the risks to the child",
        "strengths": "Enter the strengths and protective factors",
    })


# --- decision ------------------------------------------------------------------------


@rule("decision.required", "blocking", "missing", "decision",
      "The decision has an outcome and reasons", "The record must say what was decided and why")
def _decision(data, settings, today):
    yield from _missing(data.decision, ("decision",), {
        "outcome": "Select the outcome of the discussion",
        "reasons": "Enter the reasons for the decision",
    })


@rule("decision.nfa-consulted", "blocking", "missing", "decision",
      "Before no further action, midwifery (for an unborn child) and school (for a school-age "
      "child) have been consulted or a reason recorded",
      "Finding 9: cases were closed without checking with health or school")
def _nfa_consulted(data, settings, today):
    if data.decision.outcome != Outcome.NFA:
        return
    recorded = {p.agency for p in data.agency_positions if p.position}
    day = _discussion_day(data) or today
    if any(c.unborn for c in data.children) and Agency.MIDWIFERY not in recorded:
        yield Failure("Before no further action, record midwifery's position",
                      ("decision", "outcome"))
    school_age = [
        c for c in data.children
        if (age := _age_on(c, day)) is not None
        and settings.school_age_from <= age <= settings.school_age_to
    ]
    if school_age and Agency.SCHOOL not in recorded:
        yield Failure("Before no further action for a school-age child, record the school's "
                      "position", ("decision", "outcome"))


@rule("decision.dissent-escalated", "warning", "missing", "decision",
      "Any dissent says how it was escalated", "Disagreements must be visible and resolved")
def _dissent(data, settings, today):
    if data.decision.dissent and not data.decision.dissent_escalation:
        yield Failure("Enter how the dissent was escalated", ("decision", "dissent_escalation"))


# --- actions and next steps ----------------------------------------------------------


@rule("actions.update-agencies", "blocking", "conflict", "actions",
      "The action 'CSC will update all agencies' has a date on or after the discussion",
      "Finding 4: agencies were not updated, above all when follow-ups were cancelled")
def _update_action(data, settings, today):
    index = next((i for i, a in enumerate(data.actions) if a.kind == ActionKind.UPDATE_AGENCIES),
                 None)
    if index is None:
        yield Failure("The record has lost its update-all-agencies action", ("actions",))
        return
    action = data.actions[index]
    path = ("actions", index, "due_date")
    day = _discussion_day(data)
    if not action.due_date:
        yield Failure("Enter the date by which CSC will update all agencies", path, Kind.MISSING)
    elif day and action.due_date < day:
        yield Failure("The date to update all agencies must be on or after the discussion", path)
    if action.status == ActionStatus.CANCELLED:
        yield Failure("The update to all agencies cannot be cancelled", ("actions", index, "status"))


@rule("actions.details", "blocking", "missing", "actions",
      "Every action has a description, an owner and a due date",
      "Agencies must know who will do what by when")
def _actions(data, settings, today):
    for i, action in enumerate(data.actions):
        if action.kind == ActionKind.UPDATE_AGENCIES:
            continue
        yield from _missing(action, ("actions", i), {
            "description": f"Describe action {i + 1}",
            "owner": f"Enter who owns action {i + 1}",
            "due_date": f"Enter a due date for action {i + 1}",
        })


def _icpc_latest(data: StrategyRecordData, settings: Settings) -> date | None:
    day = _discussion_day(data)
    return add_working_days(day, settings.icpc_working_days) if day else None


@rule("next.icpc-date", "warning", "missing", "next-steps",
      "A section 47 enquiry has an initial child protection conference date",
      "Timescale: conference within 15 working days of the discussion")
def _icpc_date(data, settings, today):
    if data.decision.outcome in S47_OUTCOMES and not data.next_steps.icpc_date:
        latest = _icpc_latest(data, settings)
        by = f" (due by {latest:%-d %B %Y})" if latest else ""
        yield Failure(f"Enter the initial child protection conference date{by}",
                      ("next_steps", "icpc_date"))


@rule("next.icpc-within-limit", "blocking", "conflict", "next-steps",
      "The initial child protection conference is within the working-day limit of the discussion",
      "Timescale: conference within 15 working days of the discussion")
def _icpc_within(data, settings, today):
    icpc = data.next_steps.icpc_date
    day = _discussion_day(data)
    if data.decision.outcome not in S47_OUTCOMES or not icpc or not day:
        return
    latest = _icpc_latest(data, settings)
    path = ("next_steps", "icpc_date")
    if icpc < day:
        yield Failure("The conference cannot be before the discussion", path)
    elif icpc > latest:
        yield Failure(f"The conference must be within {settings.icpc_working_days} working days "
                      f"of the discussion: by {latest:%-d %B %Y}", path)
    elif not is_working_day(icpc):
        yield Failure("The conference date falls on a weekend or bank holiday", path)


@rule("next.prebirth-conference", "warning", "conflict", "next-steps",
      "A pre-birth conference is held by the configured week of pregnancy",
      "Finding 7: pre-birth protocol timings were not followed")
def _prebirth(data, settings, today):
    icpc, day = data.next_steps.icpc_date, _discussion_day(data)
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


@rule("next.further-discussion-date", "blocking", "conflict", "next-steps",
      "A decision to hold a further strategy discussion gives its date",
      "Finding 4: follow-up strategies were cancelled without agencies knowing")
def _further_date(data, settings, today):
    if data.decision.outcome != Outcome.FURTHER_STRATEGY:
        return
    path = ("next_steps", "next_discussion_on")
    nxt, day = data.next_steps.next_discussion_on, _discussion_day(data)
    if not nxt:
        yield Failure("Enter the date of the next strategy discussion", path, Kind.MISSING)
    elif day and nxt < day:
        yield Failure("The next discussion must be after this one", path)


# --- distribution --------------------------------------------------------------------


@rule("distribution.present", "blocking", "missing", "distribution",
      "The record says which agencies receive it",
      "Finding 4: agencies were never told the outcome")
def _distribution(data, settings, today):
    if not data.distribution:
        yield Failure("Select the agencies that will receive the record", ("distribution",))


@rule("distribution.involved", "warning", "missing", "distribution",
      "Every agency that took part or gave a position receives the record",
      "Finding 4: agencies were never told the outcome")
def _distribution_involved(data, settings, today):
    involved = _agencies_taking_part(data) | {
        p.agency for p in data.agency_positions
        if p.agency and p.position and p.position != Position.NOT_CONTACTED
    }
    for agency in sorted(involved - set(data.distribution)):
        yield Failure(f"{agency.label} was involved but will not receive the record",
                      ("distribution",))


