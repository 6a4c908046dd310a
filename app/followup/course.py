"""What the projection derives for the returns (issue 24), from the same facts as the rest:
each child's identifiers in the record as it stands (the list's search), and for the version
in force whose decision started a section 47 enquiry, one row per child with the enquiry's
course as recorded after the meeting (the latest "s47_course" entry)."""

from datetime import date

from app.config import Settings
from app.domain.choices import S47_OUTCOMES
from app.domain.identifiers import identifier_key
from app.domain.schema import StrategyRecordData
from app.rules.core import discussion_day
from app.rules.next_steps import conference_due, s47_started_on

COURSE = "s47_course"
# How a section 47 enquiry ended (value, label).
OUTCOMES = {
    "nfa": "No further action",
    "cin_plan": "Child in need plan",
    "icpc": "Initial child protection conference",
    "legal": "Legal action",
    "other": "Other",
}
IDENTIFIER_KINDS = ("person_id", "nhs_number", "upn")


def identifier_rows(record_id: int, data: StrategyRecordData | None) -> list[dict]:
    """Each identifier the record's children carry, once per kind and value."""
    if data is None:
        return []
    found = {(kind, identifier_key(getattr(child, kind)))
             for child in data.children for kind in IDENTIFIER_KINDS if getattr(child, kind)}
    return [{"record_id": record_id, "kind": kind, "value": value}
            for kind, value in sorted(found)]


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def enquiry_rows(record, version: int | None, data: StrategyRecordData | None, entries,
                 settings: Settings) -> list[dict]:
    """The version in force's section 47 enquiry, one row per child (none if it started
    none). `entries` are the record's follow-up entries in the order they happened."""
    if version is None or data is None or data.decision.outcome not in S47_OUTCOMES:
        return []
    course = next((e.details for e in reversed(entries) if e.kind == COURSE), {})
    start, held = s47_started_on(data), _day(course.get("icpc_on"))
    completed, outcome = _day(course.get("completed_on")), course.get("outcome")
    # Not required when recorded so, or when the enquiry ended another way with none held.
    not_required = course.get("icpc_not_required") == "yes" or bool(
        completed and outcome and outcome != "icpc" and held is None)
    return [{
        "record_id": record.id, "version": version, "position": position,
        "child_key": child.key, "child_title": child.title(position)[:200],
        "unborn": child.unborn, "person_id": child.person_id,
        "person_key": identifier_key(child.person_id), "team": record.team,
        "discussion_on": discussion_day(data), "start_on": start,
        "continues": start is not None and start != discussion_day(data),
        "icpc_target": conference_due(data, settings), "icpc_on": held,
        "icpc_not_required": not_required,
        "icpc_not_required_reason": course.get("icpc_not_required_reason"),
        "completed_on": completed, "outcome": outcome,
    } for position, child in enumerate(data.children)]
