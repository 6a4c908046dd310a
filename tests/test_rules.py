"""The completeness rules, one by one: each passes on a good record and fails, pointing at the
right field, on a bad one. Pure functions over StrategyRecordData: no database."""

from copy import deepcopy
from datetime import date, datetime, timedelta

import pytest

from app.config import Settings
from app.domain.choices import Agency
from app.domain.schema import StrategyRecordData
from app.rules.completeness import (
    RULES,
    Kind,
    Severity,
    blocking_failures,
    evaluate,
    tally,
)
from app.rules.workdays import add_working_days
from tests.builders import complete_record, discussion_time, observed_parts, recipients, record_with
from tests.rule_helpers import (
    RULE_IDS,
    SETTINGS,
    build,
    child,
    failures,
    kinds,
    passes,
    paths,
    positions,
    result,
    unborn_child,
)

# Fixed past discussion times (all before "today", 2026-11-22).
MONDAY_BEFORE_EASTER = datetime(2026, 3, 23, 10, 0)  # 15 working days on: Wed 15 Apr 2026
FRIDAY = datetime(2026, 11, 20, 16, 0)  # next working day: Mon 23 Nov 2026
CHRISTMAS_EVE_2025 = datetime(2025, 12, 24, 22, 30)  # Wed; 25 & 26 Dec bank holidays -> Mon 29
MAUNDY_THURSDAY_2026 = datetime(2026, 4, 2, 21, 0)  # Good Friday, Easter Monday -> Tue 7 Apr


NFA = {"outcome": "nfa", "reasons": "Accidental injury, explained"}
SCHOOL = {"agency": "school", "position": "no_concerns"}
MIDWIFERY = {"agency": "midwifery", "position": "no_concerns"}


def born_on(years_ago: int, day: date | None = None, days_later: int = 0) -> str:
    """A date of birth making the child `years_ago` old on `day` (the discussion day)."""
    day = day or discussion_time().date()
    try:
        born = day.replace(year=day.year - years_ago)
    except ValueError:  # 29 February
        born = day.replace(year=day.year - years_ago, day=28)
    return str(born + timedelta(days=days_later))


def participants(*changes: dict | None) -> list[dict]:
    """The complete record's participants with row i patched by changes[i] (None: unchanged)."""
    rows = deepcopy(complete_record()["participants"])
    for i, patch in enumerate(changes):
        if patch:
            rows[i] = {**rows[i], **patch}
    return rows


def actions(update: dict | None = None, *tasks: dict) -> list[dict]:
    rows = deepcopy(complete_record()["actions"])
    if update is not None:
        rows[0] = {**rows[0], **update}
    return [*rows, *tasks]


# --- the complete record and the rule registry -----------------------------------------


def test_complete_record_passes_every_rule_blocking_and_warning():
    data = StrategyRecordData.model_validate(complete_record())
    results = evaluate(data, SETTINGS)
    failing = {r.rule.id: [f.message for f in r.failures] for r in results if not r.passed}
    assert failing == {}
    assert blocking_failures(results) == []


def test_complete_record_passes_on_a_fixed_past_date_too():
    failing = [r.rule.id for r in evaluate(build(MONDAY_BEFORE_EASTER), SETTINGS) if not r.passed]
    assert failing == []


def test_evaluate_gives_one_result_per_rule_in_order():
    results = evaluate(record_with(), SETTINGS)
    assert [r.rule.id for r in results] == [r.id for r in RULES]


def test_rule_ids_are_unique_and_every_rule_is_described():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert r.severity in (Severity.BLOCKING, Severity.WARNING)
        assert r.kind in (Kind.MISSING, Kind.CONFLICT)
        assert r.message and r.finding and r.section


@pytest.mark.parametrize("rule_id, severity, kind", [
    ("next.icpc-date", Severity.WARNING, Kind.MISSING),
    ("next.icpc-within-limit", Severity.BLOCKING, Kind.CONFLICT),
    ("header.edt-review", Severity.BLOCKING, Kind.CONFLICT),
    ("actions.update-agencies", Severity.BLOCKING, Kind.CONFLICT),
    ("next.further-discussion-date", Severity.BLOCKING, Kind.CONFLICT),
    ("participants.details", Severity.BLOCKING, Kind.MISSING),
    ("agencies.core", Severity.BLOCKING, Kind.MISSING),
    ("experience.observed", Severity.BLOCKING, Kind.MISSING),
    ("decision.nfa-consulted", Severity.BLOCKING, Kind.MISSING),
    ("header.requester", Severity.WARNING, Kind.MISSING),
    ("header.csc-contact", Severity.WARNING, Kind.MISSING),
])
def test_rule_severity_and_kind(rule_id, severity, kind):
    (r,) = [r for r in RULES if r.id == rule_id]
    assert (r.severity, r.kind) == (severity, kind)


def test_an_empty_record_fails_the_required_rules_without_crashing():
    failing = {r.rule.id for r in evaluate(StrategyRecordData(), SETTINGS) if not r.passed}
    assert {
        "header.required", "children.present", "grounds.required", "participants.present",
        "agencies.core", "decision.required", "actions.update-agencies", "distribution.present",
    } <= failing


# The complete record's referrer was told; these cases are about one who was not.
NOT_TOLD = {"referrer_informed_on": None, "referrer_informed_how": None}

def working_days_before(moment: datetime, days: int) -> datetime:
    """The same time `days` working days earlier."""
    day = moment.date()
    while add_working_days(day, days) > moment.date():
        day -= timedelta(days=1)
    return datetime.combine(day, moment.time())


OBSERVATION_PATHS = [("children", 0, part) for part in (
    "observed_care", "observed_presentation", "observed_interaction", "observed_by", "observed_at")]


