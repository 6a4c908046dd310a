"""Asking the completeness rules about a record, and the records they are asked about: the
complete record with one thing changed (tests/test_rules.py, tests/test_practice_gaps.py)."""

from copy import deepcopy
from datetime import datetime, timedelta

from app.config import Settings
from app.domain.schema import StrategyRecordData, uk_now
from app.rules.completeness import RULES, Failure, Kind, Result, evaluate
from app.rules.workdays import add_working_days
from tests.builders import complete_record

# Every limit the rules read, given explicitly so the environment cannot change the outcome.
SETTINGS = Settings(
    icpc_working_days=15,
    edt_review_working_days=1,
    prebirth_conference_by_weeks=34,
    school_age_from=5,
    school_age_to=16,
)
RULE_IDS = {r.id for r in RULES}


def result(data: StrategyRecordData, rule_id: str, settings: Settings = SETTINGS) -> Result:
    assert rule_id in RULE_IDS, f"no rule {rule_id!r}"
    (found,) = [r for r in evaluate(data, settings) if r.rule.id == rule_id]
    return found


def failures(data, rule_id, settings=SETTINGS) -> list[Failure]:
    return list(result(data, rule_id, settings).failures)


def paths(data, rule_id, settings=SETTINGS) -> list[tuple]:
    return [f.path for f in failures(data, rule_id, settings)]


def kinds(data, rule_id, settings=SETTINGS) -> list[Kind]:
    """The effective kind of each failure: its own, or else its rule's."""
    found = result(data, rule_id, settings)
    return [f.kind or found.rule.kind for f in found.failures]


def passes(data, rule_id, settings=SETTINGS) -> bool:
    return result(data, rule_id, settings).passed


def build(at: datetime | None = None, **changes) -> StrategyRecordData:
    """The complete record with sections patched (like record_with), optionally discussed `at`.

    Moving the discussion also moves the concern to the same morning, the ICPC to 10 working
    days later and the update-all-agencies action to 5 days later, so that only what a test
    changes breaks a rule.
    """
    raw = deepcopy(complete_record())
    if at is not None:
        day = at.date()
        raw["header"].update(concern_at=at.replace(hour=0, minute=0).isoformat(),
                             discussion_at=at.isoformat())
        raw["next_steps"]["icpc_date"] = str(add_working_days(day, 10))
        raw["actions"][0]["due_date"] = str(day + timedelta(days=5))
    for section, value in changes.items():
        if isinstance(value, dict) and isinstance(raw.get(section), dict):
            raw[section] = {**raw[section], **value}
        else:
            raw[section] = value
    return StrategyRecordData.model_validate(raw)


def child(**fields) -> dict:
    """The complete record's child, changed."""
    return {**complete_record()["children"][0], **fields}


def unborn_child(**fields) -> dict:
    base = {
        "key": "unborn1", "name": "Unborn baby of Amy Carter", "unborn": True,
        "person_id": "LCS1002",
        "expected_delivery_date": str(uk_now().date() + timedelta(days=70)),
        "gestation_weeks": 30, "communication": "pre_verbal",
        "observations": "Mother attends antenatal care; cot and clothes ready at home.",
        "maternity_unit": "City Hospital", "midwife": "Jan Moss",
        "birth_plan": "Baby stays on the ward until the discharge meeting",
        "out_of_hours_alerted": "yes",
    }
    return {**base, **fields}


def positions(*extra: dict, drop: tuple[str, ...] = ()) -> list[dict]:
    rows = [p for p in complete_record()["agency_positions"] if p["agency"] not in drop]
    return [*rows, *extra]
