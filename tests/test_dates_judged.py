"""Dates judged against the discussion (issue 19, item 5): what is recorded after the meeting
cannot be dated before the discussion's day, a section 47 enquiry cannot have started after the
further discussion that continues it, and a year is typed in full. Each case refused with its
message on the page (re-shown as typed, with an error summary) and through the API (422 per
field); dated on the discussion's day is accepted, the day before refused."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.config import get_settings
from app.domain.schema import uk_now
from app.followup.models import FollowUpEntry, TrackedAction
from app.parsing import typed_date
from app.records.models import StrategyRecord
from app.rules.next_steps import conference_due
from app.rules.workdays import add_working_days
from tests.builders import complete_record, discussion_time, record_with
from tests.conftest import make_user, signed_in
from tests.html import error_summary, post_follow_up_form, soup

DAY = discussion_time().date()
ON_DAY = f"{DAY:%-d %B %Y}"
YEAR_IN_FULL = "Enter the year in full, like 2026"


def _finalised(client, **sections) -> int:
    body = complete_record()
    for section, value in sections.items():
        body[section] = {**body[section], **value} if isinstance(value, dict) else value
    created = client.post("/api/strategies", json=body).json()
    done = client.post(f"/api/strategies/{created['id']}/finalise",
                       json={"revision": created["revision"]})
    assert done.status_code == 200, done.text
    return created["id"]


def _refused(answer, href: str, message: str, typed: str) -> None:
    """Re-shown (422) with the one error in the summary and beside the field, as typed."""
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {href: message}
    field = page.select_one(href)  # the link lands on the input, inside its group
    group = field.find_parent(class_="govuk-form-group")
    assert group.select_one(".govuk-error-message").get_text(" ", strip=True) == (
        f"Error: {message}")
    assert field["value"] == typed


@pytest.fixture
def sw_client(anonymous, session):
    return signed_in(anonymous, session, make_user(session, "sam"))


# --- the referrer told --------------------------------------------------------------------------

NOT_TOLD = {"referrer_informed_on": None, "referrer_informed_how": None}


def test_a_referrer_told_a_year_before_the_discussion_is_refused(sw_client, session):
    record_id = _finalised(sw_client, grounds=NOT_TOLD)
    typed = f"{DAY - timedelta(days=365):%d/%m/%Y}"
    answer = post_follow_up_form(sw_client, record_id, "referrer-form", told_on=typed, how="Phone")
    _refused(answer, "#referrer-told_on-input",
             f"The date the referrer was told cannot be before the discussion on {ON_DAY}", typed)
    record = session.get(StrategyRecord, record_id)
    session.refresh(record)
    assert (record.referrer_feedback_due, record.referrer_told_on) == (True, None)


@pytest.mark.parametrize("told, accepted", [(DAY, True), (DAY - timedelta(days=1), False)],
                         ids=["on the discussion day", "the day before"])
def test_the_referrer_told_on_the_discussion_day_is_the_boundary(sw_client, session, told,
                                                                 accepted):
    record_id = _finalised(sw_client, grounds=NOT_TOLD)
    answer = post_follow_up_form(sw_client, record_id, "referrer-form", told_on=told.isoformat(),
                        how="Phone")
    assert answer.status_code == (303 if accepted else 422)
    record = session.get(StrategyRecord, record_id)
    session.refresh(record)
    assert record.referrer_told_on == (told if accepted else None)


# --- an action done, the day team's review ----------------------------------------------------

def _everyone(session, record_id: int) -> list[str]:
    """Every organisation on the record's distribution, ticked as updated."""
    record = session.get(StrategyRecord, record_id)
    return [str(r.organisation_id) for r in record.content.distribution]


def test_the_update_all_agencies_action_done_in_2020_is_refused(sw_client, session):
    record_id = _finalised(sw_client)
    answer = post_follow_up_form(sw_client, record_id, "action-0-form", outcome="done",
                        note="Emailed everyone", done_on="14/7/2020", how="Email",
                        updated=_everyone(session, record_id))
    _refused(answer, "#action-0-done_on-input",
             f"The date it was done cannot be before the discussion on {ON_DAY}", "14/7/2020")
    action = session.exec(select(TrackedAction).where(
        TrackedAction.record_id == record_id, TrackedAction.position == 0)).one()
    assert (action.status, action.done_on) == ("open", None)


