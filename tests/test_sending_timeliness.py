"""The timeliness rules: the discussion within DISCUSSION_WITHIN_WORKING_DAYS of the concern
(a warning after DISCUSSION_WARN_AFTER_WORKING_DAYS), counted in working days."""

from datetime import datetime

from app.config import Settings
from app.domain.schema import StrategyRecordData
from app.rules.completeness import evaluate
from tests.builders import complete_record

SETTINGS = Settings()
TIMELINESS = ("timeliness.discussion-within", "timeliness.discussion-prompt")


def _failing(concern: datetime, discussion: datetime, settings: Settings = SETTINGS):
    body = complete_record()
    body["header"] |= {"concern_at": concern.isoformat(), "discussion_at": discussion.isoformat()}
    data = StrategyRecordData.model_validate(body)
    return {r.rule.id: [f.message for f in r.failures] for r in evaluate(data, settings)
            if r.rule.id in TIMELINESS and not r.passed}


def test_next_working_day_passes_both():
    # Concern on the Friday before the August bank holiday; discussion on Tuesday.
    assert _failing(datetime(2026, 8, 28, 16, 0), datetime(2026, 9, 1, 10, 0)) == {}


def test_after_the_warning_limit_is_a_warning():
    assert _failing(datetime(2026, 8, 28, 16, 0), datetime(2026, 9, 2, 10, 0)) == {
        "timeliness.discussion-prompt": [
            "The discussion was held more than the next working day after the concern arose "
            "(after 1 September 2026)"],
    }


def test_beyond_the_limit_is_the_stronger_warning_only():
    # Three working days after Friday 28 August (Monday is a bank holiday): Thursday 3 September.
    assert _failing(datetime(2026, 8, 28, 16, 0), datetime(2026, 9, 3, 10, 0)) == {
        "timeliness.discussion-prompt": [
            "The discussion was held more than the next working day after the concern arose "
            "(after 1 September 2026)"],
    }
    assert _failing(datetime(2026, 8, 28, 16, 0), datetime(2026, 9, 4, 10, 0)) == {
        "timeliness.discussion-within": [
            "The discussion was held after 3 September 2026: more than 3 working days after "
            "the concern arose. Record why in the reasons for the decision"],
    }


def test_the_limits_are_settings():
    settings = Settings(discussion_within_working_days=5, discussion_warn_after_working_days=4)
    assert _failing(datetime(2026, 8, 28, 16, 0), datetime(2026, 9, 4, 10, 0), settings) == {}


def test_the_rules_are_warnings_and_never_block():
    from app.rules.core import RULES, Severity

    assert {r.id: r.severity for r in RULES if r.id in TIMELINESS} == {
        "timeliness.discussion-within": Severity.WARNING,
        "timeliness.discussion-prompt": Severity.WARNING}