# One failing case per rule: (rule id, record, the paths of its failures). The test below
# checks that every registered rule appears here, so a new rule cannot go untested.
FAILING = [
    ("header.required", lambda: build(header={"minute_taker": None}),
     [("header", "minute_taker")]),
    ("header.further-linked", lambda: build(header={"sequence": "further",
                                                    "s47_started_on": str(discussion_time().date())}),
     [("header", "previous_reference")]),
    ("header.edt-review", lambda: build(header={"led_by": "edt"}),
     [("header", "day_team_review_due")]),
    ("header.requester", lambda: build(header={"requested_by": None}),
     [("header", "requested_by")]),
    ("header.csc-contact", lambda: build(header={"csc_contact_phone": None}),
     [("header", "csc_contact_phone")]),
    ("timeliness.discussion-within", lambda: build(header={"concern_at": (
        discussion_time() - timedelta(days=14)).isoformat()}), [("header", "discussion_at")]),
    ("timeliness.discussion-prompt", lambda: build(header={"concern_at": working_days_before(
        discussion_time(), 2).isoformat()}), [("header", "discussion_at")]),
    ("children.present", lambda: build(children=[]), [("children",)]),
    ("children.identity", lambda: build(children=[child(date_of_birth=None)]),
     [("children", 0, "date_of_birth")]),
    ("grounds.required", lambda: build(grounds={"source": None}), [("grounds", "source")]),
    ("grounds.images", lambda: build(grounds={"images_taken": "yes", "body_map": "yes",
                                              "images_taken_role": "medical"}),
     [("grounds", "images_taken_by"), ("grounds", "images_policy")]),
    ("grounds.body-map", lambda: build(grounds={
        "images_taken": "yes", "images_taken_by": "DSL", "images_policy": "School policy",
        "images_taken_role": "medical"}),
     [("grounds", "body_map")]),
    ("grounds.referrer-told", lambda: build(grounds={"referrer_name": "Ms Jones", **NOT_TOLD}),
     [("grounds", "referrer_informed_on")]),
    ("participants.present", lambda: build(participants=[]), [("participants",)]),
    ("participants.details", lambda: build(participants=participants(None, {"phone": None})),
     [("participants", 1, "phone")]),
    ("participants.relayed", lambda: build(participants=participants(None, None, {
        "mode": "email_outside", "relayed_by": None})), [("participants", 2, "relayed_by")]),
    ("agencies.core", lambda: build(children=[unborn_child()]), [("agency_positions",)]),
    ("agencies.positions", lambda: build(
        agency_positions=positions({"agency": "gp", "position": "has_concerns"}),
        distribution=recipients("csc", "police", "health_visiting", "gp")),
     [("agency_positions", 3, "concerns")]),
    ("agencies.participants-have-positions",
     lambda: build(agency_positions=positions(drop=("police",))), [("agency_positions",)]),
    ("experience.account", lambda: build(children=[child(voice=None)]),
     [("children", 0, "voice")]),
    ("experience.observed", lambda: build(children=[child(communication="pre_verbal")]),
     OBSERVATION_PATHS),
    ("analysis.risks-and-strengths", lambda: build(analysis={"strengths": None}),
     [("analysis", "strengths")]),
    ("decision.required", lambda: build(decision={"reasons": None}), [("decision", "reasons")]),
    ("decision.nfa-consulted", lambda: build(decision={"outcome": "nfa"}),
     [("decision", "outcome")]),
    ("decision.dissent-escalated", lambda: build(decision={"dissent": "Police disagreed"}),
     [("decision", "dissent_escalation")]),
    ("actions.update-agencies", lambda: build(actions=actions(
        {"due_date": str(discussion_time().date() - timedelta(days=1))})),
     [("actions", 0, "due_date")]),
    ("actions.details", lambda: build(actions=actions(None, {"description": "Medical"})),
     [("actions", 2, "owner"), ("actions", 2, "due_date")]),
    ("next.icpc-date", lambda: build(next_steps={"icpc_date": None}),
     [("next_steps", "icpc_date")]),
    ("next.icpc-within-limit", lambda: build(MONDAY_BEFORE_EASTER,
                                             next_steps={"icpc_date": "2026-04-16"}),
     [("next_steps", "icpc_date")]),
    ("next.prebirth-conference", lambda: build(
        children=[child(), unborn_child(gestation_weeks=33, expected_delivery_date=str(
            discussion_time().date() + timedelta(weeks=7)))],
        agency_positions=positions({"agency": "midwifery", "position": "no_concerns"}),
        distribution=recipients("csc", "police", "health_visiting", "midwifery")),
     [("next_steps", "icpc_date")]),
    ("next.further-discussion-date", lambda: build(decision={"outcome": "further_strategy"}),
     [("next_steps", "next_discussion_on")]),
    ("distribution.present", lambda: build(distribution=[]), [("distribution",)]),
    ("distribution.involved", lambda: build(distribution=recipients("csc", "police")),
     [("distribution",)]),
    # Rules for the practice gaps (issue 12); their passing cases are in test_practice_gaps.py.
    ("header.s47-start-date", lambda: build(header={"sequence": "further",
                                                    "previous_reference": "SR-2026-00001"}),
     [("header", "s47_started_on")]),
    ("header.phone-only-meeting", lambda: build(header={"format": "phone"},
                                                analysis={"earlier_enquiries": "yes"}),
     [("header", "format")]),
    ("children.person-id", lambda: build(children=[child(person_id=None)]),
     [("children", 0, "person_id")]),
    ("children.edd-gestation", lambda: build(
        children=[child(), unborn_child(gestation_weeks=20)],
        agency_positions=positions({"agency": "midwifery", "position": "no_concerns"}),
        distribution=recipients("csc", "police", "health_visiting", "midwifery")),
     [("children", 1, "gestation_weeks")]),
    ("children.unborn-plans", lambda: build(
        children=[child(), unborn_child(maternity_unit=None)],
        agency_positions=positions({"agency": "midwifery", "position": "no_concerns"}),
        distribution=recipients("csc", "police", "health_visiting", "midwifery")),
     [("children", 1, "maternity_unit")]),
    ("grounds.referrer-named", lambda: build(grounds={"referrer_kind": None}),
     [("grounds", "referrer_kind")]),
    ("grounds.images-medical", lambda: build(grounds={
        "images_taken": "yes", "images_taken_by": "DSL", "images_policy": "School policy",
        "images_taken_role": "school", "body_map": "yes"}),
     [("grounds", "images_kept_where")]),
    ("grounds.alleged-person", lambda: build(grounds={
        "alleged_name": "Mr Carter", "alleged_relationship": "Father", "alleged_under_18": "no",
        "alleged_contact_with_children": "yes"}),
     [("grounds", "alleged_other_children")]),
    ("injuries.entries", lambda: build(injuries=[{
        "area": "left_arm", "side": "front", "description": "Bruise", "seen_by": "DSL"}]),
     [("injuries", 0, "seen_on")]),
    # Per-child copies (issue 22): rows belong to a child; shared text naming a sibling.
    ("children.rows-belong", lambda: build(
        children=[child(), child(key="mia", name="Mia Carter")],
        injuries=[{"child_key": "mia", "area": "left_arm", "side": "front", "description": "Bruise",
                   "seen_by": "DSL", "seen_on": str(discussion_time().date())},
                  {"area": "upper_back", "side": "back", "description": "Mark", "seen_by": "DSL",
                   "seen_on": str(discussion_time().date())}]),
     [("injuries", 1, "child_key")]),
    ("children.passages", lambda: build(child_passages=[{"passage": "analysis.risks"}]),
     [("child_passages", 0, "text")]),
    ("children.shared-text-names", lambda: build(
        children=[child(), child(key="mia", name="Mia Carter")],
        grounds={"summary": "Leo has a bruise; Mia was at home"}),
     [("grounds", "summary"), ("grounds", "summary")]),
    ("children.references", lambda: build(
        children=[child(household="Mother Kim, sister Mia"),
                  child(key="mia", name="Mia Carter", household="As Leo")]),
     [("children", 1, "household")]),
    ("decision.police-plan", lambda: build(decision={"police_lead": None}),
     [("decision", "police_lead")]),
    ("decision.police-evidence", lambda: build(decision={"crime_reference": None}),
     [("decision", "crime_reference")]),
    ("decision.legal-planning", lambda: build(decision={"legal_advice": "yes"}),
     [("decision", "legal_advice_by")]),
    ("decision.family-told", lambda: build(decision={"child_informed": None}),
     [("decision", "child_informed")]),
    ("next.prebirth-conference-date", lambda: build(
        children=[child(), unborn_child(gestation_weeks=35, expected_delivery_date=str(
            discussion_time().date() + timedelta(weeks=5)))],
        agency_positions=positions({"agency": "midwifery", "position": "no_concerns"}),
        distribution=recipients("csc", "police", "health_visiting", "midwifery"),
        decision={"outcome": "cin"}, next_steps={"icpc_date": None}),
     [("next_steps", "icpc_date")]),
    # Dates judged against the discussion (issue 19); boundaries in test_dates_judged.py.
    ("dates.s47-start", lambda: build(header={
        "sequence": "further", "previous_reference": "SR-2026-00001",
        "s47_started_on": str(discussion_time().date() + timedelta(days=1))}),
     [("header", "s47_started_on")]),
    ("dates.referrer-told", lambda: build(grounds={
        "referrer_informed_on": str(discussion_time().date() - timedelta(days=365))}),
     [("grounds", "referrer_informed_on")]),
    ("dates.contributions", lambda: build(participants=participants(None, None, {
        "contributed_at": (discussion_time() - timedelta(days=2)).isoformat()})),
     [("participants", 2, "contributed_at")]),
]


