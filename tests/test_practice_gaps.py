"""The record's practice gaps (issue 12): each new rule passing and failing beyond the one
failing case per rule in test_rules.py, the form's conditional reveal, the body map's rows and
the printed record's new sections."""

from datetime import timedelta

import pytest

from app.config import Settings
from app.domain.schema import StrategyRecordData
from app.rules.completeness import evaluate
from app.rules.workdays import add_working_days
from tests.builders import complete_record, discussion_time, observed_parts, recipients
from tests.html import error_summary, form_data, soup
from tests.pdf_helpers import pages_text
from tests.rule_helpers import build, child, failures, passes, paths, positions, unborn_child

SETTINGS = Settings()
DAY = discussion_time().date()
MIDWIFERY = {"agency_positions": positions({"agency": "midwifery", "position": "no_concerns"}),
             "distribution": recipients("csc", "police", "health_visiting", "midwifery")}


def baby(weeks: int = 7, **fields) -> dict:
    return child(name="Ava Carter", date_of_birth=str(DAY - timedelta(weeks=weeks)), **fields)


# --- the child who cannot speak ----------------------------------------------------------------


def test_a_seven_week_old_left_as_verbal_still_needs_observations():
    data = build(children=[baby(communication="verbal", voice="Too young to say")])
    assert [path[-1] for path in paths(data, "experience.observed")] == [
        "observed_care", "observed_presentation", "observed_interaction", "observed_by",
        "observed_at"]


@pytest.mark.parametrize("text", ["Too young to say", "Pre-verbal, too young to speak.", "Fine"])
def test_an_account_that_only_says_too_young_or_is_very_short_fails(text):
    parts = {**observed_parts(), "observed_care": text}
    data = build(children=[baby(communication="pre_verbal", **parts)])
    assert paths(data, "experience.observed") == [("children", 0, "observed_care")]


def test_an_observed_account_of_a_baby_passes():
    assert passes(build(children=[baby(communication="verbal", **observed_parts())]),
                  "experience.observed")


def test_a_child_over_the_age_setting_who_speaks_needs_no_observations():
    assert passes(build(children=[child()]), "experience.observed")


def test_the_age_comes_from_the_setting():
    toddler = baby(weeks=80, communication="verbal", voice="Said 'daddy hurt'")  # about 18 months
    assert not passes(build(children=[toddler]), "experience.observed")
    assert passes(build(children=[toddler]), "experience.observed",
                  Settings(cannot_speak_under_years=1))


def test_an_unborn_child_needs_no_communication_choice():
    data = build(children=[child(), unborn_child(communication=None)], **MIDWIFERY)
    assert passes(data, "children.identity")


# --- unborn babies -------------------------------------------------------------------------------


def test_edd_and_gestation_that_agree_pass():
    edd = str(DAY + timedelta(weeks=10))
    data = build(children=[child(), unborn_child(expected_delivery_date=edd, gestation_weeks=30)],
                 **MIDWIFERY)
    assert passes(data, "children.edd-gestation")


def test_edd_and_gestation_more_than_a_week_apart_say_so():
    edd = str(DAY + timedelta(weeks=10))
    data = build(children=[child(), unborn_child(expected_delivery_date=edd, gestation_weeks=25)],
                 **MIDWIFERY)
    (failure,) = failures(data, "children.edd-gestation")
    assert failure.message.startswith("Unborn baby of Amy Carter's gestation (25 weeks) does not "
                                      "match the expected date of delivery, which means about 30")


def test_parents_additional_needs_ask_about_adult_services():
    data = build(children=[child(), unborn_child(parents_needs="Mother has a learning disability")],
                 **MIDWIFERY)
    assert paths(data, "children.unborn-plans") == [("children", 1, "adult_services_involved")]
    data = build(children=[child(), unborn_child(parents_needs="Learning disability",
                                                 adult_services_involved="yes")], **MIDWIFERY)
    assert passes(data, "children.unborn-plans")


