"""The task list's statuses come from the rules: not started, in progress, complete, problem."""

from datetime import date, timedelta

from app.config import Settings
from app.records.schema import StrategyRecordData, new_update_action
from app.rules.completeness import evaluate
from app.rules.status import SectionStatus, section_states
from app.rules.workdays import add_working_days, is_working_day
from tests.builders import discussion_time, record_with


def statuses(data: StrategyRecordData) -> dict[str, SectionStatus]:
    return {s.section.slug: s.status for s in section_states(data, evaluate(data, Settings()))}


def test_a_new_record_has_nothing_started_but_its_update_action():
    found = statuses(StrategyRecordData(actions=[new_update_action()]))
    assert found["header"] == SectionStatus.NOT_STARTED
    assert found["participants"] == SectionStatus.NOT_STARTED
    assert found["actions"] == SectionStatus.IN_PROGRESS  # the fixed action is there, undated


def test_complete_record_is_complete_everywhere():
    assert set(statuses(record_with()).values()) == {SectionStatus.COMPLETE}


def test_missing_fields_mean_in_progress():
    assert statuses(record_with(header={"chair": None}))["header"] == SectionStatus.IN_PROGRESS


def test_a_broken_timescale_is_a_problem():
    late = add_working_days(discussion_time().date(), 16)
    found = statuses(record_with(next_steps={"icpc_date": str(late)}))
    assert found["next-steps"] == SectionStatus.PROBLEM


def test_the_experience_section_tracks_its_own_fields():
    child = record_with().children[0].model_dump(mode="json")
    for field in ("seen", "seen_at", "seen_by", "voice"):
        child[field] = None
    found = statuses(record_with(children=[child]))
    assert found["experience"] == SectionStatus.NOT_STARTED
    assert found["children"] == SectionStatus.COMPLETE


def test_working_days_skip_weekends_and_bank_holidays():
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Friday -> Monday
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)  # Christmas, Boxing Day (obs.)
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)  # Good Friday, Easter Monday
    assert add_working_days(date(2026, 5, 22), 1) == date(2026, 5, 26)  # Spring bank holiday
    assert not is_working_day(date(2026, 8, 31))  # Summer bank holiday (England and Wales)
    assert is_working_day(date(2026, 8, 3))  # Scotland's summer holiday is not England's
    assert add_working_days(date(2026, 11, 2), 15) == date(2026, 11, 2) + timedelta(days=21)
