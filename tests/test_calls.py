"""How each person took part (issue 22, item 1): in the discussion (in the room, by video or
on the call), outside it (with when and who relayed it), or invited and absent; worded by the
discussion's format, so a discussion held by phone calls has no "meeting"."""

from datetime import date, datetime

import pytest
from sqlmodel import select

from app.domain.schema import StrategyRecordData
from app.followup.measure_table import RecordMeasure
from app.records.view import record_view
from app.rules.completeness import evaluate
from app.rules.workdays import add_working_days
from tests.builders import complete_record, observed_parts, recipients
from tests.html import (
    assert_shows,
    error_summary,
    form_data,
    post_section,
    replaced,
    revision_in,
    section_page,
    shown_values,
    soup,
)
from tests.pdf_helpers import pages_text
from tests.rule_helpers import SETTINGS, paths


def _phone_call_edt() -> dict:
    """An out-of-hours discussion held as a conference call: social care, the police and the
    paediatrician all on the call."""
    body = complete_record()
    body["header"] |= {"format": "phone", "led_by": "edt",
                       "day_team_review_due": str(next_working_day(
                           date.fromisoformat(body["header"]["discussion_at"][:10])))}
    body["participants"] = [
        {"name": "Kim Noor", "agency": "csc", "role": "EDT social worker", "mode": "phone_call",
         "phone": "01632 960 100"},
        {"name": "PS Hall", "agency": "police", "role": "Duty sergeant", "mode": "phone_call",
         "phone": "01632 960 202"},
        {"name": "Dr Okafor", "agency": "hospital", "role": "Consultant paediatrician",
         "mode": "phone_call", "phone": "01632 960 404"},
    ]
    body["agency_positions"] += [{"agency": "hospital", "position": "no_concerns"}]
    body["distribution"] = recipients("police", "health_visiting", "hospital")
    return body


def next_working_day(day: date) -> date:
    return add_working_days(day, 1)


def _finalised(client, body) -> int:
    answer = client.post("/api/strategies", json=body)
    assert answer.status_code == 201, answer.text
    record = answer.json()
    done = client.post(f"/api/strategies/{record['id']}/finalise",
                       json={"revision": record["revision"]})
    assert done.status_code == 200, done.text
    return record["id"]


def _pdf_text(client, record_id: int) -> str:
    answer = client.get(f"/strategies/{record_id}/record.pdf")
    assert answer.status_code == 200
    return " ".join(" ".join(pages_text(answer.content)).split())


def test_a_phone_call_discussion_prints_everyone_on_the_call_as_taking_part(client):
    record_id = _finalised(client, _phone_call_edt())
    text = _pdf_text(client, record_id)
    assert "Took part in the calls (3)" in text
    assert text.count("By phone, taking part in the calls") == 3
    for name in ("PS Hall", "Dr Okafor"):
        assert name in text
    assert "Took part in the meeting" not in text
    assert "outside the meeting" not in text and "Contributed outside" not in text


def test_the_participation_figures_count_partners_on_the_call(client, session):
    record_id = _finalised(client, _phone_call_edt())
    row = session.exec(select(RecordMeasure).where(RecordMeasure.record_id == record_id)).one()
    assert row.m_partners_in_discussion is True
    assert row.m_outside_contributions is False
    assert row.m_participants_recorded is True


def test_an_old_record_reads_and_counts_as_before(client, session):
    """A record of a meeting made before the change: its stored modes are kept as they were,
    and it prints in the same words."""
    body = complete_record()
    record_id = _finalised(client, body)
    stored = client.get(f"/api/strategies/{record_id}").json()["participants"]
    assert [p["mode"] for p in stored] == ["in_person", "video", "phone_outside"]
    text = _pdf_text(client, record_id)
    assert "Took part in the meeting (2)" in text
    assert "Contributed outside the meeting (phone, email or report) (1)" in text
    assert "Attended by video" in text and "By phone, outside the meeting" in text
    assert "Relayed by Priya Shah" in text
    row = session.exec(select(RecordMeasure).where(RecordMeasure.record_id == record_id)).one()
    # The health visitor only rang in beforehand: health did not take part in the meeting.
    assert (row.m_outside_contributions, row.m_partners_in_discussion) == (True, False)