def test_every_rule_has_a_failing_case():
    assert {rule_id for rule_id, _, _ in FAILING} == RULE_IDS


@pytest.mark.parametrize("rule_id, make, expected", FAILING, ids=[c[0] for c in FAILING])
def test_rule_fails_and_points_at_the_field(rule_id, make, expected):
    data = make()
    assert paths(data, rule_id) == expected
    assert all(f.message for f in failures(data, rule_id))


@pytest.mark.parametrize("rule_id, make, expected", FAILING, ids=[c[0] for c in FAILING])
def test_rule_fails_alone(rule_id, make, expected):
    """Each failing case breaks only the rule it is about (an empty distribution also leaves
    out every involved agency)."""
    failing = {r.rule.id for r in evaluate(make(), SETTINGS) if not r.passed}
    knock_on = {"distribution.present": {"distribution.involved"}}.get(rule_id, set())
    assert failing - knock_on == {rule_id}


# --- header ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", [
    "concern_at", "discussion_at", "format", "sequence", "chair", "minute_taker", "led_by",
])
def test_header_required_names_each_missing_field(field):
    assert paths(build(header={field: None}), "header.required") == [("header", field)]


def test_header_required_lists_every_missing_field_in_form_order():
    data = build(header={"chair": None, "format": None, "led_by": None})
    assert paths(data, "header.required") == [
        ("header", "format"), ("header", "chair"), ("header", "led_by")]


def test_further_discussion_linked_to_earlier_one_passes():
    data = build(header={"sequence": "further", "previous_reference": "SR-2026-00001"})
    assert passes(data, "header.further-linked")


def test_first_discussion_needs_no_link():
    assert passes(build(header={"sequence": "first"}), "header.further-linked")


# --- EDT review -------------------------------------------------------------------------


def test_day_team_discussion_needs_no_edt_review():
    assert passes(build(header={"led_by": "day_team", "day_team_review_due": None}),
                  "header.edt-review")


def test_edt_without_review_date_is_missing():
    data = build(header={"led_by": "edt"})
    assert paths(data, "header.edt-review") == [("header", "day_team_review_due")]
    assert kinds(data, "header.edt-review") == [Kind.MISSING]


@pytest.mark.parametrize("at, next_working_day", [
    (FRIDAY, date(2026, 11, 23)),  # Friday -> Monday
    (CHRISTMAS_EVE_2025, date(2025, 12, 29)),  # Christmas Day, Boxing Day, weekend
    (MAUNDY_THURSDAY_2026, date(2026, 4, 7)),  # Good Friday, weekend, Easter Monday
    (datetime(2026, 5, 22, 18, 0), date(2026, 5, 26)),  # Friday before Spring bank holiday
    (datetime(2026, 11, 17, 20, 0), date(2026, 11, 18)),  # an ordinary Tuesday
    (datetime(2026, 11, 14, 11, 0), date(2026, 11, 16)),  # a Saturday -> Monday
], ids=["friday", "christmas-2025", "easter-2026", "spring-bank-holiday", "tuesday",
        "saturday"])
def test_edt_review_due_by_the_next_working_day(at, next_working_day):
    on_time = build(at, header={"led_by": "edt", "day_team_review_due": str(next_working_day)})
    assert passes(on_time, "header.edt-review")

    too_late = build(at, header={
        "led_by": "edt", "day_team_review_due": str(next_working_day + timedelta(days=1))})
    assert paths(too_late, "header.edt-review") == [("header", "day_team_review_due")]
    assert kinds(too_late, "header.edt-review") == [Kind.CONFLICT]
    assert f"{next_working_day:%-d %B %Y}" in failures(too_late, "header.edt-review")[0].message


def test_edt_review_due_in_the_holiday_gap_passes():
    # Christmas Day 2025 is not a working day, but a review due then is still in time.
    data = build(CHRISTMAS_EVE_2025, header={"led_by": "edt", "day_team_review_due": "2025-12-27"})
    assert passes(data, "header.edt-review")


