"""Returning a record names its reasons as categories (one or more, required) beside the
comments: on the page (a GOV.UK fieldset of checkboxes; a refusal keeps what was typed and
ticked) and in the API. The categories are stored on the "returned" entry; the comments are
for the author and social care only."""

from sqlmodel import select

from app.domain.choices import ReturnReason
from app.followup.models import FollowUpEntry
from app.records.models import StrategyRecord
from tests.builders import finalised_over_api
from tests.conftest import as_user, make_user
from tests.html import error_summary, post_follow_up_form, soup


def _returned_entry(session, record_id: int) -> FollowUpEntry:
    session.expire_all()
    return session.exec(select(FollowUpEntry).where(FollowUpEntry.record_id == record_id,
                                                    FollowUpEntry.kind == "returned")).one()


def test_the_return_form_offers_every_reason_in_a_fieldset_with_a_legend(anonymous, session):
    sw, manager = make_user(session, "sam"), make_user(session, "mo", "manager")
    record_id = finalised_over_api(as_user(anonymous, session, sw))
    page = soup(as_user(anonymous, session, manager).get(f"/strategies/{record_id}/follow-up"))
    fieldset = page.select_one("#return-form fieldset")
    assert fieldset.select_one("legend").get_text(strip=True) == "Why are you returning it?"
    boxes = fieldset.select("input[type=checkbox][name=reasons]")
    assert [box["value"] for box in boxes] == [reason.value for reason in ReturnReason]
    labels = [fieldset.select_one(f'label[for="{box["id"]}"]').get_text(strip=True)
              for box in boxes]
    assert labels == [reason.label for reason in ReturnReason]
    assert not any(box.has_attr("checked") for box in boxes)


def test_reasons_without_comments_keep_the_boxes_ticked(anonymous, session):
    sw, manager = make_user(session, "sam"), make_user(session, "mo", "manager")
    record_id = finalised_over_api(as_user(anonymous, session, sw))
    client = as_user(anonymous, session, manager)
    answer = post_follow_up_form(client, record_id, "return-form", reasons=["decision", "actions"],
                        comments="  ")
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {
        "#return-comments-input": "Enter your comments for the author: what needs to change"}
    ticked = [box["value"] for box in page.select("#return-form input[name=reasons][checked]")]
    assert ticked == ["decision", "actions"]
    assert session.get(StrategyRecord, record_id).status == "finalised"


def test_comments_without_reasons_are_kept_and_the_error_links_to_the_first_box(
        anonymous, session):
    sw, manager = make_user(session, "sam"), make_user(session, "mo", "manager")
    record_id = finalised_over_api(as_user(anonymous, session, sw))
    client = as_user(anonymous, session, manager)
    answer = post_follow_up_form(client, record_id, "return-form", comments="Add Ava's view")
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {
        "#return-reasons": "Select at least one reason for returning the record"}
    assert page.select_one("#return-reasons")["value"] == ReturnReason.PARTICIPANTS.value
    assert page.select_one("#return-reasons-error").get_text(" ", strip=True) == (
        "Error: Select at least one reason for returning the record")
    assert page.select_one("#return-comments-input").get_text() == "Add Ava's view"
    # A reason that is not on the list is refused the same way.
    forged = post_follow_up_form(client, record_id, "return-form", reasons=["gossip"], comments="x")
    assert error_summary(soup(forged)) == {"#return-reasons": "Select reasons from the list"}


def test_a_return_through_the_page_stores_the_reasons_the_author_sees(anonymous, session):
    sw, manager = make_user(session, "sam"), make_user(session, "mo", "manager")
    record_id = finalised_over_api(as_user(anonymous, session, sw))
    client = as_user(anonymous, session, manager)
    answer = post_follow_up_form(client, record_id, "return-form",
                        reasons=["factual_error", "participants"], comments="Check the dates")
    assert answer.status_code == 303
    entry = _returned_entry(session, record_id)
    # Stored in the list's order, whatever order they were posted in.
    assert entry.details == {"reasons": ["participants", "factual_error"],
                             "comments": "Check the dates"}
    banner = soup(as_user(anonymous, session, sw).get(f"/strategies/{record_id}")).select_one(
        "#returned")
    assert [li.get_text(strip=True) for li in banner.select("li")] == [
        "Who took part is unclear or incomplete", "A factual error"]


def test_the_api_needs_at_least_one_known_reason(anonymous, session):
    sw, manager = make_user(session, "sam"), make_user(session, "mo", "manager")
    record_id = finalised_over_api(as_user(anonymous, session, sw))
    client = as_user(anonymous, session, manager)
    revision = session.get(StrategyRecord, record_id).revision
    url = f"/api/strategies/{record_id}/return"
    none = client.post(url, json={"revision": revision, "comments": "x", "reasons": []})
    assert none.status_code == 422
    assert none.json()["detail"][0]["loc"] == ["body", "reasons"]
    assert none.json()["detail"][0]["msg"] == "Select at least one reason for returning the record"
    missing = client.post(url, json={"revision": revision, "comments": "x"})
    assert (missing.status_code, missing.json()["detail"][0]["loc"]) == (422, ["body", "reasons"])
    unknown = client.post(url, json={"revision": revision, "comments": "x", "reasons": ["gossip"]})
    assert (unknown.status_code, unknown.json()["detail"][0]["loc"][:2]) == (422, ["body", "reasons"])
    done = client.post(url, json={"revision": revision, "comments": "Name the GP",
                                  "reasons": ["agency_position", "agency_position"]})
    assert done.status_code == 200, done.text
    assert _returned_entry(session, record_id).details["reasons"] == ["agency_position"]


def test_the_managers_comments_are_on_the_sections_being_corrected(anonymous, session):
    """Not only on the task list: the author reads what to change where they change it."""
    sw, manager = make_user(session, "sam"), make_user(session, "mo", "manager")
    record_id = finalised_over_api(as_user(anonymous, session, sw))
    answer = post_follow_up_form(as_user(anonymous, session, manager), record_id, "return-form",
                                 reasons=["decision"], comments="Say why no medical is needed")
    assert answer.status_code == 303
    author = as_user(anonymous, session, sw)
    banner = soup(author.get(f"/strategies/{record_id}/sections/decision")).select_one("#returned")
    text = banner.get_text(" ", strip=True)
    assert "Say why no medical is needed" in text
    assert [li.get_text(strip=True) for li in banner.select("li")] == [ReturnReason("decision").label]
    # Finalised again, the banner is gone from its pages (nothing left to correct).
    record = session.get(StrategyRecord, record_id)
    session.refresh(record)
    done = author.post(f"/api/strategies/{record_id}/finalise", json={"revision": record.revision})
    assert done.status_code == 200, done.text
    assert soup(author.get(f"/strategies/{record_id}")).select_one("#returned") is None