def test_an_action_done_on_the_discussion_day_typed_as_people_type_it(sw_client, session):
    record_id = _finalised(sw_client)
    answer = post_follow_up_form(sw_client, record_id, "action-0-form", outcome="done",
                        note="Emailed everyone", done_on=f"{DAY:%-d/%-m/%Y}", how="Email",
                        updated=_everyone(session, record_id))
    assert answer.status_code == 303
    action = session.exec(select(TrackedAction).where(
        TrackedAction.record_id == record_id, TrackedAction.position == 0)).one()
    assert (action.status, action.done_on) == ("done", DAY)


def _edt_record(client) -> int:
    return _finalised(client, header={
        "led_by": "edt", "day_team_review_due": str(add_working_days(DAY, 1))})


def test_an_edt_review_dated_2020_is_refused(anonymous, session):
    client = signed_in(anonymous, session, make_user(session, "eve", "edt_worker", team="EDT"))
    record_id = _edt_record(client)
    answer = post_follow_up_form(client, record_id, "edt-review-form", reviewed_on="2020-03-02",
                        checked="Everything", further_needed="no")
    _refused(answer, "#edt-review-reviewed_on-input",
             f"The date of the review cannot be before the discussion on {ON_DAY}", "2020-03-02")
    record = session.get(StrategyRecord, record_id)
    session.refresh(record)
    assert (record.reviewed_at, record.reviewed_on) == (None, None)
    assert session.exec(select(FollowUpEntry).where(
        FollowUpEntry.record_id == record_id, FollowUpEntry.kind == "edt_review")).all() == []


def test_a_follow_up_date_in_the_future_is_refused(sw_client):
    record_id = _finalised(sw_client, grounds=NOT_TOLD)
    typed = (uk_now().date() + timedelta(days=1)).isoformat()
    answer = post_follow_up_form(sw_client, record_id, "referrer-form", told_on=typed, how="Phone")
    _refused(answer, "#referrer-told_on-input",
             "The date the referrer was told must not be in the future", typed)


# --- two-digit years ----------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["31/12/99", "1/3/26", "0026-03-01"])
def test_a_two_digit_year_in_a_follow_up_form_is_refused(sw_client, typed):
    record_id = _finalised(sw_client, grounds=NOT_TOLD)
    answer = post_follow_up_form(sw_client, record_id, "referrer-form", told_on=typed, how="Phone")
    _refused(answer, "#referrer-told_on-input", YEAR_IN_FULL, typed)


@pytest.mark.parametrize("typed, read", [("2026-03-01", date(2026, 3, 1)),
                                         ("1/3/2026", date(2026, 3, 1)),
                                         ("01.03.2026", date(2026, 3, 1)),
                                         ("1 3 2026", date(2026, 3, 1))])
def test_a_one_box_date_is_read_as_people_type_it(typed, read):
    assert typed_date(typed) == read


@pytest.mark.parametrize("typed, message", [
    ("31/12/99", YEAR_IN_FULL), ("1/3/26", YEAR_IN_FULL), ("0099-12-31", YEAR_IN_FULL),
    ("31/2/2026", "Enter a real date, like 27 3 2026"),
    ("yesterday", "Enter the date as, for example, 27 3 2026 or 27/3/2026, or type today")])
