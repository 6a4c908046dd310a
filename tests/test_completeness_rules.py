"""Every completeness rule, passing and failing, pointing at the right field."""

from datetime import date, datetime, timedelta

import pytest

from app.config import Settings
from app.records.schema import StrategyRecordData
from app.rules.completeness import RULES, Kind, Severity, evaluate
from app.rules.workdays import add_working_days
from tests.builders import complete_record, discussion_time, record_with

SETTINGS = Settings()


def failures(data: StrategyRecordData, rule_id: str, settings: Settings = SETTINGS):
    result = next(r for r in evaluate(data, settings) if r.rule.id == rule_id)
    return list(result.failures)


def paths(data, rule_id, settings=SETTINGS):
    return [f.path for f in failures(data, rule_id, settings)]


def _day():
    return discussion_time().date()


def test_complete_record_passes_every_rule():
    failing = [(r.rule.id, r.failures) for r in evaluate(record_with(), SETTINGS) if not r.passed]
    assert failing == []


def test_rules_have_stable_unique_ids_and_say_why():
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule.message and rule.finding and rule.section
        assert rule.severity in (Severity.BLOCKING, Severity.WARNING)


def test_empty_record_fails_the_required_rules():
    data = StrategyRecordData()
    failing = {r.rule.id for r in evaluate(data, SETTINGS) if not r.passed}
    assert {"header.required", "children.present", "grounds.required", "participants.present",
            "agencies.core", "decision.required", "actions.update-agencies",
            "distribution.present"} <= failing


def test_header_required_names_each_missing_field():
    data = record_with(header={"chair": None, "format": None})
    assert paths(data, "header.required") == [("header", "format"), ("header", "chair")]


def test_further_discussion_must_link_the_earlier_one():
    assert paths(record_with(header={"sequence": "further"}), "header.further-linked") == [
        ("header", "previous_reference")]
    linked = record_with(header={"sequence": "further", "previous_reference": "SR-2026-00001"})
    assert failures(linked, "header.further-linked") == []


def _edt(discussion: datetime, review: date | None):
    return record_with(header={
        "led_by": "edt", "concern_at": (discussion - timedelta(hours=1)).isoformat(),
        "discussion_at": discussion.isoformat(),
        "day_team_review_due": str(review) if review else None})


def test_edt_record_needs_a_day_team_review_date():
    found = failures(_edt(discussion_time(), None), "header.edt-review")
    assert [f.path for f in found] == [("header", "day_team_review_due")]
    assert found[0].kind == Kind.MISSING


@pytest.mark.parametrize("discussion, latest", [
    (datetime(2026, 11, 20, 22, 0), date(2026, 11, 23)),  # Friday night -> Monday
    (datetime(2025, 12, 24, 23, 0), date(2025, 12, 29)),  # Christmas Eve -> after Boxing Day
    (datetime(2026, 4, 2, 21, 0), date(2026, 4, 7)),  # before Good Friday and Easter Monday
])
def test_edt_review_is_due_by_the_next_working_day(discussion, latest):
    assert failures(_edt(discussion, latest), "header.edt-review") == []
    late = failures(_edt(discussion, latest + timedelta(days=1)), "header.edt-review")
    assert len(late) == 1 and late[0].kind is None  # a conflict, by the rule's kind
    assert "next working day" in late[0].message


def test_edt_rule_ignores_day_team_records():
    assert failures(record_with(header={"led_by": "day_team"}), "header.edt-review") == []


def test_requesting_agency_is_a_warning():
    data = record_with(header={"requested_by": None})
    assert paths(data, "header.requester") == [("header", "requested_by")]
    rule = next(r for r in RULES if r.id == "header.requester")
    assert rule.severity == Severity.WARNING


def test_children_present_and_identified():
    assert paths(record_with(children=[]), "children.present") == [("children",)]
    child = {**complete_record()["children"][0], "name": None, "date_of_birth": None,
             "communication": None}
    assert paths(record_with(children=[child]), "children.identity") == [
        ("children", 0, "name"), ("children", 0, "date_of_birth"), ("children", 0, "communication")]


