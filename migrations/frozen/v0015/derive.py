"""The derivations the backfills apply to a stored document, copied from the application at
0015 (records.service, records.models, reports.models, reports.store, requests.service)."""

from datetime import date, datetime

from pydantic import ValidationError

from migrations.frozen.v0015.clock import uk_date, uk_today, uk_wall_clock
from migrations.frozen.v0015.config import Settings, get_settings
from migrations.frozen.v0015.domain.choices import ActionStatus, LedBy
from migrations.frozen.v0015.domain.schema import StrategyRecordData
from migrations.frozen.v0015.rules.completeness import Severity, evaluate
from migrations.frozen.v0015.rules.measures import MEASURE_IDS, measure
from migrations.frozen.v0015.rules.workdays import add_working_days

MEASURE_COLUMNS = {m: "m_" + m.replace("-", "_") for m in sorted(MEASURE_IDS)}


def damage_reason(error: ValidationError, limit: int = 5) -> str:
    """A readable summary of why a document fails, naming fields but never their values."""
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}"
        for e in error.errors(include_input=False, include_url=False)
    ]
    more = f"; and {len(problems) - limit} more" if len(problems) > limit else ""
    return "; ".join(problems[:limit]) + more


def next_due(data: StrategyRecordData) -> date | None:
    dates = [a.due_date for a in data.actions if a.due_date and a.status == ActionStatus.OPEN]
    if data.header.led_by == LedBy.EDT:
        dates.append(data.header.day_team_review_due)
    dates += [data.next_steps.icpc_date, data.next_steps.next_discussion_on]
    return min((d for d in dates if d is not None), default=None)


def derived_columns(reference: str, data: StrategyRecordData, created_at: datetime,
                    settings: Settings) -> dict:
    """Every read-model column, derived from a validated document (`distribution` goes to
    record_distribution)."""
    results = evaluate(data, settings)

    def failures(severity: Severity) -> int:
        return sum(len(r.failures) for r in results if r.rule.severity == severity)

    discussion_at = data.header.discussion_at
    names = [child.name for child in data.children if child.name]
    return {
        "led_by": data.header.led_by.value if data.header.led_by else None,
        "discussion_at": discussion_at,
        "sort_at": discussion_at or uk_wall_clock(created_at),
        "outcome": data.decision.outcome.value if data.decision.outcome else None,
        "children_names": names,
        "search_text": "\n".join([reference, *names]).lower(),
        "blocking_failures": failures(Severity.BLOCKING),
        "warnings": failures(Severity.WARNING),
        "next_due": next_due(data),
        "damaged": False,
        "damage_reason": None,
        "distribution": [(r.organisation_id, r.agency.value if r.agency else "other")
                         for r in data.distribution],
    }


def measure_row(record_id: int, version: int, team: str | None, data: StrategyRecordData, *,
                today: date | None = None, settings: Settings | None = None, **after
                ) -> dict | None:
    """The report's row for one finalised version; None for one with no discussion date."""
    if data.header.discussion_at is None:
        return None
    settings, today = settings or get_settings(), today or uk_today()
    met = measure(data, evaluate(data, settings, today=today), settings, today)
    return {
        "record_id": record_id, "version": version, "team": team,
        "discussion_on": data.header.discussion_at.date(),
        "led_by": data.header.led_by.value if data.header.led_by else None,
        "review_due": data.header.day_team_review_due if data.header.led_by == LedBy.EDT else None,
        "sent_late": None, "reviewed_on": None, "authorised": False, "returned": False, "amended": False,
        "referrer_told_on": None,
        **after,
        **{column: met.get(name) for name, column in MEASURE_COLUMNS.items()},
    }


def decided_in_time(created_at: datetime, decided_at: datetime, settings: Settings) -> bool:
    """Whether a request was decided by its triage date."""
    due = add_working_days(uk_date(created_at), settings.request_triage_working_days)
    return uk_date(decided_at) <= due
