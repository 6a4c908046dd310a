"""The whole flow over HTTP with JavaScript off: plain forms carrying the revision, a refusal
re-showing the page with what was typed and an error summary; follow-up entries clearing
warnings and due dates; the cancellation creating its dated action."""

from datetime import timedelta

from sqlmodel import select

from app.auth.models import AuditEvent
from app.config import get_settings
from app.domain.schema import uk_now
from app.followup.models import TrackedAction
from app.records.models import StrategyRecord
from app.rules.due_dates import cancellation_update_due
from tests.builders import STANDARD_ORGANISATIONS, complete_record, finalised_over_api
from tests.conftest import as_user, make_user
from tests.html import error_summary, form_data, post_follow_up_form, soup


def test_manager_authorises_through_the_page_and_the_pdf_names_them(anonymous, session):
    sw, manager = make_user(session, "sam"), make_user(session, "mo", "manager")
    record_id = finalised_over_api(as_user(anonymous, session, sw))
    client = as_user(anonymous, session, manager)
    record_page = soup(client.get(f"/strategies/{record_id}"))
    assert record_page.select_one(f'a[href="/strategies/{record_id}/follow-up"]').get_text(
        strip=True) == "Review, authorise or return"
    answer = post_follow_up_form(client, record_id, "authorise-form")
    assert answer.status_code == 303
    assert session.get(StrategyRecord, record_id).status == "authorised"


def test_return_without_comments_reshows_the_form_with_an_error_summary(anonymous, session):
    sw, manager = make_user(session, "sam"), make_user(session, "mo", "manager")
    record_id = finalised_over_api(as_user(anonymous, session, sw))
    client = as_user(anonymous, session, manager)
    answer = post_follow_up_form(client, record_id, "return-form", comments="")
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {
        "#return-reasons": "Select at least one reason for returning the record",
        "#return-comments-input": "Enter your comments for the author: what needs to change"}
    # Each link lands on the field itself, which names its error for a screen reader.
    comments = page.select_one("#return-comments-input")
    assert comments.name == "textarea"
    assert "return-comments-error" in comments["aria-describedby"].split()
    assert page.select_one("#return-reasons")["type"] == "checkbox"
    assert session.get(StrategyRecord, record_id).status == "finalised"