def test_unborn_child_needs_delivery_date_and_gestation():
    unborn = {"key": "u", "name": "Unborn baby of Jade Hill", "unborn": True,
              "communication": "pre_verbal"}
    assert paths(record_with(children=[unborn]), "children.identity") == [
        ("children", 0, "expected_delivery_date"), ("children", 0, "gestation_weeks")]
    unborn.update(expected_delivery_date=str(date.today() + timedelta(weeks=10)), gestation_weeks=30)
    assert failures(record_with(children=[unborn]), "children.identity") == []


def test_grounds_required():
    data = record_with(grounds={"summary": None, "categories": []})
    assert paths(data, "grounds.required") == [("grounds", "summary"), ("grounds", "categories")]


def test_images_need_who_and_policy_and_a_body_map_warning():
    data = record_with(grounds={"images_taken": "yes"})
    assert paths(data, "grounds.images") == [("grounds", "images_taken_by"), ("grounds", "images_policy")]
    assert paths(data, "grounds.body-map") == [("grounds", "body_map")]
    done = record_with(grounds={"images_taken": "yes", "images_taken_by": "DSL",
                                "images_policy": "Digital images policy", "body_map": "yes"})
    assert failures(done, "grounds.images") == [] and failures(done, "grounds.body-map") == []


def test_referrer_must_be_told_the_outcome():
    data = record_with(grounds={"referrer_name": "Ann Jones"})
    assert paths(data, "grounds.referrer-told") == [("grounds", "referrer_informed_on")]
    told = record_with(grounds={"referrer_name": "Ann Jones", "referrer_informed_on": str(_day()),
                                "referrer_informed_how": "Phone"})
    assert failures(told, "grounds.referrer-told") == []


def test_participants_present():
    assert paths(record_with(participants=[]), "participants.present") == [("participants",)]


def test_participant_needs_mode_and_a_phone_or_email():
    people = complete_record()["participants"]
    people[1] = {**people[1], "phone": None, "email": None}
    people[0] = {**people[0], "mode": None}
    assert paths(record_with(participants=people), "participants.details") == [
        ("participants", 0, "mode"), ("participants", 1, "phone")]


@pytest.mark.parametrize("mode", ["phone_outside", "email_outside", "written_report"])
def test_contributions_outside_the_meeting_say_when(mode):
    people = complete_record()["participants"]
    people[2] = {**people[2], "mode": mode, "contributed_at": None}
    assert paths(record_with(participants=people), "participants.details") == [
        ("participants", 2, "contributed_at")]


def test_core_agencies_csc_police_and_health():
    data = record_with(participants=[], agency_positions=[])
    messages = [f.message for f in failures(data, "agencies.core")]
    assert len(messages) == 3
    assert any("police" in m for m in messages) and any("health" in m for m in messages)


def test_a_participant_is_enough_for_a_core_agency():
    positions = [p for p in complete_record()["agency_positions"] if p["agency"] != "police"]
    assert failures(record_with(agency_positions=positions), "agencies.core") == []


def test_unborn_child_needs_midwifery():
    unborn = {"key": "u", "name": "Baby", "unborn": True, "communication": "pre_verbal",
              "expected_delivery_date": str(date.today() + timedelta(weeks=8)), "gestation_weeks": 32}
    data = record_with(children=[unborn])
    assert [f.message for f in failures(data, "agencies.core")] == [
        "Record midwifery's position: the child is unborn"]
    positions = complete_record()["agency_positions"] + [
        {"agency": "midwifery", "position": "no_concerns"}]
    assert failures(record_with(children=[unborn], agency_positions=positions), "agencies.core") == []