def test_the_form_offers_the_choices_in_the_words_of_the_format(client):
    body = _phone_call_edt()
    answer = client.post("/api/strategies", json=body)
    page = section_page(client, answer.json()["id"], "participants")
    labels = [" ".join(label.get_text().split())
              for label in page.select("label[for^='participants-0-mode']")]
    assert "By phone, taking part in the calls" in labels
    assert "By phone, outside the calls" in labels
    assert "Invited, did not respond" in labels
    assert not any("meeting" in label for label in labels)


def test_the_page_groups_people_who_did_not_respond(client):
    body = _phone_call_edt()
    body["participants"].append({"name": "Ms Hill", "agency": "school", "role": "DSL",
                                 "mode": "no_response", "email": "dsl@example.sch.uk"})
    answer = client.post("/api/strategies", json=body)
    page = soup(client.get(f"/strategies/{answer.json()['id']}"))
    headings = [" ".join(h.get_text().split()) for h in page.select("h3")]
    assert "Took part in the calls (3)" in headings
    assert "Invited, did not respond (1)" in headings


def test_a_contribution_relayed_from_outside_says_who_relayed_it():
    body = complete_record()
    body["participants"][2]["relayed_by"] = None
    data = StrategyRecordData.model_validate(body)
    assert paths(data, "participants.relayed") == [("participants", 2, "relayed_by")]
    body["participants"][2]["mode"] = "phone_call"
    body["participants"][2]["contributed_at"] = None
    data = StrategyRecordData.model_validate(body)
    assert all(r.passed for r in evaluate(data, SETTINGS)
               if r.rule.id in ("participants.relayed", "participants.details"))
    groups = record_view(data, []).participant_groups
    assert [(g.title, len(g.people)) for g in groups] == [("Took part in the meeting", 3)]


# --- what was observed of a child who cannot speak (issue 22, item 3) ---------------------------

PADDING = [
    # 102 characters that say only that the baby cannot speak (issue 22).
    "Baby is too young to say anything about what is happening to them and is not able to "
    "speak to us now.…",
    "x" * 60,
    "as above",
]


def _baby(**fields) -> dict:
    body = complete_record()
    body["children"][0] |= {"name": "Ava Carter", "communication": "pre_verbal", "voice": None,
                            **fields}
    return body


@pytest.mark.parametrize("part", ["observed_care", "observed_presentation",
                                  "observed_interaction"])
@pytest.mark.parametrize("text", PADDING)
def test_padding_in_any_part_does_not_pass(part, text):
    assert len(PADDING[0]) == 102
    data = StrategyRecordData.model_validate(_baby(**{**observed_parts(), part: text}))
    assert paths(data, "experience.observed") == [("children", 0, part)]
    (failure,) = [f for r in evaluate(data, SETTINGS) if r.rule.id == "experience.observed"
                  for f in r.failures]
    assert "saying they are too young is not enough" in failure.message


@pytest.mark.parametrize("text", PADDING)
def test_padding_does_not_pass_for_an_unborn_baby_either(text):
    body = complete_record()
    body["children"] = [{"key": "u", "name": "Baby Carter", "unborn": True,
                         "expected_delivery_date": body["actions"][0]["due_date"],
                         "gestation_weeks": 30, "observations": text}]
    data = StrategyRecordData.model_validate(body)
    assert paths(data, "experience.observed") == [("children", 0, "observations")]


def test_every_part_is_required_and_real_parts_pass():
    data = StrategyRecordData.model_validate(_baby(**observed_parts()))
    assert paths(data, "experience.observed") == []
    for missing in ("observed_care", "observed_by", "observed_at"):
        data = StrategyRecordData.model_validate(_baby(**{**observed_parts(), missing: None}))
        assert paths(data, "experience.observed") == [("children", 0, missing)]


