"""Each section's task-list status, derived from the rules alone."""

from datetime import date, datetime

import pytest

from app.config import Settings
from app.domain.schema import StrategyRecordData, new_update_action
from app.domain.sections import SECTIONS
from app.rules.completeness import evaluate
from app.rules.status import SectionStatus, section_states
from app.rules.workdays import add_working_days
from tests.builders import complete_record, discussion_time, recipients, record_with

SETTINGS = Settings(icpc_working_days=15, edt_review_working_days=1)
SLUGS = [s.slug for s in SECTIONS]

NOT_STARTED = SectionStatus.NOT_STARTED
IN_PROGRESS = SectionStatus.IN_PROGRESS
COMPLETE = SectionStatus.COMPLETE
PROBLEM = SectionStatus.PROBLEM
NOT_NEEDED = SectionStatus.NOT_NEEDED
# Optional sections (the body map): empty and with no rule failing, they are "Not needed".
OPTIONAL = {s.slug for s in SECTIONS if s.optional}


def untouched(slug: str) -> SectionStatus:
    return NOT_NEEDED if slug in OPTIONAL else NOT_STARTED


def states(data: StrategyRecordData, settings: Settings = SETTINGS) -> dict:
    return {s.section.slug: s for s in section_states(data, evaluate(data, settings))}


def statuses(data: StrategyRecordData, settings: Settings = SETTINGS) -> dict[str, SectionStatus]:
    return {slug: s.status for slug, s in states(data, settings).items()}


def failing_ids(data: StrategyRecordData, slug: str, settings: Settings = SETTINGS) -> set[str]:
    return {r.rule.id for r in states(data, settings)[slug].results}


def test_status_labels():
    assert [s.value for s in SectionStatus] == [
        "Not started", "In progress", "Complete", "There is a problem", "Not needed"]


def test_one_state_per_section_in_form_order():
    data = record_with()
    assert [s.section.slug for s in section_states(data, evaluate(data, SETTINGS))] == SLUGS


# --- Not started ------------------------------------------------------------------------


def test_empty_record_has_every_section_not_started():
    assert statuses(StrategyRecordData()) == {slug: untouched(slug) for slug in SLUGS}


def test_a_new_record_with_only_its_untouched_update_action_is_not_started_anywhere():
    assert statuses(StrategyRecordData(actions=[new_update_action()])) == {
        slug: untouched(slug) for slug in SLUGS}


def test_giving_the_update_action_its_date_counts_as_recording_the_actions():
    action = new_update_action().model_copy(update={"due_date": date(2026, 12, 1)})
    assert statuses(StrategyRecordData(actions=[action]))["actions"] == SectionStatus.COMPLETE


@pytest.mark.parametrize("slug, changes", [
    ("analysis", {"analysis": {"risks": None, "strengths": None}}),
    ("distribution", {"distribution": []}),
    ("children", {"children": []}),
    ("participants", {"participants": []}),
    ("agency-positions", {"agency_positions": []}),
    ("next-steps", {"next_steps": {"icpc_date": None}}),
    ("grounds", {"grounds": {"summary": None, "source": None, "categories": [],
                             **dict.fromkeys(complete_record()["grounds"])}}),
    ("decision", {"decision": dict.fromkeys(complete_record()["decision"])}),
])
def test_empty_section_is_not_started_even_when_its_rules_fail(slug, changes):
    data = record_with(**changes)
    assert statuses(data)[slug] == NOT_STARTED


def test_children_entered_but_experience_not_is_not_started():
    child = {**complete_record()["children"][0],
             "seen": None, "seen_at": None, "seen_by": None, "voice": None}
    found = statuses(record_with(children=[child]))
    assert found["children"] == COMPLETE
    assert found["experience"] == NOT_STARTED


def test_a_child_row_with_only_experience_has_children_not_started():
    data = StrategyRecordData.model_validate(
        {"children": [{"key": "c1", "seen": "no", "not_seen_reason": "Away"}]})
    found = statuses(data)
    assert found["children"] == NOT_STARTED
    assert found["experience"] == IN_PROGRESS  # the voice is still missing


# --- Complete -------------------------------------------------------------------------------


def test_complete_record_is_complete_everywhere():
    assert statuses(record_with()) == {
        slug: NOT_NEEDED if slug in OPTIONAL else COMPLETE for slug in SLUGS}


def test_complete_sections_carry_no_failing_results():
    assert all(not s.results for s in states(record_with()).values())


def test_a_section_is_complete_when_its_own_rules_pass_even_if_others_fail():
    found = statuses(record_with(header={"chair": None}, distribution=recipients("police")))
    assert found["analysis"] == COMPLETE
    assert found["next-steps"] == COMPLETE
    assert found["header"] == IN_PROGRESS


# --- In progress ----------------------------------------------------------------------------


