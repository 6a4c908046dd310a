"""The completeness rules. Every view of completeness (task list, finalise, API, PDF) calls these.

The rules live in a module per group of sections (header.py, children.py, grounds.py,
participants.py, experience.py, decision.py, next_steps.py), all registering in one registry
(core.RULES) in the form's order. Each rule returns the failures it finds; a rule with no
failures has passed. A failure names the field it is about, so an error summary can link
straight to it.
"""

from dataclasses import dataclass
from datetime import date

from app.clock import uk_today
from app.config import Settings
from app.domain.schema import StrategyRecordData

# Imported for their rules, in the form's order: registering is their side effect.
from app.rules import (  # noqa: F401, I001
    children,
    dates,  # noqa: F401, I001  (dates judged against the discussion)
    decision,
    experience,
    grounds,
    header,
    next_steps,
    participants,
    siblings,
    timeliness,
)
from app.rules.core import RULES, Failure, Kind, Result, Rule, Severity, rule

__all__ = ["RULES", "Failure", "Kind", "Result", "Rule", "Severity", "Tally", "blocking_failures",
           "evaluate", "rule", "tally"]


def evaluate(data: StrategyRecordData, settings: Settings, *, today: date | None = None) -> list[Result]:
    """Every rule's result. `today` defaults to the date in the UK now."""
    today = today or uk_today()
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
