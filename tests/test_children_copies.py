"""Each child's own copy of a record (issue 22, item 2): every injury belongs to a child, a copy
holds only its own child's rows and the passages written for it, the author is warned when
shared text names another child, and a detail given as another child's ("As Leo", "as above")
is repeated only where it is true of this child."""

import json

import pytest
from sqlalchemy import text

from app import db, migrate
from app.config import get_settings
from app.domain.schema import StrategyRecordData
from app.rules.completeness import evaluate
from tests.builders import complete_record, create, discussion_time
from tests.html import error_summary, form_data, post_section, section_page, soup
from tests.pdf_helpers import pages_text, squashed

SEEN_ON = str(discussion_time().date())
LEO_BRUISE = "Fingertip bruising to the left forearm"
MIA_SCRATCH = "Scratch across the right cheek"


def _injury(child_key: str | None, description: str, area: str = "left_arm") -> dict:
    return {"child_key": child_key, "area": area, "side": "front", "description": description,
            "seen_by": "Ms Hill (DSL)", "seen_on": SEEN_ON}


def _two_children(**leo_changes) -> dict:
    body = complete_record()
    leo = {**body["children"][0], **leo_changes}
    mia = {**body["children"][0], "key": "mia", "name": "Mia Carter",
           "voice": "Mia said she hides under the bed.",
           "observations": "Mia flinched when her mother's partner came in."}
    body["children"] = [leo, mia]
    return body


