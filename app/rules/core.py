"""The rules' shared types, the one registry, and helpers the rule modules share.

Rule modules (header.py, children.py, ...) register their rules here with `@rule`;
app/rules/completeness.py imports them in the form's order and evaluates the registry.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.config import Settings
from app.domain.choices import NOT_TAKING_PART_MODES, Agency
from app.domain.schema import Child, StrategyRecordData


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"


class Kind(StrEnum):
    MISSING = "missing"  # something is not filled in yet
    CONFLICT = "conflict"  # something is filled in but breaks a rule


# Where in the record a failure is: field names and row numbers, e.g. ("participants", 2, "phone").
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Failure:
    message: str
    path: Path  # e.g. ("participants", 2, "phone")
    # Set where one rule finds both kinds: a date not given (missing) or given but too late.
    kind: Kind | None = None


# (data, settings, today): "today" is the UK date the caller's clock gives, so rules stay pure.
Check = Callable[[StrategyRecordData, Settings, date], Iterator[Failure]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    kind: Kind
    section: str
    message: str
    finding: str
    check: Check


@dataclass(frozen=True)
class Result:
    rule: Rule
    failures: tuple[Failure, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


RULES: list[Rule] = []


def rule(id: str, severity: str, kind: str, section: str, message: str, finding: str
         ) -> Callable[[Check], Check]:  # pragma: no mutate block
    def register(check: Check) -> Check:
        RULES.append(Rule(id, Severity(severity), Kind(kind), section, message, finding, check))
        return check

    return register


# --- helpers the rule modules share ------------------------------------------------


def missing(obj: object, path: Path, fields: dict[str, str]) -> Iterator[Failure]:
    for field, message in fields.items():
        value = getattr(obj, field)
        if value is None or value == []:
            yield Failure(message, (*path, field))


def discussion_day(data: StrategyRecordData) -> date | None:
    return data.header.discussion_at.date() if data.header.discussion_at else None


def agencies_with_position(data: StrategyRecordData) -> set[Agency]:
    return {p.agency for p in data.agency_positions if p.agency and p.position}


def agencies_taking_part(data: StrategyRecordData) -> set[Agency]:
    return {
        p.agency for p in data.participants
        if p.agency and p.mode and p.mode not in NOT_TAKING_PART_MODES
    }


def age_on(child: Child, day: date) -> int | None:
    if child.unborn or not child.date_of_birth:
        return None
    born = child.date_of_birth
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def agencies_present(data: StrategyRecordData) -> set[Agency]:
    """Agencies whose view the record has: a position, or someone who took part (someone
    invited but unavailable has not given the agency's view)."""
    return agencies_with_position(data) | agencies_taking_part(data)


def cannot_speak(child: Child, day: date, settings: Settings) -> bool:
    """A child whose experience must be told through what was observed: unborn, younger than
    CANNOT_SPEAK_UNDER_YEARS on `day`, or recorded as pre-verbal or non-verbal. Age counts
    whatever communication was chosen (a 7-week-old left as "verbal" still cannot speak)."""
    if child.cannot_speak:
        return True
    age = age_on(child, day)
    return age is not None and age < settings.cannot_speak_under_years