def test_an_old_single_observation_is_printed_as_before_and_asked_as_parts_on_edit(client):
    old = ("Seen at home: clean and appropriately dressed, settled in her mother's arms and "
           "smiled at her; startled when her father raised his voice.")
    answer = client.post("/api/strategies", json=_baby(observations=old))
    record_id = answer.json()["id"]
    text = " ".join(" ".join(pages_text(client.get(
        f"/strategies/{record_id}/record.pdf").content)).split())
    assert ("What was observed: care, routines, presentation, interaction with carers "
            + old) in text
    data = StrategyRecordData.model_validate(_baby(observations=old))
    assert [p[-1] for p in paths(data, "experience.observed")] == [
        "observed_care", "observed_presentation", "observed_interaction", "observed_by",
        "observed_at"]
    # The experience page asks the parts and keeps the old text beside them.
    page = section_page(client, record_id, "experience")
    assert page.select_one("#children-0-observed_care") is not None
    assert page.select_one("#children-0-observations").get_text() == old


def test_the_experience_page_refuses_padding_and_keeps_what_was_typed(client):
    answer = client.post("/api/strategies", json=_baby())
    record_id = answer.json()["id"]
    page = section_page(client, record_id, "experience")
    typed = {"children-0-observed_care": "x" * 60,
             "children-0-observed_presentation": "Clean, alert, no marks seen on face or hands",
             "children-0-observed_interaction": "Watched her mother's face and settled quickly",
             "children-0-observed_by": "Sam Lee, Health Visitor"}
    saved = post_section(client, record_id, "experience", replaced(form_data(page), typed))
    assert saved.status_code == 303  # a draft saves; finalising is what the rule stops
    page = soup(client.get(f"/strategies/{record_id}"))
    form = page.select_one(f"form[action='/strategies/{record_id}/finalise']")
    answer = client.post(form["action"], data={"revision": revision_in(form, "form"),
                                               "confirmed": "yes"}, follow_redirects=False)
    assert answer.status_code == 422
    page = soup(answer)
    summary = error_summary(page)
    assert any(href.endswith("#children-0-observed_care") for href in summary)
    page = section_page(client, record_id, "experience")
    assert shown_values(page)["children-0-observed_care"] == ["x" * 60]


# --- what happened to the images (issue 22, item 5) --------------------------------------------

SCHOOL_IMAGES = {"images_taken": "yes", "images_taken_by": "Ms Hill", "images_policy": "None",
                 "images_taken_role": "school", "body_map": "yes"}
HANDLED = {"images_kept_where": "Deleted from the school phone; copy on the police system",
           "images_kept_by": "DC Evans, police", "images_shared_with": "The paediatrician only"}


def _images(**grounds) -> StrategyRecordData:
    body = complete_record()
    body["grounds"] |= grounds
    return StrategyRecordData.model_validate(body)


def test_images_taken_by_a_school_warn_until_it_says_what_happened_to_them():
    (failure,) = [f for r in evaluate(_images(**SCHOOL_IMAGES), SETTINGS)
                  if r.rule.id == "grounds.images-medical" for f in r.failures]
    assert failure.path == ("grounds", "images_kept_where")
    assert "Say what happened to the images" in failure.message
    partly = _images(**SCHOOL_IMAGES, images_kept_where=HANDLED["images_kept_where"])
    assert paths(partly, "grounds.images-medical") == [("grounds", "images_kept_by")]
    assert paths(_images(**SCHOOL_IMAGES, **HANDLED), "grounds.images-medical") == []


def test_the_grounds_page_asks_what_happened_to_the_images_and_prints_it(client):
    answer = client.post("/api/strategies", json=complete_record())
    record_id = answer.json()["id"]
    page = section_page(client, record_id, "grounds")
    typed = {f"grounds-{k}": v for k, v in {**SCHOOL_IMAGES, **HANDLED}.items()}
    saved = post_section(client, record_id, "grounds", replaced(form_data(page), typed))
    assert saved.status_code == 303, saved.text
    stored = client.get(f"/api/strategies/{record_id}").json()["grounds"]
    assert {k: stored[k] for k in HANDLED} == HANDLED
    results = client.get(f"/api/strategies/{record_id}/completeness").json()
    (images,) = [r for r in results if r["id"] == "grounds.images-medical"]
    assert images["passed"] is True
    text = " ".join(" ".join(pages_text(client.get(
        f"/strategies/{record_id}/record.pdf").content)).split())
    assert "Who the images have been shared with The paediatrician only" in text