@pytest.mark.parametrize("outcome", ["cin", "nfa", "s47_single"])
def test_prebirth_conference_date_is_asked_at_the_limit_whatever_the_outcome(outcome):
    edd = str(DAY + timedelta(weeks=6))
    unborn = unborn_child(gestation_weeks=34, expected_delivery_date=edd)
    data = build(children=[child(), unborn], decision={"outcome": outcome},
                 next_steps={"icpc_date": None}, **MIDWIFERY)
    assert paths(data, "next.prebirth-conference-date") == [("next_steps", "icpc_date")]
    below = build(children=[child(), unborn_child()], decision={"outcome": outcome},
                  next_steps={"icpc_date": None}, **MIDWIFERY)
    assert passes(below, "next.prebirth-conference-date")


# --- referrer, images, the person alleged ---------------------------------------------------------


def test_a_professional_referrer_needs_their_agency_a_family_member_does_not():
    data = build(grounds={"referrer_agency": None})
    assert paths(data, "grounds.referrer-named") == [("grounds", "referrer_agency")]
    assert passes(build(grounds={"referrer_kind": "family", "referrer_agency": None}),
                  "grounds.referrer-named")


def test_images_by_medical_staff_pass_and_others_name_the_local_policy():
    images = {"images_taken": "yes", "images_taken_by": "Dr Patel", "images_policy": "Trust",
              "body_map": "yes"}
    assert passes(build(grounds={**images, "images_taken_role": "medical"}),
                  "grounds.images-medical")
    local = Settings(local_images_policy="the Riverside digital images protocol")
    (failure,) = failures(build(grounds={**images, "images_taken_role": "school"}),
                          "grounds.images-medical", local)
    assert "the Riverside digital images protocol" in failure.message


def test_a_body_map_entry_stands_in_for_the_body_map_answer():
    images = {"images_taken": "yes", "images_taken_by": "Dr Patel", "images_policy": "Trust",
              "images_taken_role": "medical"}
    entry = {"area": "left_arm", "side": "back", "description": "Four round bruises",
             "seen_by": "Dr Patel", "seen_on": str(DAY)}
    assert passes(build(grounds=images, injuries=[entry]), "grounds.body-map")
    assert passes(build(grounds=images, injuries=[entry]), "injuries.entries")


def test_an_alleged_person_under_18_needs_their_own_discussion():
    alleged = {"alleged_name": "Jay", "alleged_relationship": "Brother",
               "alleged_contact_with_children": "no", "alleged_under_18": "yes"}
    # A child who harms is a child at risk too: who they are, where, and in whose care.
    assert paths(build(grounds=alleged), "grounds.alleged-person") == [
        ("grounds", "alleged_age"), ("grounds", "alleged_lives_at"),
        ("grounds", "alleged_responsible"), ("grounds", "alleged_own_discussion")]
    details = {"alleged_age": 16, "alleged_lives_at": "With his grandmother, 3 Elm Road",
               "alleged_responsible": "His grandmother, under a special guardianship order"}
    assert paths(build(grounds={**alleged, **details}), "grounds.alleged-person") == [
        ("grounds", "alleged_own_discussion")]
    assert passes(build(grounds={**alleged, **details, "alleged_own_discussion": "SR-2026-00077"}),
                  "grounds.alleged-person")
    assert passes(build(), "grounds.alleged-person")  # nobody named: nothing asked


# --- police and legal planning, telling the family ----------------------------------------------


def test_no_abe_interview_needs_a_reason():
    assert paths(build(decision={"abe_interview": "no"}), "decision.police-plan") == [
        ("decision", "abe_not_reason")]


@pytest.mark.parametrize("outcome", ["s47_single", "cin"])
def test_police_planning_is_not_asked_without_the_police(outcome):
    empty = dict.fromkeys(["police_lead", "crime_reference", "abe_interview",
                           "evidence_to_preserve", "enquiry_conduct"])
    data = build(decision={"outcome": outcome, **empty})
    assert passes(data, "decision.police-plan") and passes(data, "decision.police-evidence")