@pytest.mark.parametrize("row, field", [
    ({"agency": "school"}, "position"),
    ({"agency": "school", "position": "has_concerns"}, "concerns"),
    ({"agency": "school", "position": "not_contacted"}, "not_contacted_reason"),
    ({"position": "no_concerns"}, "agency"),
])
def test_each_agency_position_is_complete(row, field):
    positions = complete_record()["agency_positions"] + [row]
    assert paths(record_with(agency_positions=positions), "agencies.positions") == [
        ("agency_positions", 3, field)]


def test_one_row_per_agency():
    positions = complete_record()["agency_positions"] + [
        {"agency": "police", "position": "no_concerns"}]
    found = failures(record_with(agency_positions=positions), "agencies.positions")
    assert [f.path for f in found] == [("agency_positions", 3, "agency")]
    assert "more than once" in found[0].message


def test_agencies_taking_part_have_positions_warning():
    people = complete_record()["participants"] + [
        {"name": "Ann", "agency": "school", "role": "DSL", "mode": "in_person", "email": "a@b.uk"}]
    found = failures(record_with(participants=people), "agencies.participants-have-positions")
    assert [f.message for f in found] == ["School or college took part: record its position"]


def test_every_child_has_an_account_of_their_experience():
    child = {**complete_record()["children"][0], "seen": None, "voice": None}
    assert paths(record_with(children=[child]), "experience.account") == [
        ("children", 0, "seen"), ("children", 0, "voice")]
    not_seen = {**child, "seen": "no", "voice": "Said to teacher: fine"}
    assert paths(record_with(children=[not_seen]), "experience.account") == [
        ("children", 0, "not_seen_reason")]


@pytest.mark.parametrize("communication", ["pre_verbal", "non_verbal"])
def test_a_child_who_cannot_speak_needs_observations(communication):
    child = {**complete_record()["children"][0], "communication": communication}
    assert paths(record_with(children=[child]), "experience.observed") == [
        ("children", 0, "observations")]
    child["observations"] = "Settled in mother's arms; clean; fed on cue."
    assert failures(record_with(children=[child]), "experience.observed") == []


def test_verbal_child_needs_no_observations():
    assert failures(record_with(), "experience.observed") == []


def test_decision_needs_outcome_and_reasons():
    assert paths(record_with(decision={"outcome": None, "reasons": None}), "decision.required") == [
        ("decision", "outcome"), ("decision", "reasons")]


def test_no_further_action_for_a_school_age_child_needs_the_school():
    data = record_with(decision={"outcome": "nfa"}, next_steps={"icpc_date": None})
    assert [f.message for f in failures(data, "decision.nfa-consulted")] == [
        "Before no further action for a school-age child, record the school's position"]
    positions = complete_record()["agency_positions"] + [{"agency": "school", "position": "no_concerns"}]
    data = record_with(decision={"outcome": "nfa"}, agency_positions=positions)
    assert failures(data, "decision.nfa-consulted") == []


def test_no_further_action_for_an_unborn_child_needs_midwifery():
    unborn = {"key": "u", "name": "Baby", "unborn": True, "communication": "pre_verbal",
              "expected_delivery_date": str(date.today() + timedelta(weeks=8)), "gestation_weeks": 32}
    data = record_with(children=[unborn], decision={"outcome": "nfa"})
    assert [f.message for f in failures(data, "decision.nfa-consulted")] == [
        "Before no further action, record midwifery's position"]


def test_dissent_needs_escalation_warning():
    assert paths(record_with(decision={"dissent": "Police disagree"}), "decision.dissent-escalated") == [
        ("decision", "dissent_escalation")]


def test_update_action_needs_a_date_on_or_after_the_discussion():
    actions = complete_record()["actions"]
    actions[0] = {"kind": "update_agencies"}
    found = failures(record_with(actions=actions), "actions.update-agencies")
    assert [f.path for f in found] == [("actions", 0, "due_date")] and found[0].kind == Kind.MISSING
    actions[0]["due_date"] = str(_day() - timedelta(days=1))
    found = failures(record_with(actions=actions), "actions.update-agencies")
    assert [f.path for f in found] == [("actions", 0, "due_date")] and found[0].kind is None
    actions[0]["due_date"] = str(_day())
    assert failures(record_with(actions=actions), "actions.update-agencies") == []