@pytest.mark.parametrize("slug, changes, rule_id", [
    ("header", {"header": {"chair": None}}, "header.required"),
    ("header", {"header": {"requested_by": None}}, "header.requester"),  # a warning
    ("header", {"header": {"led_by": "edt"}}, "header.edt-review"),  # date not given: missing
    ("children", {"children": [{**complete_record()["children"][0], "communication": None}]},
     "children.identity"),
    ("grounds", {"grounds": {"source": None}}, "grounds.required"),
    ("participants", {"participants": [{**complete_record()["participants"][0], "email": None}]},
     "participants.details"),
    ("agency-positions", {"agency_positions": [{"agency": "csc", "position": "has_concerns"}]},
     "agencies.positions"),
    ("experience", {"children": [{**complete_record()["children"][0], "voice": None}]},
     "experience.account"),
    ("experience", {"children": [{**complete_record()["children"][0],
                                  "communication": "pre_verbal"}]}, "experience.observed"),
    ("analysis", {"analysis": {"strengths": None}}, "analysis.risks-and-strengths"),
    ("decision", {"decision": {"reasons": None}}, "decision.required"),
    ("decision", {"decision": {"outcome": "nfa"}}, "decision.nfa-consulted"),
    ("actions", {"actions": [{"kind": "update_agencies"}, {"description": "Visit", "owner": "SW"}]},
     "actions.update-agencies"),
    ("next-steps", {"decision": {"outcome": "further_strategy"},
                    "next_steps": {"icpc_date": None, "notes": "Reconvene after medical"}},
     "next.further-discussion-date"),
    ("next-steps", {"next_steps": {"icpc_date": None, "notes": "Conference to be booked"}},
     "next.icpc-date"),
    ("distribution", {"distribution": recipients("police")}, "distribution.involved"),
])
def test_something_missing_means_in_progress(slug, changes, rule_id):
    data = record_with(**changes)
    assert statuses(data)[slug] == IN_PROGRESS
    assert rule_id in failing_ids(data, slug)


# --- There is a problem ----------------------------------------------------------------------


def test_icpc_too_late_is_a_problem():
    late = add_working_days(discussion_time().date(), 16)
    data = record_with(next_steps={"icpc_date": str(late)})
    found = statuses(data)
    assert found["next-steps"] == PROBLEM
    assert failing_ids(data, "next-steps") == {"next.icpc-within-limit"}
    # Only that section: the rest of the record is still complete.
    assert {slug for slug, s in found.items() if s not in (COMPLETE, NOT_NEEDED)} == {"next-steps"}


def test_icpc_problem_goes_away_with_a_longer_local_limit():
    day = datetime(2026, 3, 23, 10, 0)  # 16th working day: Thu 16 Apr 2026
    raw = complete_record()
    raw["header"].update(concern_at="2026-03-23T08:00", discussion_at=day.isoformat())
    raw["next_steps"]["icpc_date"] = "2026-04-16"
    raw["actions"][0]["due_date"] = "2026-03-27"
    data = StrategyRecordData.model_validate(raw)
    assert statuses(data, Settings(icpc_working_days=15))["next-steps"] == PROBLEM
    assert statuses(data, Settings(icpc_working_days=20))["next-steps"] == COMPLETE


def test_edt_review_too_late_is_a_problem():
    due = add_working_days(discussion_time().date(), 2)
    data = record_with(header={"led_by": "edt", "day_team_review_due": str(due)})
    assert statuses(data)["header"] == PROBLEM


def test_edt_review_on_time_is_complete():
    due = add_working_days(discussion_time().date(), 1)
    data = record_with(header={"led_by": "edt", "day_team_review_due": str(due)})
    assert statuses(data)["header"] == COMPLETE


def test_a_problem_outranks_missing_fields_in_the_same_section():
    due = add_working_days(discussion_time().date(), 2)
    data = record_with(header={"led_by": "edt", "day_team_review_due": str(due), "chair": None})
    assert statuses(data)["header"] == PROBLEM
    assert failing_ids(data, "header") == {"header.required", "header.edt-review"}


def test_update_action_due_before_the_discussion_is_a_problem():
    raw = complete_record()
    raw["actions"][0]["due_date"] = "2025-01-01"
    assert statuses(StrategyRecordData.model_validate(raw))["actions"] == PROBLEM


def test_cancelled_update_action_is_a_problem():
    raw = complete_record()
    raw["actions"][0]["status"] = "cancelled"
    assert statuses(StrategyRecordData.model_validate(raw))["actions"] == PROBLEM


def test_further_discussion_before_this_one_is_a_problem():
    data = record_with(decision={"outcome": "further_strategy"},
                       next_steps={"icpc_date": None, "next_discussion_on": "2025-01-01"})
    assert statuses(data)["next-steps"] == PROBLEM


def test_results_point_only_at_their_own_section():
    data = record_with(header={"chair": None}, analysis={"risks": None},
                       distribution=recipients("police"))
    for slug, state in states(data).items():
        assert all(r.rule.section == slug and not r.passed for r in state.results)
    assert failing_ids(data, "header") == {"header.required"}
    assert failing_ids(data, "analysis") == {"analysis.risks-and-strengths"}
    assert failing_ids(data, "distribution") == {"distribution.involved"}