def test_legal_planning_only_for_a_section_47_enquiry():
    empty = {"legal_advice": None, "cannot_see_contingency": None}
    assert paths(build(decision=empty), "decision.legal-planning") == [
        ("decision", "legal_advice"), ("decision", "cannot_see_contingency")]
    assert passes(build(decision={"outcome": "cin", **empty}), "decision.legal-planning")


def test_a_baby_is_not_asked_to_be_told():
    text = "Ava was settled, clean and fed, and turned towards her mother's voice often."
    data = build(children=[baby(observations=text)], decision={"child_informed": None})
    assert passes(data, "decision.family-told")


def test_telling_the_family_needs_who_and_when_or_why_not():
    assert paths(build(decision={"family_detail": None}), "decision.family-told") == [
        ("decision", "family_detail")]


# --- timescales -----------------------------------------------------------------------------------


def test_a_further_discussions_conference_counts_from_the_discussion_that_started_it():
    started = DAY - timedelta(days=20)  # about 14 working days before this discussion
    icpc = add_working_days(DAY, 5)
    header = {"sequence": "further", "previous_reference": "SR-2026-00001",
              "s47_started_on": str(started)}
    data = build(header=header, next_steps={"icpc_date": str(icpc)})
    (failure,) = failures(data, "next.icpc-within-limit")
    assert "of the discussion that started the section 47 enquiry" in failure.message
    # The same conference date from a first discussion is in time.
    assert passes(build(next_steps={"icpc_date": str(icpc)}), "next.icpc-within-limit")


def test_phone_only_is_fine_without_earlier_enquiries():
    assert passes(build(header={"format": "phone"}, analysis={"earlier_enquiries": "no"}),
                  "header.phone-only-meeting")


def test_the_complete_record_still_passes_every_rule():
    data = StrategyRecordData.model_validate(complete_record())
    assert [r.rule.id for r in evaluate(data, SETTINGS) if not r.passed] == []


# --- the form -----------------------------------------------------------------------------------


def _start(client) -> int:
    return int(client.post("/strategies", follow_redirects=False).headers["location"]
               .rsplit("/", 1)[1])


def _multi(pairs) -> dict:
    data: dict = {}
    for key, value in pairs:
        data.setdefault(key, []).append(value)
    return data


def test_police_fields_are_in_the_page_and_revealed_by_the_police_outcomes(client):
    page = soup(client.get(f"/strategies/{_start(client)}/sections/decision"))
    block = page.select_one("#decision-police_lead").find_parent(class_="app-conditional")
    revealing = sorted(i["value"] for i in block.select("input.app-reveals"))
    assert revealing == ["s47_criminal", "s47_joint"]
    content = block.select_one(".app-conditional__content")
    assert content.select_one(".app-when").get_text(strip=True) == (
        "If the police are involved (a joint enquiry or a criminal investigation)")
    # Nothing is hidden in the HTML itself: with the stylesheet off every field shows.
    assert not page.select("[hidden]")
    for key in ("police_lead", "crime_reference", "abe_interview", "evidence_to_preserve",
                "enquiry_conduct"):
        assert content.select_one(f"#decision-{key}") is not None


def test_unborn_fields_reveal_from_the_unborn_box(client):
    record_id = _start(client)
    page = soup(client.post(f"/strategies/{record_id}/sections/children",
                            data={"revision": "1", "row-action": "add"}))
    row = page.select_one("#children-0-unborn").find_parent(class_="app-conditional")
    assert "app-reveals" in row.select_one("#children-0-unborn")["class"]
    assert row.select_one(".app-conditional__content #children-0-maternity_unit") is not None
    assert row.select_one(".app-conditional__otherwise #children-0-date_of_birth") is not None


