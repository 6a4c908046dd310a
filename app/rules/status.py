"""Each section's status for the task list, derived only from the rules."""

from dataclasses import dataclass
from enum import StrEnum

from app.domain.schema import StrategyRecordData, new_update_action
from app.domain.sections import SECTIONS, Section
from app.rules.completeness import Kind, Result


class SectionStatus(StrEnum):
    NOT_STARTED = "Not started"
    IN_PROGRESS = "In progress"
    COMPLETE = "Complete"
    PROBLEM = "There is a problem"
    NOT_NEEDED = "Not needed"

    @property
    def is_complete(self) -> bool:
        return self is SectionStatus.COMPLETE


@dataclass(frozen=True)
class SectionState:
    section: Section
    status: SectionStatus
    results: tuple[Result, ...]  # the failing rules that point at this section


def _has_data(data: StrategyRecordData, section: Section) -> bool:
    value = getattr(data, section.field)
    if section.field == "actions":
        # Every record starts with the update-all-agencies action: only a change to it counts.
        value = [a for a in value if a != new_update_action()]
    if isinstance(value, list):
        if section.item_fields is None:
            return bool(value)
        owned = [f for f in section.item_fields if f != "key"]
        return any(getattr(item, f) not in (None, False, []) for item in value for f in owned)
    dumped = value.model_dump()
    return any(v not in (None, [], False) for v in dumped.values())


def section_states(data: StrategyRecordData, results: list[Result]) -> list[SectionState]:
    states = []
    for section in SECTIONS:
        failing = tuple(r for r in results if r.rule.section == section.slug and not r.passed)
        kinds = {f.kind or r.rule.kind for r in failing for f in r.failures}
        if Kind.CONFLICT in kinds and _has_data(data, section):
            status = SectionStatus.PROBLEM
        elif not _has_data(data, section):
            optional = section.optional and not failing
            status = SectionStatus.NOT_NEEDED if optional else SectionStatus.NOT_STARTED
        elif failing:
            status = SectionStatus.IN_PROGRESS
        else:
            status = SectionStatus.COMPLETE
        states.append(SectionState(section, status, failing))
    return states
