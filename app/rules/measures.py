"""What the live audit report counts about each finalised version: the audits' questions,
asked of one record.

A measure either does not apply to a record (a record with no unborn child says nothing about
midwifery), or applies and is met or not. Where a measure mirrors a completeness rule it is
judged by that rule's result (or by the helper the rule itself uses), never by a second copy
of its logic. app/reports stores one row per applicable measure when a version is finalised,
so the report aggregates indexed rows and never reads documents.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from app.config import Settings
from app.domain.choices import (
    HEALTH_AGENCIES,
    IN_DISCUSSION_MODES,
    OUTSIDE_MEETING_MODES,
    S47_OUTCOMES,
    Agency,
    Position,
)
from app.domain.schema import StrategyRecordData
from app.rules.completeness import Result, Severity
from app.rules.core import agencies_present, cannot_speak, discussion_day
from app.rules.grounds import referrer_feedback_due, referrer_named


@dataclass(frozen=True)
class Measure:
    id: str
    # (data, settings, day) -> whether it applies; (data, results) -> whether it is met.
    applies: Callable[[StrategyRecordData, Settings, date], bool]
    met: Callable[[StrategyRecordData, dict[str, Result]], bool]


def _passed(*rule_ids: str) -> Callable[[StrategyRecordData, dict[str, Result]], bool]:  # pragma: no mutate block
    return lambda data, results: all(results[rule_id].passed for rule_id in rule_ids)


def _no_failure_at(rule_id: str, field: str
                   ) -> Callable[[StrategyRecordData, dict[str, Result]], bool]:  # pragma: no mutate block
    """Met when `rule_id` finds nothing wrong with `field` (it may fail for other reasons)."""
    return lambda data, results: not any(
        failure.path[-1:] == (field,) for failure in results[rule_id].failures)


def _always(data: StrategyRecordData, settings: Settings, day: date) -> bool:
    return True


def _in_discussion(data: StrategyRecordData) -> bool:
    agencies = {p.agency for p in data.participants if p.mode in IN_DISCUSSION_MODES}
    return Agency.POLICE in agencies and bool(agencies & HEALTH_AGENCIES)


def _has_unborn(data: StrategyRecordData, settings: Settings, day: date) -> bool:
    return any(child.unborn for child in data.children)


MEASURES = [
    Measure("participants-recorded", _always,
            _passed("participants.present", "participants.details")),
    Measure("outside-contributions", _always, lambda data, results: any(
        p.mode in OUTSIDE_MEETING_MODES for p in data.participants)),
    # The partners the audits asked for took part in the discussion itself (in the room, by
    # video or on the call), not only outside it.
    Measure("partners-in-discussion", _always, lambda data, results: _in_discussion(data)),
    Measure("agency-positions", _always, _passed(
        "agencies.core", "agencies.positions", "agencies.participants-have-positions")),
    Measure("no-concerns-recorded", _always, lambda data, results: any(
        p.position == Position.NO_CONCERNS for p in data.agency_positions)),
    Measure("not-contacted-reasons",
            lambda data, settings, day: any(
                p.position == Position.NOT_CONTACTED for p in data.agency_positions),
            _no_failure_at("agencies.positions", "not_contacted_reason")),
    Measure("experience-recorded", lambda data, settings, day: bool(data.children),
            _passed("experience.account", "experience.observed")),
    Measure("experience-observed",
            lambda data, settings, day: any(
                cannot_speak(child, day, settings) for child in data.children),
            _passed("experience.observed")),
    Measure("midwifery-unborn", _has_unborn,
            lambda data, results: Agency.MIDWIFERY in agencies_present(data)),
    Measure("prebirth-conference",
            lambda data, settings, day: any(
                c.unborn and c.gestation_weeks is not None for c in data.children),
            _passed("next.prebirth-conference", "next.prebirth-conference-date")),
    Measure("icpc-within-limit",
            lambda data, settings, day: data.decision.outcome in S47_OUTCOMES,
            _passed("next.icpc-date", "next.icpc-within-limit")),
    # Met when the record itself says the referrer was told; app/reports also counts the
    # follow-up that tells them later.
    Measure("referrer-told", lambda data, settings, day: referrer_named(data),
            lambda data, results: not referrer_feedback_due(data)),
    Measure("no-warnings", _always, lambda data, results: not any(
        r.failures for r in results.values() if r.rule.severity == Severity.WARNING)),
]
MEASURE_IDS = frozenset(m.id for m in MEASURES)


def measure(data: StrategyRecordData, results: list[Result], settings: Settings,
            today: date) -> dict[str, bool]:
    """Each applicable measure's id and whether `data` meets it, judged by `results` (the
    rules evaluated on `data`)."""
    by_id = {result.rule.id: result for result in results}
    day = discussion_day(data) or today
    return {m.id: m.met(data, by_id) for m in MEASURES if m.applies(data, settings, day)}