@pytest.mark.parametrize("review", ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"])
def test_edt_friday_review_over_the_weekend_up_to_monday_passes(review):
    data = build(FRIDAY, header={"led_by": "edt", "day_team_review_due": review})
    assert passes(data, "header.edt-review")


def test_edt_friday_review_on_tuesday_fails():
    data = build(FRIDAY, header={"led_by": "edt", "day_team_review_due": "2026-11-24"})
    assert paths(data, "header.edt-review") == [("header", "day_team_review_due")]


def test_edt_review_before_the_discussion_fails():
    data = build(FRIDAY, header={"led_by": "edt", "day_team_review_due": "2026-11-19"})
    assert paths(data, "header.edt-review") == [("header", "day_team_review_due")]
    assert kinds(data, "header.edt-review") == [Kind.CONFLICT]


def test_edt_review_limit_comes_from_settings():
    data = build(FRIDAY, header={"led_by": "edt", "day_team_review_due": "2026-11-24"})
    assert not passes(data, "header.edt-review", SETTINGS)
    assert passes(data, "header.edt-review", SETTINGS.model_copy(
        update={"edt_review_working_days": 2}))


def test_edt_review_date_without_discussion_date_is_not_judged():
    data = build(header={"led_by": "edt", "day_team_review_due": "2026-01-01",
                         "discussion_at": None})
    assert passes(data, "header.edt-review")


# --- requester -------------------------------------------------------------------------


def test_requester_recorded_passes():
    assert passes(build(header={"requested_by": "police"}), "header.requester")


# --- children ---------------------------------------------------------------------------


def test_children_present_passes_with_a_child():
    assert passes(build(), "children.present")


@pytest.mark.parametrize("changes, expected", [
    ({"name": None}, [("children", 0, "name")]),
    ({"date_of_birth": None}, [("children", 0, "date_of_birth")]),
    ({"communication": None}, [("children", 0, "communication")]),
    ({"name": None, "date_of_birth": None, "communication": None},
     [("children", 0, "name"), ("children", 0, "date_of_birth"),
      ("children", 0, "communication")]),
])
def test_child_identity_names_each_missing_field(changes, expected):
    assert paths(build(children=[child(**changes)]), "children.identity") == expected


def test_unborn_child_needs_edd_and_gestation_not_a_date_of_birth():
    assert passes(build(children=[child(), unborn_child()]), "children.identity")
    data = build(children=[child(), unborn_child(expected_delivery_date=None,
                                                 gestation_weeks=None)])
    assert paths(data, "children.identity") == [
        ("children", 1, "expected_delivery_date"), ("children", 1, "gestation_weeks")]


def test_child_identity_points_at_the_right_child():
    data = build(children=[child(), child(key="child2", name="Mia Carter", communication=None)])
    assert paths(data, "children.identity") == [("children", 1, "communication")]


# --- grounds ----------------------------------------------------------------------------


@pytest.mark.parametrize("field, empty", [("summary", None), ("source", None),
                                          ("categories", [])])
def test_grounds_required_names_each_missing_field(field, empty):
    assert paths(build(grounds={field: empty}), "grounds.required") == [("grounds", field)]


@pytest.mark.parametrize("grounds", [
    {"images_taken": None},
    {"images_taken": "no"},
    {"images_taken": "yes", "images_taken_by": "DSL", "images_policy": "School policy",
     "body_map": "yes"},
])
def test_images_rule_passes(grounds):
    assert passes(build(grounds=grounds), "grounds.images")


def test_images_taken_without_policy_points_at_the_policy():
    data = build(grounds={"images_taken": "yes", "images_taken_by": "Class teacher"})
    assert paths(data, "grounds.images") == [("grounds", "images_policy")]


def test_body_map_completed_passes():
    data = build(grounds={"images_taken": "yes", "images_taken_by": "DSL",
                          "images_policy": "School policy", "body_map": "yes"})
    assert passes(data, "grounds.body-map")


def test_body_map_marked_no_after_images_is_a_warning():
    data = build(grounds={"images_taken": "yes", "images_taken_by": "DSL",
                          "images_policy": "School policy", "body_map": "no"})
    assert paths(data, "grounds.body-map") == [("grounds", "body_map")]
    assert result(data, "grounds.body-map").rule.severity == Severity.WARNING


@pytest.mark.parametrize("grounds", [
    {},  # no referrer named
    {"referrer_name": "Ms Jones", "referrer_informed_on": "2026-11-01",
     "referrer_informed_how": "Phone"},
])
def test_referrer_told_passes(grounds):
    assert passes(build(grounds=grounds), "grounds.referrer-told")


@pytest.mark.parametrize("grounds, missing", [
    ({"referrer_name": "Ms Jones", **NOT_TOLD}, "referrer_informed_on"),
    ({"referrer_name": "Ms Jones", **NOT_TOLD, "referrer_informed_how": "Phone"},
     "referrer_informed_on"),
    # The date is given; the failure must point at what is missing: how they were told.
    ({"referrer_name": "Ms Jones", **NOT_TOLD, "referrer_informed_on": "2026-11-01"},
     "referrer_informed_how"),
], ids=["neither", "how-only", "date-only"])
def test_referrer_told_points_at_the_missing_field(grounds, missing):
    data = build(grounds=grounds)
    assert paths(data, "grounds.referrer-told") == [("grounds", missing)]


# --- participants -----------------------------------------------------------------------


def test_participants_present_passes_with_people():
    assert passes(build(), "participants.present")


@pytest.mark.parametrize("i", [0, 1, 2])
def test_participant_without_phone_or_email_fails_at_phone(i):
    patch = [None, None, None]
    patch[i] = {"phone": None, "email": None}
    data = build(participants=participants(*patch))
    assert paths(data, "participants.details") == [("participants", i, "phone")]


@pytest.mark.parametrize("contact", [
    {"phone": "01632 960 404", "email": None},
    {"phone": None, "email": "dc.evans@police.example.uk"},
])
def test_participant_with_phone_or_email_passes(contact):
    data = build(participants=participants(None, contact))
    assert passes(data, "participants.details")


@pytest.mark.parametrize("field", ["name", "agency", "role", "mode"])
def test_participant_missing_field(field):
    data = build(participants=participants(None, {field: None}))
    assert ("participants", 1, field) in paths(data, "participants.details")


@pytest.mark.parametrize("mode", ["phone_outside", "email_outside", "written_report"])
def test_contribution_outside_the_meeting_says_when(mode):
    data = build(participants=participants(None, None, {"mode": mode, "contributed_at": None}))
    assert paths(data, "participants.details") == [("participants", 2, "contributed_at")]


@pytest.mark.parametrize("mode", ["in_person", "video", "unavailable"])
def test_contribution_in_the_meeting_needs_no_time(mode):
    data = build(participants=participants({"mode": mode}))
    assert passes(data, "participants.details")


# --- agencies ---------------------------------------------------------------------------


def test_core_agencies_pass_from_positions_alone():
    data = build(participants=[{
        "name": "Priya Shah", "agency": "csc", "role": "TM", "mode": "in_person",
        "email": "priya@example.gov.uk"}])
    assert passes(data, "agencies.core")


def test_core_agencies_pass_from_participants_alone():
    assert passes(build(agency_positions=[]), "agencies.core")


@pytest.mark.parametrize("missing", ["csc", "police", "health_visiting"])
def test_core_agency_missing_fails(missing):
    data = build(
        participants=[p for p in complete_record()["participants"] if p["agency"] != missing],
        agency_positions=positions(drop=(missing,)),
    )
    assert paths(data, "agencies.core") == [("agency_positions",)]


@pytest.mark.parametrize("health", ["gp", "hospital", "school_nursing", "camhs",
                                    "health_safeguarding", "midwifery"])
def test_any_health_agency_counts_as_health(health):
    data = build(
        participants=participants(None, None, {"agency": health}),
        agency_positions=positions({"agency": health, "position": "no_concerns"},
                                   drop=("health_visiting",)),
    )
    assert passes(data, "agencies.core")


def test_unborn_child_without_midwifery_fails_core_agencies():
    data = build(children=[unborn_child()])
    (failure,) = failures(data, "agencies.core")
    assert failure.path == ("agency_positions",)
    assert "midwifery" in failure.message.lower()


@pytest.mark.parametrize("how", ["position", "participant"])
def test_unborn_child_with_midwifery_passes_core_agencies(how):
    if how == "position":
        data = build(children=[unborn_child()], agency_positions=positions(
            {"agency": "midwifery", "position": "no_concerns"}))
    else:
        data = build(children=[unborn_child()], participants=participants(None, None, None) + [
            {"name": "Jo Bell", "agency": "midwifery", "role": "Midwife", "mode": "video",
             "phone": "01632 960 505"}])
    assert passes(data, "agencies.core")


@pytest.mark.parametrize("agency", ["police", "midwifery"])
def test_invited_but_unavailable_agency_is_not_a_core_agency_taking_part(agency):
    """An agency that was invited but did not contribute, and has no position recorded, has
    given no view: it cannot satisfy "CSC, police and health (and midwifery if unborn)"."""
    others = [p for p in complete_record()["participants"] if p["agency"] != agency]
    data = build(
        children=[child(), unborn_child()],
        participants=[*others, {"name": "Jo Bell", "agency": agency, "role": "Invitee",
                                "mode": "unavailable", "phone": "01632 960 505"}],
        agency_positions=positions(
            *([MIDWIFERY] if agency != "midwifery" else []), drop=(agency,)),
    )
    assert paths(data, "agencies.core") == [("agency_positions",)]


def test_core_agency_row_without_position_does_not_count():
    data = build(participants=participants(None, {"agency": "other"}),
                 agency_positions=positions({"agency": "police"}, drop=("police",)))
    assert paths(data, "agencies.core") == [("agency_positions",)]


@pytest.mark.parametrize("row, field", [
    ({"agency": "gp"}, "position"),
    ({"agency": "gp", "position": "has_concerns"}, "concerns"),
    ({"agency": "gp", "position": "not_contacted"}, "not_contacted_reason"),
    ({"position": "no_concerns"}, "agency"),
    ({"agency": "police", "position": "no_concerns"}, "agency"),  # a second police row
])
def test_agency_position_rows(row, field):
    data = build(agency_positions=positions(row))
    assert paths(data, "agencies.positions") == [("agency_positions", 3, field)]


@pytest.mark.parametrize("row", [
    {"agency": "gp", "position": "has_concerns", "concerns": "Missed appointments"},
    {"agency": "gp", "position": "not_contacted", "not_contacted_reason": "Surgery closed"},
    {"agency": "gp", "position": "no_concerns"},
    # Two rows for one agency are fine when they are different organisations.
    {"agency": "police", "organisation": "British Transport Police", "position": "no_concerns"},
])
def test_agency_position_rows_pass(row):
    assert passes(build(agency_positions=positions(row)), "agencies.positions")


def test_agency_that_took_part_without_position_is_a_warning():
    data = build(agency_positions=positions(drop=("police",)))
    (failure,) = failures(data, "agencies.participants-have-positions")
    assert failure.path == ("agency_positions",)
    assert "Police" in failure.message
    assert result(data, "agencies.participants-have-positions").rule.severity == Severity.WARNING


def test_unavailable_participant_needs_no_position():
    data = build(participants=participants(None, None, None) + [
        {"name": "Ms Khan", "agency": "school", "role": "DSL", "mode": "unavailable",
         "email": "dsl@school.example.uk"}])
    assert passes(data, "agencies.participants-have-positions")


# --- the child's experience ---------------------------------------------------------------


@pytest.mark.parametrize("changes, expected", [
    ({"seen": None}, [("children", 0, "seen")]),
    ({"seen": "yes", "seen_at": None}, [("children", 0, "seen_at")]),
    ({"seen": "yes", "seen_by": None}, [("children", 0, "seen_by")]),
    ({"seen": "no", "seen_at": None, "seen_by": None}, [("children", 0, "not_seen_reason")]),
    ({"voice": None}, [("children", 0, "voice")]),
])
def test_experience_account_fails(changes, expected):
    assert paths(build(children=[child(**changes)]), "experience.account") == expected


@pytest.mark.parametrize("changes", [
    {},
    {"voice": None, "observations": "Leo was quiet and flinched when his dad came in."},
    {"seen": "no", "seen_at": None, "seen_by": None, "not_seen_reason": "Not at school today"},
    {"communication": "pre_verbal", "voice": None, "observations": "Alert, clean, well fed."},
])
def test_experience_account_passes(changes):
    assert passes(build(children=[child(**changes)]), "experience.account")


def test_unborn_child_is_not_asked_whether_seen():
    data = build(children=[child(), unborn_child()],
                 agency_positions=positions({"agency": "midwifery", "position": "no_concerns"}))
    assert passes(data, "experience.account")


@pytest.mark.parametrize("communication", ["pre_verbal", "non_verbal"])
def test_child_who_cannot_speak_with_only_voice_fails_observed(communication):
    data = build(children=[child(communication=communication, voice="Cried")])
    assert paths(data, "experience.observed") == OBSERVATION_PATHS


@pytest.mark.parametrize("communication", ["pre_verbal", "non_verbal"])
def test_child_who_cannot_speak_with_observations_passes(communication):
    data = build(children=[child(communication=communication, **observed_parts())])
    assert passes(data, "experience.observed")


@pytest.mark.parametrize("communication", ["verbal", "limited"])
def test_child_who_speaks_needs_no_observations(communication):
    assert passes(build(children=[child(communication=communication)]), "experience.observed")


def test_unborn_child_without_observations_fails_observed():
    data = build(children=[child(), unborn_child(observations=None)],
                 agency_positions=positions({"agency": "midwifery", "position": "no_concerns"}))
    (failure,) = failures(data, "experience.observed")
    assert failure.path == ("children", 1, "observations")
    assert "unborn" in failure.message


# --- analysis and decision ------------------------------------------------------------------


def test_analysis_without_risks_is_a_warning():
    data = build(analysis={"risks": None})
    assert paths(data, "analysis.risks-and-strengths") == [("analysis", "risks")]
    assert blocking_failures(evaluate(data, SETTINGS)) == []


@pytest.mark.parametrize("field", ["outcome", "reasons"])
def test_decision_required(field):
    assert paths(build(decision={field: None}), "decision.required") == [("decision", field)]


def test_dissent_with_escalation_passes():
    data = build(decision={"dissent": "Police disagreed", "dissent_escalation": "To DI and TM"})
    assert passes(data, "decision.dissent-escalated")


def test_nfa_with_school_age_child_needs_school_position():
    data = build(decision=NFA)
    (failure,) = failures(data, "decision.nfa-consulted")
    assert failure.path == ("decision", "outcome")
    assert "school" in failure.message


def test_nfa_with_school_position_passes():
    assert passes(build(decision=NFA, agency_positions=positions(SCHOOL)),
                  "decision.nfa-consulted")


def test_nfa_school_participant_without_position_does_not_count():
    data = build(decision=NFA, participants=participants(None, None, None) + [
        {"name": "Ms Khan", "agency": "school", "role": "DSL", "mode": "video",
         "email": "dsl@school.example.uk"}])
    assert paths(data, "decision.nfa-consulted") == [("decision", "outcome")]


def test_nfa_with_unborn_child_needs_midwifery():
    data = build(decision=NFA, children=[unborn_child()])
    (failure,) = failures(data, "decision.nfa-consulted")
    assert failure.path == ("decision", "outcome")
    assert "midwifery" in failure.message


def test_nfa_with_unborn_child_and_midwifery_passes():
    data = build(decision=NFA, children=[unborn_child()], agency_positions=positions(MIDWIFERY))
    assert passes(data, "decision.nfa-consulted")


def test_nfa_with_unborn_and_school_age_children_needs_both():
    data = build(decision=NFA, children=[child(), unborn_child()])
    assert paths(data, "decision.nfa-consulted") == [("decision", "outcome")] * 2
    both = build(decision=NFA, children=[child(), unborn_child()],
                 agency_positions=positions(MIDWIFERY, SCHOOL))
    assert passes(both, "decision.nfa-consulted")


@pytest.mark.parametrize("years, days_later, school_age", [
    (2, 0, False),
    (4, 0, False),
    (5, 1, False),  # fifth birthday is tomorrow
    (5, 0, True),  # fifth birthday today
    (10, 0, True),
    (16, 0, True),
    (17, 0, False),
])
def test_nfa_school_age_is_judged_on_the_discussion_day(years, days_later, school_age):
    day = MONDAY_BEFORE_EASTER.date()
    data = build(MONDAY_BEFORE_EASTER, decision=NFA,
                 children=[child(date_of_birth=born_on(years, day, days_later))])
    assert passes(data, "decision.nfa-consulted") is not school_age


def test_nfa_school_age_comes_from_settings():
    day = MONDAY_BEFORE_EASTER.date()
    data = build(MONDAY_BEFORE_EASTER, decision=NFA,
                 children=[child(date_of_birth=born_on(4, day))])
    assert passes(data, "decision.nfa-consulted", SETTINGS)
    assert not passes(data, "decision.nfa-consulted",
                      SETTINGS.model_copy(update={"school_age_from": 4}))


@pytest.mark.parametrize("outcome", ["s47_single", "cin", "early_help", "further_strategy"])
def test_other_outcomes_need_no_school_or_midwifery(outcome):
    data = build(decision={"outcome": outcome}, children=[child(), unborn_child()],
                 agency_positions=positions(MIDWIFERY))
    assert passes(data, "decision.nfa-consulted")


# --- actions --------------------------------------------------------------------------------


def test_update_agencies_due_before_the_discussion_fails():
    data = build(FRIDAY, actions=actions({"due_date": "2026-11-19"}))
    assert paths(data, "actions.update-agencies") == [("actions", 0, "due_date")]
    assert kinds(data, "actions.update-agencies") == [Kind.CONFLICT]


def test_update_agencies_due_on_the_discussion_day_passes():
    data = build(FRIDAY, actions=actions({"due_date": "2026-11-20"}))
    assert passes(data, "actions.update-agencies")


def test_update_agencies_without_due_date_is_missing():
    data = build(actions=actions({"due_date": None}))
    assert paths(data, "actions.update-agencies") == [("actions", 0, "due_date")]
    assert kinds(data, "actions.update-agencies") == [Kind.MISSING]


def test_update_agencies_cannot_be_cancelled():
    data = build(actions=actions({"status": "cancelled"}))
    assert paths(data, "actions.update-agencies") == [("actions", 0, "status")]


def test_update_agencies_done_passes():
    assert passes(build(actions=actions({"status": "done"})), "actions.update-agencies")


def test_lost_update_agencies_action_fails():
    data = build(actions=[complete_record()["actions"][1]])
    assert paths(data, "actions.update-agencies") == [("actions",)]


def test_update_agencies_is_found_wherever_it_is():
    rows = complete_record()["actions"]
    data = build(FRIDAY, actions=[rows[1], {**rows[0], "due_date": "2026-11-01"}])
    assert paths(data, "actions.update-agencies") == [("actions", 1, "due_date")]


@pytest.mark.parametrize("field", ["description", "owner", "due_date"])
def test_action_details_missing(field):
    task = {"description": "Medical", "owner": "Paediatrician", "due_date": "2026-11-01"}
    data = build(actions=actions(None, {**task, field: None}))
    assert paths(data, "actions.details") == [("actions", 2, field)]


def test_action_details_skip_the_update_agencies_action():
    # The update action's date is its own rule's business.
    data = build(actions=actions({"due_date": None}))
    assert passes(data, "actions.details")


# --- ICPC -------------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["s47_single", "s47_joint", "s47_criminal"])
def test_s47_without_icpc_date_is_a_warning(outcome):
    data = build(MONDAY_BEFORE_EASTER, decision={"outcome": outcome},
                 next_steps={"icpc_date": None})
    assert paths(data, "next.icpc-date") == [("next_steps", "icpc_date")]
    assert result(data, "next.icpc-date").rule.severity == Severity.WARNING
    assert "15 April 2026" in failures(data, "next.icpc-date")[0].message
    assert passes(data, "next.icpc-within-limit")
    assert blocking_failures(evaluate(data, SETTINGS)) == []


@pytest.mark.parametrize("outcome", ["cin", "early_help", "nfa", "further_strategy"])
def test_no_icpc_needed_without_s47(outcome):
    data = build(decision={"outcome": outcome}, next_steps={"icpc_date": None})
    assert passes(data, "next.icpc-date")
    assert passes(data, "next.icpc-within-limit")


def test_icpc_on_the_15th_working_day_passes():
    # Mon 23 Mar 2026 + 15 working days, skipping Good Friday and Easter Monday: Wed 15 Apr.
    data = build(MONDAY_BEFORE_EASTER, next_steps={"icpc_date": "2026-04-15"})
    assert passes(data, "next.icpc-within-limit")
    assert passes(data, "next.icpc-date")


def test_icpc_on_the_16th_working_day_is_blocking():
    data = build(MONDAY_BEFORE_EASTER, next_steps={"icpc_date": "2026-04-16"})
    (failure,) = failures(data, "next.icpc-within-limit")
    assert failure.path == ("next_steps", "icpc_date")
    assert "15 April 2026" in failure.message
    assert kinds(data, "next.icpc-within-limit") == [Kind.CONFLICT]
    assert [r.rule.id for r in blocking_failures(evaluate(data, SETTINGS))] == [
        "next.icpc-within-limit"]


def test_icpc_15th_working_day_of_a_recent_discussion_passes():
    day = discussion_time().date()
    assert passes(build(next_steps={"icpc_date": str(add_working_days(day, 15))}),
                  "next.icpc-within-limit")
    assert not passes(build(next_steps={"icpc_date": str(add_working_days(day, 16))}),
                      "next.icpc-within-limit")


def test_icpc_before_the_discussion_fails():
    data = build(MONDAY_BEFORE_EASTER, next_steps={"icpc_date": "2026-03-20"})
    assert paths(data, "next.icpc-within-limit") == [("next_steps", "icpc_date")]


def test_icpc_on_the_discussion_day_passes():
    data = build(MONDAY_BEFORE_EASTER, next_steps={"icpc_date": "2026-03-23"})
    assert passes(data, "next.icpc-within-limit")


@pytest.mark.parametrize("icpc", ["2026-04-03", "2026-04-06", "2026-04-11", "2026-04-12"],
                         ids=["good-friday", "easter-monday", "saturday", "sunday"])
def test_icpc_within_limit_but_not_a_working_day_fails(icpc):
    data = build(MONDAY_BEFORE_EASTER, next_steps={"icpc_date": icpc})
    assert paths(data, "next.icpc-within-limit") == [("next_steps", "icpc_date")]


def test_icpc_limit_comes_from_settings():
    data = build(MONDAY_BEFORE_EASTER, next_steps={"icpc_date": "2026-04-16"})
    assert not passes(data, "next.icpc-within-limit", Settings(icpc_working_days=15))
    assert passes(data, "next.icpc-within-limit", Settings(icpc_working_days=20))
    # The 20th working day is Wed 22 Apr 2026; the 21st is not allowed.
    on_20th = build(MONDAY_BEFORE_EASTER, next_steps={"icpc_date": "2026-04-22"})
    assert passes(on_20th, "next.icpc-within-limit", Settings(icpc_working_days=20))
    on_21st = build(MONDAY_BEFORE_EASTER, next_steps={"icpc_date": "2026-04-23"})
    assert not passes(on_21st, "next.icpc-within-limit", Settings(icpc_working_days=20))
    # A stricter partnership: 10 working days.
    on_15th = build(MONDAY_BEFORE_EASTER, next_steps={"icpc_date": "2026-04-15"})
    assert not passes(on_15th, "next.icpc-within-limit", Settings(icpc_working_days=10))


def test_icpc_missing_warning_names_the_configured_limit_date():
    data = build(MONDAY_BEFORE_EASTER, next_steps={"icpc_date": None})
    message = failures(data, "next.icpc-date", Settings(icpc_working_days=20))[0].message
    assert "22 April 2026" in message


# --- pre-birth conference ---------------------------------------------------------------------


def _prebirth(gestation: int, icpc: str, outcome: str = "s47_single") -> StrategyRecordData:
    return build(MONDAY_BEFORE_EASTER,
                 children=[child(), unborn_child(gestation_weeks=gestation)],
                 agency_positions=positions(MIDWIFERY),
                 decision={"outcome": outcome},
                 next_steps={"icpc_date": icpc},
                 distribution=recipients("csc", "police", "health_visiting", "midwifery"))


def test_prebirth_conference_by_34_weeks_passes():
    # 30 weeks at the discussion, conference 2 weeks later: 32 weeks.
    assert passes(_prebirth(30, "2026-04-06"), "next.prebirth-conference")
    # Exactly 34 weeks.
    assert passes(_prebirth(32, "2026-04-06"), "next.prebirth-conference")


def test_prebirth_conference_after_34_weeks_is_a_warning():
    data = _prebirth(33, "2026-04-15")  # 33 weeks + 23 days, about 36 weeks
    (failure,) = failures(data, "next.prebirth-conference")
    assert failure.path == ("next_steps", "icpc_date")
    assert result(data, "next.prebirth-conference").rule.severity == Severity.WARNING


def test_prebirth_limit_comes_from_settings():
    data = _prebirth(33, "2026-04-15")
    assert passes(data, "next.prebirth-conference",
                  SETTINGS.model_copy(update={"prebirth_conference_by_weeks": 37}))


def test_prebirth_not_judged_without_s47():
    assert passes(_prebirth(33, "2026-04-15", outcome="cin"), "next.prebirth-conference")


# --- further discussion ---------------------------------------------------------------------


FURTHER = {"outcome": "further_strategy", "reasons": "Await medical"}


def test_further_strategy_needs_next_discussion_date():
    data = build(decision=FURTHER)
    assert paths(data, "next.further-discussion-date") == [("next_steps", "next_discussion_on")]
    assert kinds(data, "next.further-discussion-date") == [Kind.MISSING]


def test_further_strategy_with_next_discussion_date_passes():
    data = build(FRIDAY, decision=FURTHER, next_steps={"next_discussion_on": "2026-11-27"})
    assert passes(data, "next.further-discussion-date")


def test_further_strategy_next_discussion_before_this_one_fails():
    data = build(FRIDAY, decision=FURTHER, next_steps={"next_discussion_on": "2026-11-19"})
    assert paths(data, "next.further-discussion-date") == [("next_steps", "next_discussion_on")]
    assert kinds(data, "next.further-discussion-date") == [Kind.CONFLICT]


def test_next_discussion_date_not_needed_for_other_outcomes():
    assert passes(build(next_steps={"next_discussion_on": None}), "next.further-discussion-date")


# --- distribution -----------------------------------------------------------------------------


def test_distribution_to_every_involved_agency_passes():
    data = build(distribution=recipients("csc", "police", "health_visiting", "school"))
    assert passes(data, "distribution.present")
    assert passes(data, "distribution.involved")


def test_distribution_names_each_agency_left_out():
    data = build(distribution=recipients("csc"))
    found = failures(data, "distribution.involved")
    assert [f.path for f in found] == [("distribution",)] * 2
    messages = " ".join(f.message for f in found)
    assert Agency.POLICE.label in messages and Agency.HEALTH_VISITING.label in messages


def test_agency_not_contacted_need_not_receive_the_record():
    data = build(agency_positions=positions(
        {"agency": "housing", "position": "not_contacted", "not_contacted_reason": "Not known"}))
    assert passes(data, "distribution.involved")


def test_the_tally_counts_required_rules_and_splits_failures_by_severity():
    data = build(header={"csc_contact_name": None, "csc_contact_phone": None},
                 decision={"outcome": None})
    results = evaluate(data, SETTINGS)
    counted = tally(results)
    assert counted.required == sum(r.severity == Severity.BLOCKING for r in RULES) > 0
    assert {r.rule.id for r in counted.warnings_failed} == {"header.csc-contact"}
    assert "decision.required" in {r.rule.id for r in counted.blocking_failed}
    assert all(r.rule.severity == Severity.BLOCKING for r in counted.blocking_failed)


# --- helpers the rules share, at their boundaries (surviving mutants) -------------------------


def test_a_child_cannot_speak_until_their_birthday_at_the_age_limit():
    from app.domain.schema import Child
    from app.rules.core import cannot_speak

    day = date(2026, 4, 8)
    settings = Settings(cannot_speak_under_years=2)
    verbal = {"name": "Leo", "communication": "verbal"}
    assert cannot_speak(Child(**verbal, date_of_birth=date(2024, 4, 9)), day, settings) is True
    assert cannot_speak(Child(**verbal, date_of_birth=date(2024, 4, 8)), day, settings) is False
    assert cannot_speak(Child(**verbal, date_of_birth=None), day, settings) is False


def test_agencies_involved_are_those_taking_part_and_those_giving_a_position():
    from app.rules.next_steps import agencies_involved

    data = build(agency_positions=positions({"agency": "school", "position": "no_concerns"},
                                            {"agency": "gp", "position": "not_contacted",
                                             "not_contacted_reason": "Closed"}))
    # Police and health visiting took part and gave positions; the school only a position; the
    # GP was not contacted; social care owns the record.
    assert agencies_involved(data) == {Agency.POLICE, Agency.HEALTH_VISITING, Agency.SCHOOL}


def test_no_conference_date_is_offered_before_the_discussion_is_dated():
    from app.rules.next_steps import conference_due

    assert conference_due(build(MONDAY_BEFORE_EASTER), SETTINGS) == date(2026, 4, 15)
    assert conference_due(build(header={"discussion_at": None}), SETTINGS) is None


def test_every_record_is_measured_on_who_took_part_and_what_agencies_said():
    from app.rules.measures import measure

    empty = StrategyRecordData()
    assert set(measure(empty, evaluate(empty, SETTINGS), SETTINGS, date(2026, 12, 4))) == {
        "participants-recorded", "outside-contributions", "partners-in-discussion",
        "agency-positions", "no-concerns-recorded", "no-warnings"}


def test_whether_a_child_could_speak_is_measured_on_the_discussion_day_else_today():
    from app.rules.measures import measure

    settings = Settings(cannot_speak_under_years=2)
    # Under 2 at a discussion in March 2025, over 2 by December 2026.
    toddler = [child(date_of_birth="2023-04-01", communication="verbal")]
    dated = build(datetime(2025, 3, 3, 10, 0), children=toddler)
    today = date(2026, 12, 4)
    assert "experience-observed" in measure(dated, evaluate(dated, settings), settings, today)
    # Undated, the child is judged by today's age: under 2 only if born after 4 December 2024.
    for born, measured in (("2025-01-10", True), ("2023-04-01", False)):
        undated = build(header={"discussion_at": None},
                        children=[child(date_of_birth=born, communication="verbal")])
        got = measure(undated, evaluate(undated, settings), settings, today)
        assert ("experience-observed" in got) is measured


def test_a_row_holding_only_its_unticked_boxes_is_no_data_and_a_ticked_one_is():
    from app.domain.sections import SECTIONS
    from app.rules.status import _has_data

    (children,) = [s for s in SECTIONS if s.slug == "children"]
    blank = StrategyRecordData.model_validate({"children": [{"key": "c1"}]})
    assert blank.children[0].unborn is False
    assert _has_data(blank, children) is False
    ticked = StrategyRecordData.model_validate({"children": [{"key": "c1", "unborn": True}]})
    assert _has_data(ticked, children) is True