def test_a_stale_page_changes_nothing_and_keeps_what_was_typed(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    record_id = finalised_over_api(client)
    page = soup(client.get(f"/strategies/{record_id}/follow-up"))
    amend = dict(form_data(page, "#amend-form"))
    # Someone records progress from another tab: the record's revision moves on.
    post_follow_up_form(client, record_id, "action-1-form", outcome="done", note="Visited",
               done_on=str(uk_now().date()))
    answer = client.post(f"/strategies/{record_id}/amend",
                         data=amend | {"reason": "Please check the dates"})
    assert answer.status_code == 409
    assert soup(answer).select_one("#amend-reason-input").get_text() == "Please check the dates"
    assert session.get(StrategyRecord, record_id).version == 1


def test_action_done_closes_it_and_moves_next_due(anonymous, session):
    sw = make_user(session, "sam")
    client = as_user(anonymous, session, sw)
    record_id = finalised_over_api(client)
    joint_visit = session.exec(select(TrackedAction).where(
        TrackedAction.record_id == record_id, TrackedAction.position == 1)).one()
    before = session.get(StrategyRecord, record_id).next_due
    assert before == joint_visit.due_date
    answer = post_follow_up_form(client, record_id, "action-1-form", outcome="done",
                        note="Visited with DC Evans", done_on=str(joint_visit.due_date))
    assert answer.status_code == 303
    session.expire_all()
    assert session.get(TrackedAction, joint_visit.id).status == "done"
    assert session.get(StrategyRecord, record_id).next_due > before
    timeline = soup(client.get(f"/strategies/{record_id}")).select("#timeline li")
    assert [li["data-kind"] for li in timeline] == ["finalised", "action_done"]
    assert "Visited with DC Evans" in timeline[1].get_text()


def test_update_all_agencies_done_needs_every_organisation_told_or_a_reason(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    record_id = finalised_over_api(client)
    police, hv = STANDARD_ORGANISATIONS["police"], STANDARD_ORGANISATIONS["health_visiting"]
    answer = post_follow_up_form(client, record_id, "action-0-form", outcome="done", note="Emailed",
                        updated=[str(police)], how="")
    assert answer.status_code == 422
    assert error_summary(soup(answer)) == {
        f"#action-0-updated-{hv}": "Tick each organisation that was updated, or say why it was not: "
                             "Health visiting",
        "#action-0-how-input": "Say how the organisations were updated",
    }
    # What was typed comes back, under one error summary.
    page = soup(answer)
    assert len(page.select(".govuk-error-summary")) == 1
    assert page.select_one("#action-0-note-input").get_text() == "Emailed"
    assert page.select_one(f"#action-0-updated-{police}").has_attr("checked")
    assert not page.select_one(f"#action-0-updated-{hv}").has_attr("checked")
    answer = post_follow_up_form(client, record_id, "action-0-form", outcome="done", note="Emailed",
                        updated=[str(police)], how="Secure email",
                        **{f"reason-{hv}": "The family has no health visitor yet"})
    assert answer.status_code == 303
    text = soup(client.get(f"/strategies/{record_id}")).select_one("#timeline").get_text()
    assert ("Organisations updated: Police (Secure email).Not updated: Health visiting (The "
            "family has no health visitor yet).") in text


def test_the_update_all_agencies_action_cannot_be_cancelled(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    record_id = finalised_over_api(client)
    page = soup(client.get(f"/strategies/{record_id}/follow-up"))
    offered = [i["value"] for i in page.select("#action-0-form input[name=outcome]")]
    assert offered == ["done", "redated"]
    answer = post_follow_up_form(client, record_id, "action-0-form", outcome="cancelled",
                        note="Not needed")
    assert answer.status_code == 409
    assert "cannot be cancelled" in error_summary(soup(answer))["#action-0-form"]
    row = session.exec(select(TrackedAction).where(
        TrackedAction.record_id == record_id, TrackedAction.kind == "update_agencies")).one()
    assert row.status == "open"


def test_the_update_all_agencies_action_is_redated_with_a_reason(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    record_id = finalised_over_api(client)
    later = uk_now().date() + timedelta(days=9)
    refused = post_follow_up_form(client, record_id, "action-0-form", outcome="redated", note="",
                         due_date=later.isoformat())
    assert refused.status_code == 422
    assert error_summary(soup(refused)) == {"#action-0-note-input": "Give the reason for the new date"}
    answer = post_follow_up_form(client, record_id, "action-0-form", outcome="redated",
                        note="Police officer in court until then", due_date=later.isoformat())
    assert answer.status_code == 303
    session.expire_all()
    row = session.exec(select(TrackedAction).where(
        TrackedAction.record_id == record_id, TrackedAction.kind == "update_agencies")).one()
    assert (row.status, row.due_date) == ("open", later)


def test_cancelling_an_action_needs_a_reason(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    record_id = finalised_over_api(client)
    answer = post_follow_up_form(client, record_id, "action-1-form", outcome="cancelled", note="")
    assert answer.status_code == 422
    assert error_summary(soup(answer)) == {
        "#action-1-note-input": "Give the reason the action was cancelled"}


def test_cancelling_the_further_discussion_creates_its_dated_action(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    body = complete_record()
    body["next_steps"]["next_discussion_on"] = str(uk_now().date())
    record_id = finalised_over_api(client, body)
    refused = post_follow_up_form(client, record_id, "cancel-form", reason="")
    assert refused.status_code == 422
    answer = post_follow_up_form(client, record_id, "cancel-form", reason="Family moved to Leeds")
    assert answer.status_code == 303
    due = cancellation_update_due(uk_now().date(), get_settings())
    added = session.exec(select(TrackedAction).where(
        TrackedAction.kind == "cancellation_update")).one()
    assert added.description == ("CSC will update all agencies involved of the cancellation "
                                 f"and its reasons by {due:%-d %B %Y}")
    assert (added.due_date, added.status, added.record_id) == (due, "open", record_id)
    page = soup(client.get(f"/strategies/{record_id}"))
    cancelled = page.select_one('#timeline li[data-kind="discussion_cancelled"]').get_text()
    assert "Family moved to Leeds" in cancelled and added.description in cancelled
    # Cancelling twice is refused.
    told = [str(STANDARD_ORGANISATIONS[a]) for a in ("police", "health_visiting")]
    assert post_follow_up_form(client, record_id, f"action-{added.position}-form", outcome="done",
                      note="Told all", updated=told, how="Phone").status_code == 303
    again = client.post(f"/strategies/{record_id}/cancel-further-discussion",
                        data={"revision": session.get(StrategyRecord, record_id).revision,
                              "reason": "again"})
    assert again.status_code == 409
    assert error_summary(soup(again)) == {
        "#cancel-form": "The further strategy discussion is already cancelled"}


def test_referrer_feedback_clears_the_warning(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    body = complete_record()
    body["grounds"] |= {"referrer_name": "Ms Bell (teacher)", "referrer_informed_on": None,
                        "referrer_informed_how": None}
    record_id = finalised_over_api(client, body)
    record = session.get(StrategyRecord, record_id)
    assert record.referrer_feedback_due is True
    warnings = record.warnings
    answer = post_follow_up_form(client, record_id, "referrer-form", told_on=str(uk_now().date()),
                        how="Phone call", family_member="yes", shared="")
    assert answer.status_code == 422
    assert error_summary(soup(answer)) == {
        "#referrer-shared-input": "Say how much was shared with the family member"}
    answer = post_follow_up_form(client, record_id, "referrer-form", told_on=str(uk_now().date()),
                        how="Phone call")
    assert answer.status_code == 303
    session.expire_all()
    record = session.get(StrategyRecord, record_id)
    assert (record.referrer_feedback_due, record.warnings) == (False, warnings - 1)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "referrer_told")).one()


def test_edt_review_is_prefilled_and_recorded_by_the_day_team(anonymous, session):
    edt = make_user(session, "eddie", "edt_worker", team="EDT")
    client = as_user(anonymous, session, edt)
    body = complete_record()
    body["header"] |= {"led_by": "edt", "discussion_at": "2025-12-24T22:00:00",
                       "concern_at": "2025-12-24T20:00:00"}
    body["children"][0]["seen_at"] = "2025-12-24T21:00:00"
    body["participants"][2]["contributed_at"] = "2025-12-24T21:30:00"
    body["next_steps"]["icpc_date"] = "2026-01-12"
    created = client.post("/api/strategies", json=body).json()
    # Filled in for the user: the next working day after Christmas Eve is 29 December 2025.
    assert created["header"]["day_team_review_due"] == "2025-12-29"
    record_id = created["id"]
    assert client.post(f"/api/strategies/{record_id}/finalise",
                       json={"revision": created["revision"]}).status_code == 200
    sw = as_user(anonymous, session, make_user(session, "sam"))
    answer = post_follow_up_form(sw, record_id, "edt-review-form", checked="")
    assert answer.status_code == 422
    assert set(error_summary(soup(answer))) == {"#edt-review-checked-input",
                                                "#edt-further-yes"}
    answer = post_follow_up_form(sw, record_id, "edt-review-form", checked="Chronology and positions",
                        corrected="Police officer's name", further_needed="no")
    assert answer.status_code == 303
    session.expire_all()
    assert session.get(StrategyRecord, record_id).reviewed_at is not None
    assert soup(sw.get(f"/strategies/{record_id}/follow-up")).select_one(
        "#edt-review-form") is None


def test_follow_up_on_a_draft_is_refused(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    draft = client.post("/api/strategies", json=complete_record()).json()
    answer = client.post(f"/strategies/{draft['id']}/referrer-told",
                         data={"revision": draft["revision"], "told_by": "Sam",
                               "told_on": "2026-01-05", "how": "Phone"})
    assert answer.status_code == 409
    assert list(error_summary(soup(answer)).values()) == [
        "Only a finalised or authorised record can have referrer feedback recorded: this "
        "record is a draft"]


def test_a_form_without_its_revision_saves_nothing(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    record_id = finalised_over_api(client)
    answer = client.post(f"/strategies/{record_id}/amend", data={"reason": "Typo"})
    assert answer.status_code == 428
    assert soup(answer).select_one("#amend-reason-input").get_text() == "Typo"
    assert session.get(StrategyRecord, record_id).version == 1


def test_amend_through_the_page_then_finalise_again(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    record_id = finalised_over_api(client)
    answer = post_follow_up_form(client, record_id, "amend-form", reason="Child's school was wrong")
    assert answer.status_code == 303
    record = session.get(StrategyRecord, record_id)
    assert (record.version, record.status) == (2, "draft")
    page = soup(client.get(f"/strategies/{record_id}"))
    finalise = dict(form_data(page, f'form[action="/strategies/{record_id}/finalise"]')) | {"confirmed": "yes"}
    assert client.post(f"/strategies/{record_id}/finalise", data=finalise,
                       follow_redirects=False).status_code == 303
    page = soup(client.get(f"/strategies/{record_id}"))
    rows = [tr.get_text(" ", strip=True) for tr in page.select("#versions tbody tr")]
    assert rows[0].startswith("Version 1") and "Superseded by version 2" in rows[0]
    assert rows[1].startswith("Version 2") and "Finalised" in rows[1]


def test_no_action_outcome_is_chosen_for_the_person_and_none_chosen_is_refused(anonymous, session):
    client = as_user(anonymous, session, make_user(session, "sam"))
    record_id = finalised_over_api(client)
    page = soup(client.get(f"/strategies/{record_id}/follow-up"))
    radios = page.select("input[name=outcome]")
    assert radios and not [r["id"] for r in radios if r.has_attr("checked")]
    # Each group of choices is a fieldset with its question as the legend.
    legends = [f.select_one("legend").get_text(" ", strip=True)
               for f in page.select("#action-1-form fieldset")]
    assert "What happened" in legends
    answer = post_follow_up_form(client, record_id, "action-1-form", note="Visited")
    assert answer.status_code == 422
    assert error_summary(soup(answer)) == {
        "#action-1-outcome-done": "Choose done, cancelled or a new date"}
    assert soup(answer).select_one("#action-1-note-input").get_text() == "Visited"