def _pdf_text(client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    return " ".join(pages_text(answer.content))


def _finalised(client, body: dict) -> int:
    record_id = create(client, body)
    revision = client.get(f"/api/strategies/{record_id}").json()["revision"]
    answer = client.post(f"/api/strategies/{record_id}/finalise", json={"revision": revision})
    assert answer.status_code == 200, answer.text
    return record_id


def _failures(body: dict, rule_id: str) -> list[str]:
    data = StrategyRecordData.model_validate(body)
    (result,) = [r for r in evaluate(data, get_settings()) if r.rule.id == rule_id]
    return [f.message for f in result.failures]


# --- rows belong to a child ------------------------------------------------------------------


def test_a_per_child_copy_holds_only_its_own_childs_injuries_and_observations(client):
    body = _two_children()
    body["injuries"] = [_injury("child1", LEO_BRUISE), _injury("mia", MIA_SCRATCH, "face")]
    record_id = _finalised(client, body)
    leo = squashed(_pdf_text(client, f"/strategies/{record_id}/children/child1/record.pdf"))
    mia = squashed(_pdf_text(client, f"/strategies/{record_id}/children/mia/record.pdf"))
    assert squashed(LEO_BRUISE) in leo and squashed(MIA_SCRATCH) not in leo
    assert squashed(MIA_SCRATCH) in mia and squashed(LEO_BRUISE) not in mia
    assert squashed("Mia flinched") in mia and squashed("Mia flinched") not in leo
    whole = squashed(_pdf_text(client, f"/strategies/{record_id}/record.pdf"))
    assert squashed(LEO_BRUISE) in whole and squashed(MIA_SCRATCH) in whole


def test_images_of_one_child_are_not_told_in_a_siblings_copy(client):
    body = _two_children()
    body["grounds"] |= {"images_taken": "yes", "images_of": ["mia"], "images_taken_by": "Dr Okafor",
                        "images_taken_role": "medical", "images_policy": "Trust photography policy"}
    record_id = _finalised(client, body)
    leo = squashed(_pdf_text(client, f"/strategies/{record_id}/children/child1/record.pdf"))
    mia = squashed(_pdf_text(client, f"/strategies/{record_id}/children/mia/record.pdf"))
    assert squashed("Dr Okafor") in mia and squashed("Dr Okafor") not in leo
    whole = squashed(_pdf_text(client, f"/strategies/{record_id}/record.pdf"))
    assert squashed("Which children the images are of Mia Carter") in whole
    del body["grounds"]["images_of"]
    assert _failures(body, "children.rows-belong") == ["Choose which children the images are of"]


def test_with_one_child_every_injury_is_theirs_without_asking(client):
    body = complete_record()
    body["injuries"] = [_injury(None, LEO_BRUISE)]
    record_id = create(client, body)
    assert client.get(f"/api/strategies/{record_id}").json()["injuries"][0]["child_key"] == "child1"
    page = section_page(client, record_id, "injuries")
    assert page.select_one("select#injuries-0-child_key") is None
    assert page.select_one("input[name=injuries-0-child_key]")["value"] == "child1"


def test_with_two_children_the_form_asks_whose_injury_and_finalising_waits_for_it(client):
    body = _two_children()
    body["injuries"] = [_injury(None, LEO_BRUISE)]
    record_id = create(client, body)
    page = section_page(client, record_id, "injuries")
    options = [(o["value"], o.text) for o in page.select("select#injuries-0-child_key option")]
    assert options == [("", "Select"), ("child1", "Leo Carter"), ("mia", "Mia Carter")]
    revision = client.get(f"/api/strategies/{record_id}").json()["revision"]
    refused = client.post(f"/api/strategies/{record_id}/finalise", json={"revision": revision})
    assert refused.status_code == 422
    (failing,) = [r for r in refused.json()["detail"] if r["id"] == "children.rows-belong"]
    assert [f["message"] for f in failing["failures"]] == [
        "Injury 1 has no child: choose which child has it"]


def test_choosing_the_child_on_the_form_stores_it(client):
    body = _two_children()
    body["injuries"] = [_injury(None, LEO_BRUISE)]
    record_id = create(client, body)
    page = section_page(client, record_id, "injuries")
    pairs = [(k, "mia" if k == "injuries-0-child_key" else v)
             for k, v in form_data(page)]
    answer = post_section(client, record_id, "injuries", pairs)
    assert answer.status_code in (200, 303), answer.text
    assert client.get(f"/api/strategies/{record_id}").json()["injuries"][0]["child_key"] == "mia"


def test_a_forged_child_key_is_a_clear_error_not_a_500(client):
    body = _two_children()
    body["injuries"] = [_injury("mia'; DROP TABLE--", LEO_BRUISE)]
    answer = client.post("/api/strategies", json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-3:] == ["injuries", 0, "child_key"]


@pytest.mark.parametrize("forged", ["x y", "a" * 500, "<script>"])
def test_a_forged_child_on_the_form_is_a_clear_error_reshowing_what_was_typed(client, forged):
    body = _two_children()
    body["injuries"] = [_injury(None, LEO_BRUISE)]
    record_id = create(client, body)
    pairs = [(k, forged if k == "injuries-0-child_key" else v)
             for k, v in form_data(section_page(client, record_id, "injuries"))]
    answer = post_section(client, record_id, "injuries", pairs)
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {"#injuries-0-child_key": "Choose one of the record's children"}
    assert page.select_one("#injuries-0-description").text.strip() == LEO_BRUISE


# --- shared text that names another child ----------------------------------------------------


def test_shared_text_naming_a_sibling_warns_with_the_names_found():
    body = _two_children()
    body["grounds"]["summary"] = "Leo has bruising to his arm; Mia Carter was in the room."
    assert _failures(body, "children.shared-text-names") == [
        "Summary of the concern names Mia Carter, and is printed in Leo Carter's own copy: write it for "
        "Leo Carter's copy under Wording for one child's copy, or leave the other children out "
        "of it",
        "Summary of the concern names Leo, and is printed in Mia Carter's own copy: write it for "
        "Mia Carter's copy under Wording for one child's copy, or leave the other children out "
        "of it",
    ]


def test_a_name_that_is_also_a_word_is_found_only_as_a_name():
    body = _two_children()
    body["children"][1]["name"] = "May Carter"
    body["grounds"]["summary"] = "Leo may have been pushed."
    assert _failures(body, "children.shared-text-names") == [
        "Summary of the concern names Leo, and is printed in May Carter's own copy: write it for "
        "May Carter's copy under Wording for one child's copy, or leave the other children out "
        "of it"]


def test_a_passage_written_for_each_child_clears_the_warning_and_prints_in_their_copy(client):
    body = _two_children()
    body["grounds"]["summary"] = "Leo has bruising to his arm; Mia was in the room."
    body["child_passages"] = [
        {"child_key": "child1", "passage": "grounds.summary", "text": "Leo has bruising to his arm."},
        {"child_key": "mia", "passage": "grounds.summary",
         "text": "Mia was at home when another child was hurt."},
    ]
    assert _failures(body, "children.shared-text-names") == []
    record_id = _finalised(client, body)
    leo = _pdf_text(client, f"/strategies/{record_id}/children/child1/record.pdf")
    mia = _pdf_text(client, f"/strategies/{record_id}/children/mia/record.pdf")
    assert "Mia" not in leo and "Leo has bruising to his arm." in leo
    assert "Leo" not in mia and "Mia was at home when another child was hurt." in mia
    whole = squashed(_pdf_text(client, f"/strategies/{record_id}/record.pdf"))
    assert squashed("Leo has bruising to his arm; Mia was in the room.") in whole


def test_the_passages_page_offers_the_records_children_and_passages(client):
    record_id = create(client, _two_children())
    page = section_page(client, record_id, "child-wording")
    added = post_section(client, record_id, "child-wording", form_data(page), action="add")
    row = soup(added)
    assert [o.text for o in row.select("select#child_passages-0-child_key option")] == [
        "Select", "Leo Carter", "Mia Carter"]
    assert "Summary of the concern" in [
        o.text for o in row.select("select#child_passages-0-passage option")]


@pytest.mark.parametrize("two", [False, True])
def test_save_and_continue_passes_the_wording_page_by(client, two):
    """It is reached from the task list and the warning; the journey stays as short."""
    record_id = create(client, _two_children() if two else complete_record())
    page = section_page(client, record_id, "next-steps")
    answer = post_section(client, record_id, "next-steps", form_data(page), action="save-continue")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/strategies/{record_id}/sections/distribution"
    task_list = soup(client.get(f"/strategies/{record_id}"))
    assert task_list.select_one("#child-wording a")["href"] == (
        f"/strategies/{record_id}/sections/child-wording")


# --- "As Leo", "as above" ---------------------------------------------------------------------


def test_as_leo_never_makes_a_child_their_own_sibling(client):
    body = _two_children(household="Mother Kim Doe; sister Mia Carter (4)")
    body["children"][1]["household"] = "As Leo"
    messages = _failures(body, "children.references")
    assert messages == [
        "Mia Carter's household members, including fathers and male carers is given as another "
        "child's, but that child's entry names this child: write Mia Carter's own, or their copy "
        "prints it as written with this warning"]
    record_id = create(client, body)
    mia = _pdf_text(client, f"/strategies/{record_id}/children/mia/record.pdf")
    assert "sister Mia Carter" not in mia
    assert squashed("As Leo (given as another child's details, which cannot be repeated for this "
                    "child: that child's entry names this child.") in squashed(mia)


def test_as_above_never_carries_a_fact_true_only_of_the_other_child(client):
    body = _two_children(household="Mother Kim Doe and two younger siblings")
    body["children"][1]["household"] = "as above"
    record_id = create(client, body)
    mia = _pdf_text(client, f"/strategies/{record_id}/children/mia/record.pdf")
    assert "younger siblings" not in mia
    assert squashed("as above (given as another child's details") in squashed(mia)
    assert _failures(body, "children.references")[0].endswith("prints it as written with this warning")


def test_a_safe_reference_is_still_repeated(client):
    body = _two_children(address="1 High Street, Anytown")
    body["children"][1]["address"] = "Same as Leo"
    record_id = create(client, body)
    mia = squashed(_pdf_text(client, f"/strategies/{record_id}/children/mia/record.pdf"))
    assert squashed("1 High Street, Anytown") in mia and "Leo" not in mia
    assert _failures(body, "children.references") == []


# --- migrating stored records ----------------------------------------------------------------

INSERT = ("INSERT INTO strategy_record (id, reference, status, version, revision, data, team, "
          "created_at, updated_at, sort_at, children_names, search_text, blocking_failures, "
          "warnings, damaged, referrer_feedback_due, latest_final_version) VALUES (:id, :ref, "
          "'draft', 1, 1, :data, 'Central', :now, :now, :wall, '[]', :search, 0, 0, false, false, 0)")


def _stored(url: str) -> dict[int, dict]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as c:
            rows = c.execute(text("SELECT id, data FROM strategy_record ORDER BY id")).all()
    finally:
        engine.dispose()
    return {i: json.loads(d) if isinstance(d, str) else d for i, d in rows}


def test_migrating_gives_a_one_child_records_injuries_to_that_child_and_guesses_no_other(
        empty_database):  # noqa: F811
    migrate.upgrade(empty_database, "0021")
    one = {"children": [{"key": "leo", "name": "Leo"}], "grounds": {"images_taken": "yes"},
           "injuries": [{"description": "Bruise"}, {"description": "Mark", "child_key": None}]}
    two = {"children": [{"key": "leo", "name": "Leo"}, {"key": "mia", "name": "Mia"}],
           "injuries": [{"description": "Bruise"}]}
    none = {"children": [{"key": "leo", "name": "Leo"}], "injuries": []}
    engine = db.make_engine(empty_database)
    with engine.begin() as c:
        for i, document in enumerate((one, two, none), start=1):
            c.execute(text(INSERT), {"id": i, "ref": f"SR-2026-0000{i}", "search": f"sr-2026-0000{i}",
                                     "data": json.dumps(document), "now": "2026-11-30 09:00:00",
                                     "wall": "2026-11-30 09:00:00"})
    engine.dispose()
    migrate.upgrade(empty_database)
    stored = _stored(empty_database)
    assert stored[1]["injuries"] == [{"description": "Bruise", "child_key": "leo"},
                                     {"description": "Mark", "child_key": "leo"}]
    assert stored[1]["grounds"] == {"images_taken": "yes", "images_of": ["leo"]}
    assert stored[2]["injuries"] == [{"description": "Bruise"}]
    assert stored[3]["injuries"] == []
    data = StrategyRecordData.model_validate(stored[2], context={"stored": True})
    (result,) = [r for r in evaluate(data, get_settings()) if r.rule.id == "children.rows-belong"]
    assert [f.path for f in result.failures] == [("injuries", 0, "child_key")]

    migrate.downgrade(empty_database, "0021")
    assert _stored(empty_database)[1] == one | {"injuries": [{"description": "Bruise"},
                                                             {"description": "Mark"}]}