def test_body_map_rows_add_and_save_without_javascript(client):
    record_id = _start(client)
    url = f"/strategies/{record_id}/sections/injuries"
    page = soup(client.post(url, data={"revision": "1", "row-action": "add"}))
    typed = {"injuries-0-area": "left_arm", "injuries-0-side": "back",
             "injuries-0-description": "Four round bruises", "injuries-0-size": "1 cm each",
             "injuries-0-seen_by": "Dr Patel", "injuries-0-seen_on-day": str(DAY.day),
             "injuries-0-seen_on-month": str(DAY.month), "injuries-0-seen_on-year": str(DAY.year)}
    pairs = [p for p in form_data(page) if p[0] not in typed and p[0] != "row-action"]
    pairs += list(typed.items())
    page = soup(client.post(url, data=_multi(pairs + [("row-action", "add")])))
    assert page.select_one("#injuries-0-description").get_text() == "Four round bruises"
    assert page.select_one("#injuries-1-description").get_text() == ""
    # The new row left empty is dropped on save.
    saved = client.post(url, data=_multi([p for p in form_data(page) if p[0] != "row-action"]
                                         + [("row-action", "save")]), follow_redirects=False)
    assert saved.status_code == 303
    record = client.get(f"/api/strategies/{record_id}").json()
    assert [(i["area"], i["side"], i["size"]) for i in record["injuries"]] == [
        ("left_arm", "back", "1 cm each")]
    table = soup(client.get(f"/strategies/{record_id}")).select_one("table.app-body-map")
    cells = [td.get_text(" ", strip=True) for td in table.select("tbody td")]
    assert cells[:3] == ["Left arm", "Back", "Four round bruises"]


def test_body_map_rows_swap_with_htmx(client):
    record_id = _start(client)
    answer = client.post(f"/strategies/{record_id}/sections/injuries",
                         data={"revision": "1", "row-action": "add"},
                         headers={"HX-Request": "true"})
    fragment = soup(answer)
    assert fragment.select_one("html") is None
    assert fragment.select_one("#injuries #injuries-0-area") is not None


def test_an_incomplete_body_map_entry_blocks_finalising_with_a_link(client):
    body = complete_record() | {"injuries": [{"area": "face", "side": "front",
                                              "description": "Graze"}]}
    record = client.post("/api/strategies", json=body).json()
    answer = client.post(f"/strategies/{record['id']}/finalise",
                         data={"revision": str(record["revision"])})
    assert answer.status_code == 422
    links = error_summary(soup(answer))
    assert links == {
        f"/strategies/{record['id']}/sections/injuries#injuries-0-seen_by":
            "Enter who saw injury 1",
        f"/strategies/{record['id']}/sections/injuries#injuries-0-seen_on":
            "Enter the date injury 1 was seen",
    }


# --- the printed record ---------------------------------------------------------------------------


def test_the_pdf_prints_the_new_sections(client):
    body = complete_record()
    body["injuries"] = [{"area": "left_arm", "side": "back", "description": "Four round bruises",
                         "size": "1 cm each", "colour": "Purple", "seen_by": "Dr Patel",
                         "seen_on": str(DAY)}]
    body["grounds"] |= {"alleged_name": "Dean Carter", "alleged_relationship": "Mother's partner",
                        "alleged_under_18": "no", "alleged_contact_with_children": "no"}
    record = client.post("/api/strategies", json=body).json()
    answer = client.get(f"/strategies/{record['id']}/record.pdf")
    assert answer.status_code == 200
    text = " ".join(pages_text(answer.content))
    for expected in ("Injuries and body map", "Part of the body", "Left arm", "Back",
                     "Four round bruises", "1 cm each", "Purple", "Dr Patel",
                     "Police lead officer DC Evans", "Crime reference CR-2026-0411",
                     "Agreed timing and conduct of the police and social care enquiries",
                     "Person alleged to have caused harm Dean Carter",
                     "Will the child be told of the discussion and its outcome? Yes",
                     "Who referred A professional"):
        assert expected in text, expected