# --- the other child at risk (issue 22, item 6) ------------------------------------------------

COUSIN = {"alleged_name": "Jordan Carter", "alleged_relationship": "Cousin",
          "alleged_under_18": "yes", "alleged_age": 16,
          "alleged_lives_at": "22 Mill Lane, Anytown, with his mother",
          "alleged_responsible": "His mother, Kim Carter",
          "alleged_own_discussion": "To be held tomorrow by the day team",
          "alleged_contact_with_children": "no"}


def test_a_child_alleged_to_have_caused_harm_is_asked_for_their_details():
    body = complete_record()
    body["grounds"] |= {**COUSIN, "alleged_age": None, "alleged_lives_at": None,
                        "alleged_responsible": None}
    data = StrategyRecordData.model_validate(body)
    assert paths(data, "grounds.alleged-person") == [
        ("grounds", "alleged_age"), ("grounds", "alleged_lives_at"),
        ("grounds", "alleged_responsible")]
    body["grounds"] |= COUSIN
    assert paths(StrategyRecordData.model_validate(body), "grounds.alleged-person") == []


def test_an_age_under_18_alone_makes_them_a_child_at_risk():
    from app.rules.grounds import alleged_child
    body = complete_record()
    body["grounds"] |= {**COUSIN, "alleged_under_18": None}
    assert alleged_child(StrategyRecordData.model_validate(body))
    body["grounds"] |= {"alleged_age": 19, "alleged_under_18": "no"}
    assert not alleged_child(StrategyRecordData.model_validate(body))


def test_their_own_discussion_is_an_action_and_counted_by_the_audit(session):
    from app.domain.schema import uk_now
    from app.followup import versions
    from app.reports.families import Scope
    from tests.fresh_count import report
    from tests.report_world import World, dated

    w = World(session)
    at = datetime(2026, 3, 3, 10)
    record = w.finalised("cousin", dated(at, grounds=COUSIN))
    rows = versions.tracked_actions(session, record.id, record.version)
    (action,) = [row for row in rows if row.kind == "other_child_discussion"]
    assert action.description == ("CSC considers a strategy discussion for Jordan Carter (16), "
                                  "the child alleged to have caused harm: a child at risk too")
    assert (action.due_date, action.status, action.agency) == (date(2026, 3, 4), "open", "csc")
    w.finalised("no alleged child", dated(at))

    def figure():
        results = {r.figure.id: r for r in report(session, Scope(
            date(2026, 3, 1), date(2026, 3, 31), today=uk_now().date()))}
        total = results["other-child-considered"].total
        return total.numerator, total.denominator
    assert figure() == (0, 1)
    w.action_done(record, action.position, date(2026, 3, 4))
    assert figure() == (1, 1)


def test_the_grounds_page_takes_their_age_as_typed(client):
    answer = client.post("/api/strategies", json=complete_record())
    record_id = answer.json()["id"]
    page = section_page(client, record_id, "grounds")
    typed = {f"grounds-{k}": str(v) for k, v in COUSIN.items()} | {"grounds-alleged_age": "sixteen"}
    refused = post_section(client, record_id, "grounds", replaced(form_data(page), typed))
    assert refused.status_code == 422
    page = soup(refused)
    assert list(error_summary(page)) == ["#grounds-alleged_age"]
    assert_shows(page, typed)
    typed["grounds-alleged_age"] = "16"
    saved = post_section(client, record_id, "grounds", replaced(form_data(page), typed))
    assert saved.status_code == 303
    grounds = client.get(f"/api/strategies/{record_id}").json()["grounds"]
    assert (grounds["alleged_age"], grounds["alleged_responsible"]) == (
        16, "His mother, Kim Carter")


def test_the_follow_up_page_and_the_tracker_list_the_generated_action(client):
    body = complete_record()
    body["grounds"] |= COUSIN
    record_id = _finalised(client, body)
    wanted = "CSC considers a strategy discussion for Jordan Carter (16)"
    for url in (f"/strategies/{record_id}/follow-up", "/actions"):
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert wanted in " ".join(soup(answer).get_text(" ").split()), url