def test_a_one_box_date_that_cannot_be_read_says_how_to_type_it(typed, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        typed_date(typed)


def test_the_api_refuses_a_date_whose_year_was_not_typed_in_full(client):
    body = complete_record()
    body["children"][0]["date_of_birth"] = "0019-03-01"
    answer = client.post("/api/strategies", json=body)
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert error["loc"][-1] == "date_of_birth"
    assert error["msg"].endswith(YEAR_IN_FULL)


# --- the section 47 start date ----------------------------------------------------------------

FURTHER = {"sequence": "further", "previous_reference": "SR-2026-00001"}
S47_AFTER = (f"The section 47 enquiry cannot have started after this discussion on {ON_DAY}: "
             "enter the date of the discussion that started it")


def _further(started: date) -> dict:
    body = complete_record()
    body["header"] |= FURTHER | {"s47_started_on": str(started)}
    return body


def test_an_s47_start_after_the_further_discussion_is_refused_by_the_api(client):
    created = client.post("/api/strategies", json=_further(DAY + timedelta(days=3))).json()
    answer = client.post(f"/api/strategies/{created['id']}/finalise",
                         json={"revision": created["revision"]})
    assert answer.status_code == 422
    failing = {r["id"]: r["failures"] for r in answer.json()["detail"]}
    assert failing == {"dates.s47-start": [{"message": S47_AFTER,
                                            "field": "header.s47_started_on"}]}


def test_an_s47_start_after_the_further_discussion_is_shown_on_the_pages(client):
    created = client.post("/api/strategies", json=_further(DAY + timedelta(days=3))).json()
    record_page = soup(client.get(f"/strategies/{created['id']}"))
    still_needed = [a.get_text(strip=True) for a in record_page.select("#still-needed a")]
    assert still_needed == [S47_AFTER]
    link = record_page.select_one("#still-needed a")["href"]
    assert link == f"/strategies/{created['id']}/sections/header#header-s47_started_on"


@pytest.mark.parametrize("started, accepted", [(DAY, True), (DAY + timedelta(days=1), False)],
                         ids=["on the discussion day", "the day after"])
def test_an_s47_start_on_the_discussion_day_is_the_boundary(client, started, accepted):
    created = client.post("/api/strategies", json=_further(started)).json()
    answer = client.post(f"/api/strategies/{created['id']}/finalise",
                         json={"revision": created["revision"]})
    assert answer.status_code == (200 if accepted else 422), answer.text


def test_an_s47_start_after_the_discussion_never_moves_the_conference_later():
    settings = get_settings()
    later = record_with(header=FURTHER | {"s47_started_on": str(DAY + timedelta(days=10))})
    earlier = record_with(header=FURTHER | {"s47_started_on": str(DAY - timedelta(days=2))})
    assert conference_due(later, settings) == add_working_days(DAY, settings.icpc_working_days)
    assert conference_due(earlier, settings) == add_working_days(
        DAY - timedelta(days=2), settings.icpc_working_days)


# --- the record's own dates -------------------------------------------------------------------

def test_a_referrer_told_before_the_discussion_in_the_record_is_refused_by_the_api(client):
    body = complete_record()
    body["grounds"]["referrer_informed_on"] = str(DAY - timedelta(days=35))
    created = client.post("/api/strategies", json=body).json()
    answer = client.post(f"/api/strategies/{created['id']}/finalise",
                         json={"revision": created["revision"]})
    assert answer.status_code == 422
    failing = {r["id"]: r["failures"] for r in answer.json()["detail"]}
    assert failing == {"dates.referrer-told": [{
        "message": f"The referrer cannot have been told the outcome before the discussion on "
                   f"{ON_DAY}",
        "field": "grounds.referrer_informed_on"}]}


@pytest.mark.parametrize("days_before, accepted", [(0, True), (1, False)],
                         ids=["on the concern's day", "the day before"])
def test_a_contribution_dated_before_the_concern_is_refused(client, days_before, accepted):
    body = complete_record()
    concern = discussion_time() - timedelta(hours=5)
    body["participants"][2]["contributed_at"] = (
        concern.replace(hour=0, minute=1) - timedelta(days=days_before)).isoformat()
    created = client.post("/api/strategies", json=body).json()
    answer = client.post(f"/api/strategies/{created['id']}/finalise",
                         json={"revision": created["revision"]})
    assert answer.status_code == (200 if accepted else 422), answer.text
    if not accepted:
        failing = {r["id"]: r["failures"] for r in answer.json()["detail"]}
        assert failing == {"dates.contributions": [{
            "message": f"Sam Lee's contribution cannot be before the concern arose on "
                       f"{concern:%-d %B %Y}",
            "field": "participants.2.contributed_at"}]}
