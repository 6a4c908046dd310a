"""Rules for who took part and every agency's position."""

from collections.abc import Iterator
from datetime import date

from app.config import Settings
from app.domain.choices import HEALTH_AGENCIES, OUTSIDE_MEETING_MODES, RELAYED_MODES, Agency, Position
from app.domain.schema import StrategyRecordData
from app.rules.core import (
    Failure,
    agencies_present,
    agencies_taking_part,
    agencies_with_position,
    missing,
    rule,
)

# --- participants and agencies ------------------------------------------------------------

@rule("participants.present", "blocking", "missing", "participants",
      "Everyone who contributed is recorded", "Finding 2: records did not show who took part")
def _participants_present(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    if not data.participants:
        yield Failure("Add everyone who took part or contributed", ("participants",))


@rule("participants.details", "blocking", "missing", "participants",
      "Every participant has a name, agency, role, how they contributed and a phone or email; "
      "contributions outside the meeting say when",
      "Finding 2: phone and email contributions outside the meeting were lost")
def _participant_details(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    for i, person in enumerate(data.participants):
        who = person.name or f"participant {i + 1}"
        path = ("participants", i)
        yield from missing(person, path, {
            "name": f"Enter participant {i + 1}'s name",
            "agency": f"Select {who}'s agency",
            "role": f"Enter {who}'s role",
            "mode": f"Select how {who} contributed",
        })
        if not person.phone and not person.email:
            yield Failure(f"Enter a phone number or email for {who}", (*path, "phone"))
        if person.mode in OUTSIDE_MEETING_MODES and not person.contributed_at:
            yield Failure(f"Enter when {who} contributed", (*path, "contributed_at"))


# Its own rule, not part of "participants.details": the live audit's "who took part" figure
# keeps judging earlier records by what they were asked for.
@rule("participants.relayed", "blocking", "missing", "participants",
      "A contribution by phone or email outside the discussion says who relayed it",
      "Finding 2: phone and email contributions must be recorded with who, how and when")
def _relayed(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    for i, person in enumerate(data.participants):
        if person.mode in RELAYED_MODES and not person.relayed_by:
            who = person.name or f"participant {i + 1}"
            yield Failure(f"Enter who relayed {who}'s contribution to the discussion",
                          ("participants", i, "relayed_by"))


@rule("agencies.core", "blocking", "missing", "agency-positions",
      "Children's social care, police and health (and midwifery for an unborn child) have a "
      "position or a participant",
      "Finding 2 and 7: every agency's view is recorded; the midwife must be involved pre-birth")
def _core_agencies(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    present = agencies_present(data)
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
def _positions(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    seen: set[tuple[Agency | None, str | None]] = set()
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
def _participants_have_positions(data: StrategyRecordData, settings: Settings, today: date) -> Iterator[Failure]:
    for agency in sorted(agencies_taking_part(data) - agencies_with_position(data)):
        yield Failure(f"{agency.label} took part: record its position", ("agency_positions",))