def test_update_action_cannot_be_cancelled_or_lost():
    actions = complete_record()["actions"]
    actions[0]["status"] = "cancelled"
    assert paths(record_with(actions=actions), "actions.update-agencies") == [("actions", 0, "status")]
    assert paths(record_with(actions=actions[1:]), "actions.update-agencies") == [("actions",)]


def test_other_actions_need_description_owner_and_date():
    actions = complete_record()["actions"] + [{"description": "Visit"}]
    assert paths(record_with(actions=actions), "actions.details") == [
        ("actions", 2, "owner"), ("actions", 2, "due_date")]


def test_icpc_missing_is_a_warning_not_a_block():
    data = record_with(next_steps={"icpc_date": None})
    assert paths(data, "next.icpc-date") == [("next_steps", "icpc_date")]
    assert failures(data, "next.icpc-within-limit") == []
    assert next(r for r in RULES if r.id == "next.icpc-date").severity == Severity.WARNING


def test_icpc_on_the_last_working_day_passes_and_after_it_blocks():
    last = add_working_days(_day(), 15)
    assert failures(record_with(next_steps={"icpc_date": str(last)}), "next.icpc-within-limit") == []
    late = failures(record_with(next_steps={"icpc_date": str(last + timedelta(days=1))}),
                    "next.icpc-within-limit")
    assert len(late) == 1 and "within 15 working days" in late[0].message
    assert next(r for r in RULES if r.id == "next.icpc-within-limit").severity == Severity.BLOCKING


def test_icpc_limit_comes_from_settings():
    day_17 = add_working_days(_day(), 17)
    data = record_with(next_steps={"icpc_date": str(day_17)})
    assert failures(data, "next.icpc-within-limit") != []
    assert failures(data, "next.icpc-within-limit", replace_settings(icpc_working_days=20)) == []


def replace_settings(**changes) -> Settings:
    return Settings(**{**SETTINGS.model_dump(), **changes})


def test_icpc_only_applies_to_section_47_outcomes():
    data = record_with(decision={"outcome": "cin"}, next_steps={"icpc_date": None})
    assert failures(data, "next.icpc-date") == []


def test_prebirth_conference_warning_after_the_configured_week():
    unborn = {"key": "u", "name": "Baby", "unborn": True, "communication": "pre_verbal",
              "expected_delivery_date": str(date.today() + timedelta(weeks=6)), "gestation_weeks": 33,
              "observations": "Mother attends antenatal care."}
    icpc = add_working_days(_day(), 10)
    data = record_with(children=[unborn], next_steps={"icpc_date": str(icpc)})
    assert paths(data, "next.prebirth-conference") == [("next_steps", "icpc_date")]
    early = {**unborn, "gestation_weeks": 20}
    assert failures(record_with(children=[early], next_steps={"icpc_date": str(icpc)}),
                    "next.prebirth-conference") == []


def test_further_strategy_needs_the_next_date():
    data = record_with(decision={"outcome": "further_strategy"})
    assert paths(data, "next.further-discussion-date") == [("next_steps", "next_discussion_on")]
    data = record_with(decision={"outcome": "further_strategy"},
                       next_steps={"next_discussion_on": str(_day() + timedelta(days=7))})
    assert failures(data, "next.further-discussion-date") == []


def test_distribution_is_required_and_warns_about_involved_agencies():
    assert paths(record_with(distribution=[]), "distribution.present") == [("distribution",)]
    found = failures(record_with(distribution=["csc", "police"]), "distribution.involved")
    assert [f.message for f in found] == ["Health visiting was involved but will not receive the record"]


def test_rules_never_fail_on_partial_data():
    """Any single section on its own evaluates without errors."""
    full = complete_record()
    for section in full:
        data = StrategyRecordData.model_validate({section: full[section]})
        assert len(evaluate(data, SETTINGS)) == len(RULES)


