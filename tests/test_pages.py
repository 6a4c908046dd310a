"""HTTP journeys through the HTML pages: the task list, section forms, errors, stale saves,
finalising, the child's experience, and bad addresses or garbage posts.

Every HTML answer is read with a real parser (BeautifulSoup); nothing here looks for
substrings in raw HTML. Rows (add and remove, with and without htmx) are in
test_pages_rows.py.
"""

import re
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup

from app.domain.schema import uk_now
from tests.builders import api_record, complete_record, create, discussion_time
from tests.html import (
    assert_not_found,
    assert_shows,
    date_fields,
    error_summary,
    form_data,
    is_full_page,
    post_section,
    replaced,
    revision_in,
    section_page,
    soup,
    start,
)

SECTION_SLUGS = ["header", "children", "grounds", "injuries", "participants", "agency-positions",
                 "experience", "analysis", "decision", "actions", "next-steps", "child-wording",
                 "distribution"]
STATUSES = {"Not started", "In progress", "Complete", "There is a problem", "Not needed"}


# --- helpers -----------------------------------------------------------------------------


def _status(call, *args, **kwargs) -> int:
    """The answer's status; 500 when the app raised instead of answering (the test client
    re-raises what reached the app's last-resort handler, which answers 500)."""
    try:
        return call(*args, **kwargs).status_code
    except Exception:  # noqa: BLE001
        return 500


def _answer(call):
    """The answer, or a clear failure when the app raised (a real browser would get a 500)."""
    try:
        return call()
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"the app raised {error!r}: people would see a 500 page", pytrace=False)


def _statuses(client, record_id: int) -> dict[str, str]:
    answer = client.get(f"/strategies/{record_id}")
    assert answer.status_code == 200
    page = soup(answer)
    return {item["id"]: item.select_one(".govuk-task-list__status").get_text(" ", strip=True)
            for item in page.select("#task-list > li")}


def _error_fields(page: BeautifulSoup) -> dict[str, str]:
    """The error summary as {field key: message}, each link being `#key`."""
    summary = error_summary(page)
    assert all(href.startswith("#") for href in summary), summary
    return {href[1:]: message for href, message in summary.items()}


def _assert_errors_beside_fields(page: BeautifulSoup, errors: dict[str, str]):
    for key, message in errors.items():
        target = page.find(id=key)
        assert target is not None, f"the summary links to #{key}, which is not on the page"
        assert target.name in ("input", "select", "textarea", "div"), (key, target.name)
        beside = page.find(id=f"{key}-error")
        assert beside is not None and "govuk-error-message" in beside["class"], key
        assert beside.get_text(" ", strip=True).removeprefix("Error:").strip() == message
        group = beside.find_parent(class_="govuk-form-group")
        assert "govuk-form-group--error" in group["class"], key
        assert group.find(id=key) is not None, f"#{key}-error is not beside #{key}"


def _header_pairs(page: BeautifulSoup, **changes) -> list:
    return replaced(form_data(page), changes)


# --- 1. starting a record and its task list ---------------------------------------------


def test_start_a_record_from_the_list_page(client):
    listing = client.get("/strategies")
    assert listing.status_code == 200
    page = soup(listing)
    start = page.select_one("main form[action='/strategies']")
    assert start is not None and start.get("method", "").lower() == "post"
    assert start.select_one("button[type=submit]") is not None

    answer = client.post(start["action"], follow_redirects=False)
    assert answer.status_code == 303
    record_id = int(answer.headers["location"].rsplit("/", 1)[1])
    assert answer.headers["location"] == f"/strategies/{record_id}"

    record = client.get(answer.headers["location"])
    assert record.status_code == 200
    page = soup(record)
    items = page.select("#task-list > li")
    assert [item["id"] for item in items] == SECTION_SLUGS
    for item in items:
        link = item.select_one("a.govuk-task-list__link")
        assert link["href"] == f"/strategies/{record_id}/sections/{item['id']}"
        assert client.get(link["href"]).status_code == 200
        status = item.select_one(".govuk-task-list__status")
        assert status["id"] == f"{item['id']}-status"
        assert status.get_text(strip=True) in STATUSES

    statuses = _statuses(client, record_id)
    # A new record holds only its update-all-agencies action, which still needs its date.
    # The update-all-agencies action every record starts with does not make Actions "in progress".
    assert statuses == {slug: "Not started" for slug in SECTION_SLUGS} | {
        "injuries": "Not needed", "child-wording": "Not needed"}

    # The list page now links to the new record.
    links = [a["href"] for a in soup(client.get("/strategies")).select("main table a")]
    assert f"/strategies/{record_id}" in links


def test_task_list_statuses_follow_the_rules(client):
    assert set(_statuses(client, create(client, complete_record())).values()) == {
        "Complete", "Not needed"}  # the body map: no injuries

    day = discussion_time().date()
    body = complete_record()
    body["next_steps"]["icpc_date"] = str(day + timedelta(days=60))  # beyond 15 working days
    body["header"] |= {"led_by": "edt", "day_team_review_due": str(day + timedelta(days=30))}
    del body["children"][0]["communication"]  # missing, not wrong
    body["analysis"] = {}  # nothing typed at all
    statuses = _statuses(client, create(client, body))
    assert statuses["next-steps"] == "There is a problem"
    assert statuses["header"] == "There is a problem"
    assert statuses["children"] == "In progress"
    assert statuses["analysis"] == "Not started"
    assert statuses["grounds"] == "Complete"
    assert statuses["experience"] == "Complete"

    # Only tags that need attention are coloured; the words are the status.
    page = soup(client.get("/strategies/" + str(create(client, body))))
    tag = page.select_one("#next-steps-status strong.govuk-tag")
    assert tag.get_text(strip=True) == "There is a problem"
    assert "govuk-tag--red" in tag["class"]


# --- 2. the header section ----------------------------------------------------------------


def test_header_saved_by_post_changes_status_and_is_shown_again(client):
    record_id = start(client)
    page = section_page(client, record_id, "header")
    assert page.select_one("main form")["action"] == f"/strategies/{record_id}/sections/header"
    at = discussion_time()

    pairs = _header_pairs(page, **date_fields("header-discussion_at", at, "10:00"),
                          **{"header-chair": "Priya Shah, Team Manager", "header-format": "video"})
    answer = post_section(client, record_id, "header", pairs)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/strategies/{record_id}#header"
    assert _statuses(client, record_id)["header"] == "In progress"
    stored = api_record(client, record_id)["header"]
    assert stored["discussion_at"] == at.replace(hour=10, minute=0).isoformat()
    assert stored["chair"] == "Priya Shah, Team Manager" and stored["format"] == "video"

    page = section_page(client, record_id, "header")
    assert_shows(page, {"header-discussion_at-day": str(at.day),
                         "header-discussion_at-month": str(at.month),
                         "header-discussion_at-year": str(at.year),
                         "header-discussion_at-time": "10:00",
                         "header-chair": "Priya Shah, Team Manager",
                         "header-format": "video"})
    assert page.select_one("#header-chair")["value"] == "Priya Shah, Team Manager"
    assert page.select_one("input[name=header-format][value=video]").has_attr("checked")
    assert not page.select_one("input[name=header-format][value=phone]").has_attr("checked")

    # Fill the rest: the time may be typed as 5.00; it is shown back as 05:00.
    pairs = _header_pairs(page, **date_fields("header-concern_at", at, "5.00"), **{
        "header-sequence": "first", "header-minute_taker": "Tom Reed",
        "header-csc_contact_name": "Jo Bell", "header-csc_contact_phone": "01632 960 555",
        "header-led_by": "day_team", "header-requested_by": "school",
        "header-request_reason": "Bruise seen at school\nby the class teacher"})
    assert post_section(client, record_id, "header", pairs).status_code == 303
    assert _statuses(client, record_id)["header"] == "Complete"
    assert api_record(client, record_id)["header"]["concern_at"] == at.replace(hour=5).isoformat()

    page = section_page(client, record_id, "header")
    assert page.select_one("#header-concern_at-time")["value"] == "05:00"
    assert page.select_one("#header-concern_at")["value"] == str(at.day)
    assert page.select_one("#header-requested_by option[selected]")["value"] == "school"
    assert page.select_one("#header-request_reason").get_text() == (
        "Bruise seen at school\nby the class teacher")
    assert page.select_one("input[name=header-led_by][value=day_team]").has_attr("checked")
    assert page.select_one("#header-chair")["value"] == "Priya Shah, Team Manager"
    # Nothing left that the rules still need from this page.
    assert page.select_one(".govuk-inset-text") is None


def test_a_section_page_lists_what_is_still_needed(client):
    record_id = start(client)
    page = section_page(client, record_id, "header")
    needed = [li.get_text(strip=True) for li in page.select(".govuk-inset-text li")]
    assert "Enter the chair's name" in needed
    assert "Enter the date and time of the discussion" in needed


def test_a_short_field_takes_exactly_200_characters(client):
    record_id = start(client)
    pairs = _header_pairs(section_page(client, record_id, "header"), **{"header-chair": "x" * 200})
    assert post_section(client, record_id, "header", pairs).status_code == 303
    assert api_record(client, record_id)["header"]["chair"] == "x" * 200


# --- 5. validation errors keep what was typed -----------------------------------------------


def test_header_errors_keep_every_typed_value_and_save_nothing(client):
    record_id = start(client)
    before = api_record(client, record_id)
    page = section_page(client, record_id, "header")
    future = uk_now() + timedelta(days=3)
    typed = {
        **date_fields("header-discussion_at", future, "10:00"),
        "header-concern_at-day": "31", "header-concern_at-month": "2",
        "header-concern_at-year": "2025", "header-concern_at-time": "09:15",
        "header-chair": "x" * 201,
        "header-minute_taker": "Tom Reed",  # valid, but not saved while others are wrong
        "header-format": "phone",
        "header-requested_by": "police",
        "header-request_reason": "y" * 10_001,
        "header-day_team_review_due-day": "1", "header-day_team_review_due-month": "13",
        "header-day_team_review_due-year": "2026",
    }
    answer = post_section(client, record_id, "header", _header_pairs(page, **typed))
    assert answer.status_code == 422
    page = soup(answer)
    assert is_full_page(page)
    assert page.title.get_text().startswith("Error:")
    assert page.select_one(".govuk-error-summary .govuk-error-summary__title") is not None
    errors = _error_fields(page)
    assert set(errors) == {"header-discussion_at", "header-concern_at", "header-chair",
                           "header-request_reason", "header-day_team_review_due"}
    assert errors["header-discussion_at"].endswith("must not be in the future")
    assert "real date" in errors["header-concern_at"]
    assert "200 characters" in errors["header-chair"]
    _assert_errors_beside_fields(page, errors)
    assert_shows(page, typed)
    assert page.select_one("#header-request_reason").get_text() == "y" * 10_001
    # The form still posts back to the same place, with the same revision.
    assert revision_in(page) == str(before["revision"])
    assert api_record(client, record_id) == before


def test_time_without_a_date_and_impossible_times_are_errors(client):
    record_id = start(client)
    page = section_page(client, record_id, "header")
    typed = {"header-concern_at-time": "10:00",
             **date_fields("header-discussion_at", discussion_time(), "25:61")}
    answer = post_section(client, record_id, "header", _header_pairs(page, **typed))
    assert answer.status_code == 422
    page = soup(answer)
    errors = _error_fields(page)
    assert set(errors) == {"header-concern_at", "header-discussion_at"}
    _assert_errors_beside_fields(page, errors)
    assert_shows(page, typed)


def test_participant_contact_errors_keep_all_rows(client):
    record_id = start(client)
    before = api_record(client, record_id)
    at = discussion_time()
    typed = {
        "participants-0-name": "DC Mark Evans", "participants-0-agency": "police",
        "participants-0-role": "Detective Constable", "participants-0-mode": "video",
        "participants-0-phone": "01632 960 202",
        "participants-1-name": "Sam Lee", "participants-1-agency": "health_visiting",
        "participants-1-role": "Health Visitor", "participants-1-mode": "phone_outside",
        "participants-1-email": "bad@", "participants-1-phone": "abc",
        **date_fields("participants-1-contributed_at", at, "09:30"),
    }
    page = section_page(client, record_id, "participants")
    answer = post_section(client, record_id, "participants", replaced(form_data(page), typed))
    assert answer.status_code == 422
    page = soup(answer)
    errors = _error_fields(page)
    assert set(errors) == {"participants-1-email", "participants-1-phone"}
    assert "name@example.com" in errors["participants-1-email"]
    _assert_errors_beside_fields(page, errors)
    assert_shows(page, typed)
    assert page.select_one("#participants-1-email")["value"] == "bad@"
    assert page.select_one("#participants-1-phone")["value"] == "abc"
    assert api_record(client, record_id) == before

    # Correct the mistakes on the page as shown, and save.
    fixed = replaced(form_data(page), {"participants-1-email": "sam.lee@example.nhs.uk",
                                   "participants-1-phone": ""})
    assert post_section(client, record_id, "participants", fixed).status_code == 303
    saved = api_record(client, record_id)["participants"]
    assert [(p["name"], p["email"], p["phone"]) for p in saved] == [
        ("DC Mark Evans", None, "01632 960 202"), ("Sam Lee", "sam.lee@example.nhs.uk", None)]
    assert saved[1]["contributed_at"] == at.replace(hour=9, minute=30).isoformat()


def test_child_errors_keep_every_typed_value(client):
    record_id = start(client)
    before = api_record(client, record_id)
    page = section_page(client, record_id, "children")
    edd = uk_now().date() + timedelta(days=90)
    typed = {
        "children-0-key": "", "children-0-name": "Leo Carter",
        "children-0-date_of_birth-day": "31", "children-0-date_of_birth-month": "2",
        "children-0-date_of_birth-year": "2019", "children-0-communication": "verbal",
        "children-0-school": "s" * 201,
        "children-1-key": "", "children-1-name": "Unborn baby of Amy Carter",
        "children-1-unborn": "true", **date_fields("children-1-expected_delivery_date", edd),
        "children-1-gestation_weeks": "50", "children-1-midwife": "Jan Moss",
    }
    answer = post_section(client, record_id, "children", replaced(form_data(page), typed))
    assert answer.status_code == 422
    page = soup(answer)
    errors = _error_fields(page)
    assert set(errors) == {"children-0-date_of_birth", "children-0-school",
                           "children-1-gestation_weeks"}
    assert "between 0 and" in errors["children-1-gestation_weeks"]
    _assert_errors_beside_fields(page, errors)
    assert_shows(page, {k: v for k, v in typed.items() if not k.endswith("-key")})
    assert page.select_one("#children-1-unborn").has_attr("checked")
    assert api_record(client, record_id) == before


def test_experience_errors_keep_every_typed_value(client):
    record_id = create(client, complete_record())
    before = api_record(client, record_id)
    page = section_page(client, record_id, "experience")
    future = uk_now() + timedelta(days=2)
    typed = {"children-0-voice": "Leo said he is scared of the dark.",
             **date_fields("children-0-seen_at", future, "11:00"), "children-0-seen_by": "z" * 201}
    answer = post_section(client, record_id, "experience", replaced(form_data(page), typed))
    assert answer.status_code == 422
    page = soup(answer)
    errors = _error_fields(page)
    assert set(errors) == {"children-0-seen_at", "children-0-seen_by"}
    _assert_errors_beside_fields(page, errors)
    assert_shows(page, typed)
    assert api_record(client, record_id) == before


def test_a_choice_outside_the_list_is_an_error_beside_its_field(client):
    record_id = start(client)
    before = api_record(client, record_id)
    typed = {"participants-0-name": "Sam", "participants-0-mode": "telepathy"}
    answer = post_section(client, record_id, "participants",
                          [*typed.items(), ("revision", str(before["revision"]))])
    assert answer.status_code == 422
    page = soup(answer)
    errors = _error_fields(page)
    assert set(errors) == {"participants-0-mode"}
    _assert_errors_beside_fields(page, errors)
    assert_shows(page, {"participants-0-name": "Sam"})
    assert api_record(client, record_id) == before


def test_gestation_is_typed_as_text_and_must_be_whole_weeks(client):
    record_id = start(client)
    baby = [("children-0-key", "baby"), ("children-0-name", "Baby"), ("children-0-unborn", "true"),
            ("revision", str(api_record(client, record_id)["revision"]))]
    answer = post_section(client, record_id, "children", baby + [("children-0-gestation_weeks", "24.5")])
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {
        "#children-0-gestation_weeks": "Gestation (weeks) must be a whole number, like 24"}
    assert page.select_one("#children-0-gestation_weeks")["value"] == "24.5"
    assert api_record(client, record_id)["children"] == []

    saved = post_section(client, record_id, "children", baby + [("children-0-gestation_weeks", " 24 ")])
    assert saved.status_code == 303
    child = api_record(client, record_id)["children"][0]
    assert child["gestation_weeks"] == 24 and child["unborn"] is True


def test_an_unticked_unborn_box_saves_false(client):
    record_id = start(client)
    pairs = [("children-0-key", "kid"), ("children-0-name", "Kid"),
             ("revision", str(api_record(client, record_id)["revision"]))]
    assert post_section(client, record_id, "children", pairs).status_code == 303
    assert api_record(client, record_id)["children"][0]["unborn"] is False


# --- 6. a save from a stale page --------------------------------------------------------------


def test_a_save_from_a_stale_page_is_refused_and_keeps_what_was_typed(client):
    record_id = start(client)
    mine = section_page(client, record_id, "header")
    old_revision = revision_in(mine)

    first = _header_pairs(mine, **{"header-chair": "First Chair", "header-minute_taker": "First"})
    assert post_section(client, record_id, "header", first).status_code == 303
    saved = api_record(client, record_id)
    assert str(saved["revision"]) != old_revision

    typed = {"header-chair": "Second Chair", "header-format": "mixed",
             **date_fields("header-discussion_at", discussion_time())}
    stale = _header_pairs(mine, **typed)
    assert ("revision", old_revision) in stale
    answer = post_section(client, record_id, "header", stale)
    assert answer.status_code == 409
    page = soup(answer)
    assert is_full_page(page)
    banner = page.select_one(".govuk-notification-banner")
    assert banner is not None
    assert "Someone else saved this record" in banner.get_text(" ", strip=True)
    assert_shows(page, typed)
    assert api_record(client, record_id) == saved  # the first save stands

    # Saving the same page again without choosing still overwrites nothing.
    again = post_section(client, record_id, "header", form_data(page))
    assert again.status_code == 409
    assert api_record(client, record_id) == saved
    # Only the chair was changed by both; the rest each side changed alone is not asked.
    assert set(error_summary(soup(again))) == {"#keep-header-chair"}

    # Keeping all of their own version is an explicit choice: it saves, and keeps the
    # minute-taker the other person gave (a field only they changed).
    choice = post_section(client, record_id, "header", form_data(page), action="keep-mine")
    assert choice.status_code == 303
    header = api_record(client, record_id)["header"]
    assert header["chair"] == "Second Chair" and header["format"] == "mixed"
    assert header["minute_taker"] == "First"


def test_a_save_after_an_api_change_is_refused(client):
    record_id = create(client, complete_record())
    page = section_page(client, record_id, "analysis")
    current = api_record(client, record_id)
    body = {**complete_record(), "analysis": {"risks": "Changed through the API"},
            "revision": current["revision"]}
    assert client.put(f"/api/strategies/{record_id}", json=body).status_code == 200

    answer = post_section(client, record_id, "analysis",
                   replaced(form_data(page), {"analysis-risks": "Typed on the page"}))
    assert answer.status_code == 409
    page = soup(answer)
    assert page.select_one("#analysis-risks").get_text() == "Typed on the page"
    assert api_record(client, record_id)["analysis"]["risks"] == "Changed through the API"


def test_a_stale_rows_page_keeps_every_row(client):
    record_id = start(client)
    page = section_page(client, record_id, "participants")
    typed = {"participants-0-name": "Ann", "participants-1-name": "Bob",
             "participants-1-agency": "police"}
    # Someone else saves in between.
    other = replaced(form_data(page), {"participants-0-name": "Zed"})
    assert post_section(client, record_id, "participants", other).status_code == 303
    answer = post_section(client, record_id, "participants", replaced(form_data(page), typed))
    assert answer.status_code == 409
    assert_shows(soup(answer), typed)
    names = [p["name"] for p in api_record(client, record_id)["participants"]]
    assert names == ["Zed"]


def test_finalising_from_a_stale_page_is_refused(client):
    record_id = create(client, complete_record())
    old = revision_in(soup(client.get(f"/strategies/{record_id}")), "form[action$='/finalise']")
    page = section_page(client, record_id, "analysis")
    assert post_section(client, record_id, "analysis",
                 replaced(form_data(page), {"analysis-history": "New"})).status_code == 303
    answer = client.post(f"/strategies/{record_id}/finalise", data={"revision": old},
                         follow_redirects=False)
    assert answer.status_code == 409
    assert soup(answer).select_one(".govuk-notification-banner") is not None
    assert api_record(client, record_id)["status"] == "draft"


# --- 7. finalising ------------------------------------------------------------------------------


def _finalise(client, record_id: int):
    page = soup(client.get(f"/strategies/{record_id}"))
    form = page.select_one(f"form[action='/strategies/{record_id}/finalise']")
    assert form is not None
    return client.post(form["action"], data={"revision": revision_in(form, "form"),
                                              "confirmed": "yes"}, follow_redirects=False)


def _blocking_failures(client, record_id: int) -> list[dict]:
    results = client.get(f"/api/strategies/{record_id}/completeness").json()
    return [f for r in results if r["severity"] == "blocking" and not r["passed"]
            for f in r["failures"]]


def _assert_links_reach_their_fields(client, record_id: int, links: dict[str, str]):
    pages: dict[str, BeautifulSoup] = {}
    pattern = re.compile(rf"/strategies/{record_id}/sections/([a-z-]+)#([A-Za-z0-9_-]+)")
    for href in links:
        match = pattern.fullmatch(href)
        assert match, href
        slug, key = match.groups()
        assert slug in SECTION_SLUGS, href
        if slug not in pages:
            pages[slug] = section_page(client, record_id, slug)
        assert pages[slug].find(id=key) is not None, f"{href}: no element with id {key}"


def test_finalise_is_refused_with_links_to_what_is_missing(client):
    record_id = start(client)
    before = api_record(client, record_id)
    answer = _finalise(client, record_id)
    assert answer.status_code == 422
    page = soup(answer)
    assert is_full_page(page)
    links = error_summary(page)
    failures = _blocking_failures(client, record_id)
    # Every blocking failure is listed once (several can point at the same field).
    listed = [a.get_text(strip=True) for a in page.select(".govuk-error-summary a")]
    assert sorted(listed) == sorted(f["message"] for f in failures)
    assert f"/strategies/{record_id}/sections/header#header-chair" in links
    assert f"/strategies/{record_id}/sections/decision#decision-outcome" in links
    assert f"/strategies/{record_id}/sections/children#children" in links
    assert (f"/strategies/{record_id}/sections/actions#actions-0-due_date") in links
    _assert_links_reach_their_fields(client, record_id, links)
    assert api_record(client, record_id) == before


def test_finalise_links_reach_row_and_experience_fields(client):
    body = complete_record()
    body["children"] = [
        {"key": "baby", "name": "Mia Carter", "communication": "pre_verbal"},
        {"key": "unborn", "name": "Unborn baby of Amy", "unborn": True},
    ]
    body["participants"][1].pop("phone")
    body["participants"][2].pop("contributed_at")
    body["agency_positions"][0].pop("concerns")
    body["actions"].append({"description": "Visit"})
    record_id = create(client, body)
    answer = _finalise(client, record_id)
    assert answer.status_code == 422
    links = error_summary(soup(answer))
    expected = {
        "children#children-0-date_of_birth", "children#children-1-expected_delivery_date",
        "children#children-1-gestation_weeks",
        "experience#children-0-seen", "experience#children-0-observed_care",
        "experience#children-1-observations", "participants#participants-1-phone",
        "participants#participants-2-contributed_at", "agency-positions#agency_positions-0-concerns",
        "agency-positions#agency_positions", "actions#actions-2-owner", "actions#actions-2-due_date",
    }
    found = {href.split("/sections/", 1)[1] for href in links}
    assert expected <= found, expected - found
    _assert_links_reach_their_fields(client, record_id, links)


def test_finalise_accepted_then_the_record_is_read_only(client):
    record_id = start(client)
    assert _finalise(client, record_id).status_code == 422
    current = api_record(client, record_id)
    replaced = client.put(f"/api/strategies/{record_id}",
                          json={**complete_record(), "revision": current["revision"]})
    assert replaced.status_code == 200

    answer = _finalise(client, record_id)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/strategies/{record_id}?finalised=yes"
    final = api_record(client, record_id)
    assert final["status"] == "finalised" and final["finalised_at"]

    page = soup(client.get(f"/strategies/{record_id}"))
    assert page.select_one("#task-list") is None
    assert page.select("main a[href*='/sections/']") == []
    assert page.select_one("form[action$='/finalise']") is None
    assert page.select_one(".app-status").get_text(strip=True) == "Finalised"

    for slug in SECTION_SLUGS:
        shown = client.get(f"/strategies/{record_id}/sections/{slug}", follow_redirects=False)
        assert shown.status_code == 303, slug
        assert shown.headers["location"] == f"/strategies/{record_id}"

    attempts = [
        ("analysis", [("analysis-risks", "changed after finalising")], "save"),
        ("header", [("header-chair", "Someone else")], "save"),
        ("participants", [("participants-0-name", "Extra")], "add"),
        ("actions", [("actions-0-kind", "update_agencies")], "remove-0"),
    ]
    for slug, pairs, action in attempts:
        pairs = pairs + [("revision", str(final["revision"]))]
        for htmx in (False, True):
            changed = post_section(client, record_id, slug, pairs, action=action, htmx=htmx)
            assert changed.status_code == 303, (slug, action, htmx)
            assert changed.headers["location"] == f"/strategies/{record_id}"
    again = client.post(f"/strategies/{record_id}/finalise",
                        data={"revision": str(final["revision"])}, follow_redirects=False)
    assert again.status_code == 303
    assert api_record(client, record_id) == final


# --- 8. the child's experience and the children rows --------------------------------------------


def _two_children() -> dict:
    body = complete_record()
    body["children"][0] |= {"school": "Riverside Primary", "household": "Mum, Dad, Leo",
                            "not_seen_reason": None, "observations": "Quiet, watchful"}
    body["children"].append({"key": "second", "name": "Mia Carter", "date_of_birth": "2025-03-01",
                             "communication": "pre_verbal", "gp": "Dr Shah",
                             "observations": "Settled and fed", "seen": "no",
                             "not_seen_reason": "Asleep at the visit"})
    return body


CHILD_ONLY = ("name", "date_of_birth", "communication", "school", "household", "gp", "unborn")
EXPERIENCE_ONLY = ("seen", "seen_at", "seen_by", "not_seen_reason", "voice", "observations")


def _pick(child: dict, names) -> dict:
    return {name: child.get(name) for name in names}


def test_the_experience_page_changes_only_experience(client):
    record_id = create(client, _two_children())
    before = api_record(client, record_id)["children"]
    page = section_page(client, record_id, "experience")
    assert [legend.get_text(strip=True) for legend in page.select("main form legend.govuk-fieldset__legend--m")] == [
        "Leo Carter", "Mia Carter"]
    # It shows no child fields, so saving it cannot blank them.
    assert page.select_one("[name=children-0-name]") is None
    assert page.select_one("[name=children-0-date_of_birth-day]") is None
    # Mia cannot speak: the page asks for what was observed.
    assert page.select_one("#children-1 .govuk-warning-text") is not None

    changes = {"children-0-voice": "Leo said he feels safe at school.",
               "children-1-observations": "Smiled at her mother; clean and well dressed",
               # Forged: child fields posted to the experience page are ignored.
               "children-0-name": "Hacked Name", "children-1-gp": "Dr Forged"}
    answer = post_section(client, record_id, "experience", replaced(form_data(page), changes))
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/strategies/{record_id}#experience"
    after = api_record(client, record_id)["children"]
    assert [c["key"] for c in after] == ["child1", "second"]
    for old, new in zip(before, after, strict=True):
        assert _pick(new, CHILD_ONLY) == _pick(old, CHILD_ONLY)
    assert after[0]["voice"] == "Leo said he feels safe at school."
    assert after[0]["seen_by"] == before[0]["seen_by"] and after[0]["seen_at"] == before[0]["seen_at"]
    assert after[1]["observations"] == "Smiled at her mother; clean and well dressed"
    assert after[1]["not_seen_reason"] == "Asleep at the visit"


def test_the_children_page_keeps_experience(client):
    record_id = create(client, _two_children())
    before = api_record(client, record_id)["children"]
    page = section_page(client, record_id, "children")
    assert page.select_one("[name=children-0-voice]") is None
    changes = {"children-0-name": "Leo James Carter", "children-1-gp": "Dr Patel",
               # Forged: experience posted to the children page is ignored.
               "children-0-voice": "Forged voice", "children-1-observations": "Forged"}
    answer = post_section(client, record_id, "children", replaced(form_data(page), changes))
    assert answer.status_code == 303
    after = api_record(client, record_id)["children"]
    assert [c["name"] for c in after] == ["Leo James Carter", "Mia Carter"]
    assert after[1]["gp"] == "Dr Patel"
    for old, new in zip(before, after, strict=True):
        assert _pick(new, EXPERIENCE_ONLY) == _pick(old, EXPERIENCE_ONLY)
        assert new["key"] == old["key"]


def test_removing_a_child_keeps_the_next_childs_experience_with_them(client):
    record_id = create(client, _two_children())
    mia_before = api_record(client, record_id)["children"][1]
    page = section_page(client, record_id, "children")
    answer = post_section(client, record_id, "children", form_data(page), action="remove-0")
    assert answer.status_code == 200
    page = soup(answer)
    assert page.select_one("#children-0-name")["value"] == "Mia Carter"
    assert page.select_one("input[name=children-0-key]")["value"] == "second"
    assert page.select_one("#children-1-name") is None
    assert post_section(client, record_id, "children", form_data(page)).status_code == 303

    children = api_record(client, record_id)["children"]
    assert len(children) == 1
    assert children[0] == mia_before

    page = section_page(client, record_id, "experience")
    assert page.select_one("main form legend.govuk-fieldset__legend--m").get_text(strip=True) == "Mia Carter"
    assert page.select_one("#children-0-observations").get_text() == "Settled and fed"
    assert page.select_one("#children-0-not_seen_reason").get_text() == "Asleep at the visit"


def test_a_child_added_on_the_children_page_gets_its_own_experience(client):
    record_id = create(client, complete_record())
    page = soup(post_section(client, record_id, "children", form_data(section_page(client, record_id, "children")),
                       action="add"))
    new_key = page.select_one("input[name=children-1-key]")["value"]
    assert new_key and new_key != "child1"
    pairs = replaced(form_data(page), {"children-1-name": "Ava Carter", "children-1-communication": "verbal",
                                   **date_fields("children-1-date_of_birth", date(2015, 6, 1))})
    assert post_section(client, record_id, "children", pairs).status_code == 303
    page = section_page(client, record_id, "experience")
    pairs = replaced(form_data(page), {"children-1-voice": "Ava said she is happy at home."})
    assert post_section(client, record_id, "experience", pairs).status_code == 303
    children = api_record(client, record_id)["children"]
    assert [(c["key"], c["name"], c["voice"]) for c in children] == [
        ("child1", "Leo Carter", "Leo said his dad grabbed him."),
        (new_key, "Ava Carter", "Ava said she is happy at home.")]


def test_the_experience_page_cannot_drop_a_child(client):
    record_id = create(client, _two_children())
    before = api_record(client, record_id)["children"]
    # Only the second child is posted, as a forged or truncated form would.
    pairs = [("children-0-key", "second"), ("children-0-voice", "Babbled happily"),
             ("revision", str(api_record(client, record_id)["revision"]))]
    assert post_section(client, record_id, "experience", pairs).status_code == 303
    after = api_record(client, record_id)["children"]
    # The children keep their order; the one left out is untouched.
    assert [c["key"] for c in after] == ["child1", "second"]
    assert after[0] == before[0]
    assert after[1]["voice"] == "Babbled happily"
    assert after[1]["name"] == "Mia Carter"


def test_the_experience_page_cannot_add_a_child(client):
    record_id = create(client, complete_record())
    page = section_page(client, record_id, "experience")
    forged = form_data(page) + [("children-1-key", "forged"), ("children-1-voice", "Who am I?")]
    answer = post_section(client, record_id, "experience", forged)
    assert answer.status_code == 303  # saved, with the forged row ignored
    children = api_record(client, record_id)["children"]
    assert [c["key"] for c in children] == ["child1"], children


# --- 9. bad addresses and garbage posts -----------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/strategies/999999", "/strategies/abc", "/strategies/1/sections/nope",
    "/strategies/-1", "/strategies/1.5", "/strategies/999999/sections/header",
    "/strategies/abc/sections/header", "/strategies/999999/pdf",
    "/strategies/99999999999999999999", "/strategies/99999999999999999999/sections/header",
])
def test_bad_addresses_answer_a_404_page(client, path):
    assert_not_found(_answer(lambda: client.get(path)))


def test_bad_section_of_a_real_record_is_404(client):
    record_id = start(client)
    for slug in ("nope", "HEADER", "header.html", "experience-", "__init__"):
        assert_not_found(client.get(f"/strategies/{record_id}/sections/{slug}"))
        assert_not_found(client.post(f"/strategies/{record_id}/sections/{slug}",
                                      data={"row-action": "save"}))


@pytest.mark.parametrize("path", [
    "/strategies/999999/sections/header", "/strategies/abc/sections/header",
    "/strategies/999999/finalise", "/strategies/abc/finalise",
    "/strategies/99999999999999999999/finalise",
])
def test_posts_to_bad_addresses_answer_a_404_page(client, path):
    assert_not_found(_answer(lambda: client.post(path, data={"row-action": "save",
                                                              "revision": "1"})))


# Garbage posted to the header page (no rows: every button saves), and the one right answer:
# 422 with the form shown again, 303 when the garbage is a forged key the parser drops, 400
# for a NUL (refused at the edge, before any page sees it).
GARBAGE = [
    ([("nonsense", "1"), ("nonsense-0-x", "1"), ("header-nope", "x")], 422),
    ([("header-chair", "one"), ("header-chair", "two")], 422),
    ([("header-discussion_at-day", "1"), ("header-discussion_at-day", "2")], 422),
    ([("header", "flat")], 303),  # no header fields at all: the header is saved empty
    ([("header-chair", "x"), ("header-chair-first", "y")], 303),  # a key below a value: dropped
    ([("header-concern_at-day", "99999999999999999999"), ("header-concern_at-month", "1"),
      ("header-concern_at-year", "2026"), ("header-concern_at-time", "10:00")], 422),
    ([("header-concern_at-day", "1"), ("header-concern_at-month", "1"),
      ("header-concern_at-year", "0000")], 422),
    ([("header-format", "teleport"), ("header-requested_by", "ministry")], 422),
    ([("header-chair", "a\x00b")], 400),
]
BAD_REVISIONS = [[], [("revision", "abc")], [("revision", "-1")], [("revision", "")],
                 [("revision", "99999999999999999999")], [("revision", "²")],
                 [("revision", "1"), ("revision", "2")],
                 [("revision", "1"), ("revision", "1")]]
# Garbage posted to pages with and without rows, with the pages where saving it is refused
# (422); elsewhere the garbage is not that page's fields and saving answers 303.
PARTICIPANTS, CHILDREN = frozenset({"participants"}), frozenset({"children"})
ROW_GARBAGE = [
    ([("row-action", "remove-99")], frozenset()),
    ([("row-action", "remove-")], frozenset()),
    ([("row-action", "remove--1")], frozenset()),
    ([("row-action", "remove-x")], frozenset()),
    ([("row-action", "remove-²")], frozenset()),
    ([("row-action", "remove-99999999999999999999")], frozenset()),
    ([("row-action", "")], frozenset()),
    ([("row-action", "delete")], frozenset()),
    ([("row-action", "add"), ("row-action", "remove-0")], frozenset()),
    ([("participants", "flat"), ("participants-0-name", "x")], PARTICIPANTS),
    ([("participants-x-name", "a"), ("participants-0", "b"), ("participants-0-name", "c")],
     PARTICIPANTS),
    ([("participants-0-name", "a"), ("participants-0-name", "b")], PARTICIPANTS),
    ([("participants-99999-name", "far away")], frozenset()),  # one row, wherever it is numbered
    ([("participants-0-contributed_at-time", "10:00")], PARTICIPANTS),
    ([("participants-0-contributed_at-day", "99999999999999999999"),
      ("participants-0-contributed_at-month", "1"), ("participants-0-contributed_at-year", "2026")],
     PARTICIPANTS),
    ([("children-0-key", "../../etc"), ("children-0-name", "x")], CHILDREN),
    ([("children-0-key", "k"), ("children-1-key", "k"), ("children-0-name", "twin")], frozenset()),
    ([("children-0-unborn", "maybe"), ("children-0-gestation_weeks", "9" * 5000)], CHILDREN),
    ([("children-0-gestation_weeks", "1e3"), ("children-0-gestation_weeks", "²")], CHILDREN),
    # Rows holding only the fields every new row has are blank, and dropped.
    ([("actions-0-kind", "update_agencies"), ("actions-1-kind", "update_agencies")], frozenset()),
    ([("actions-0-kind", "nonsense"), ("actions-0-status", "maybe")], frozenset()),
    ([("distribution", "csc"), ("distribution", "csc"), ("distribution", "mars")],
     frozenset({"distribution"})),
    ([("grounds-categories", "physical"), ("grounds-categories", "bogus")], frozenset({"grounds"})),
]
# Pages with Add and Remove buttons: any button but Save changes only the rows shown (200).
# The others have no rows, so whatever button is named, the post is a save.
ROW_PAGES = {"participants", "children", "actions"}


def _garbage_cases():
    """(page, pairs posted, the one right status)."""
    for pairs, status in GARBAGE:
        for action in ("save", "add"):
            yield "header", pairs + [("row-action", action)], status
    for pairs, refused_on in ROW_GARBAGE:
        has_action = any(k == "row-action" for k, _ in pairs)
        for slug in ("participants", "children", "actions", "experience", "distribution", "grounds"):
            for sent in [pairs] if has_action else [pairs + [("row-action", a)] for a in ("save", "add")]:
                saving = ("row-action", "save") in sent or slug not in ROW_PAGES
                status = (422 if slug in refused_on else 303) if saving else 200
                yield slug, sent, status


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_garbage_posts_answer_their_one_right_status(client, htmx):
    record_id = create(client, complete_record())
    wrong = []
    for slug, sent, expected in _garbage_cases():
        before = api_record(client, record_id)
        # With the current revision, so the garbage itself is what gets judged.
        sent = sent + [("revision", str(before["revision"]))]
        status = _status(post_section, client, record_id, slug, sent, action=None, htmx=htmx)
        if status != expected:
            wrong.append((slug, sent, status, expected))
        elif status != 303:  # a refusal, or rows changed on the page only: nothing saved
            if api_record(client, record_id) != before:
                wrong.append((slug, sent, status, "saved something"))
        # Whatever was posted, the record still reads.
        assert client.get(f"/strategies/{record_id}").status_code == 200
    assert not wrong, "(page, posted, answered, expected):\n" + "\n".join(map(repr, wrong))


@pytest.mark.parametrize("revision", BAD_REVISIONS)
@pytest.mark.parametrize("action", ["save", "add"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_post_without_a_usable_revision_is_428_and_saves_nothing(client, revision, action, htmx):
    record_id = create(client, complete_record())
    before = api_record(client, record_id)
    typed = {"participants-0-name": "Typed Name", "participants-0-role": "Typed role"}
    answer = post_section(client, record_id, "participants", [*typed.items(), *revision], action=action,
                   htmx=htmx)
    assert answer.status_code == 428
    page = soup(answer)
    assert is_full_page(page)
    banner = page.select_one(".govuk-notification-banner").get_text(" ", strip=True)
    assert "nothing has been saved" in banner
    assert_shows(page, typed)
    assert revision_in(page) == str(before["revision"])
    assert api_record(client, record_id) == before


@pytest.mark.parametrize("revision", ["x", "", "²", "-3", "99999999999999999999", None])
def test_finalise_without_a_usable_revision_is_428_and_finalises_nothing(client, revision):
    record_id = create(client, complete_record())
    data = {} if revision is None else {"revision": revision}
    answer = client.post(f"/strategies/{record_id}/finalise", data=data, follow_redirects=False)
    assert answer.status_code == 428
    page = soup(answer)
    assert "has not been finalised" in page.select_one(".govuk-notification-banner").get_text()
    # The finalise form offers the current revision, so finalising again works.
    assert revision_in(page, "form[action$='/finalise']") == str(api_record(client, record_id)["revision"])
    assert api_record(client, record_id)["status"] == "draft"


def test_a_list_where_one_value_was_expected_is_an_error_not_a_save(client):
    record_id = start(client)
    before = api_record(client, record_id)
    page = section_page(client, record_id, "header")
    answer = post_section(client, record_id, "header",
                   replaced(form_data(page), {"header-chair": ["Ann", "Bob"]}))
    assert answer.status_code == 422
    page = soup(answer)
    assert "header-chair" in _error_fields(page)
    assert page.select_one("#header-chair")["value"] == "Ann"
    assert api_record(client, record_id) == before


def test_an_unknown_field_is_refused_and_nothing_saved(client):
    record_id = start(client)
    page = section_page(client, record_id, "analysis")
    answer = post_section(client, record_id, "analysis",
                   replaced(form_data(page), {"analysis-risks": "Real risk", "analysis-secret": "x",
                                          "header-chair": "Not this page"}))
    assert answer.status_code == 422  # analysis-secret is not part of the record
    stored = api_record(client, record_id)
    assert "secret" not in stored["analysis"]
    assert stored["analysis"]["risks"] is None
    assert stored["header"]["chair"] is None


def test_every_page_names_an_icon_that_is_served(client):
    """Without one, browsers ask for /favicon.ico on every first load and get a 404."""
    page = BeautifulSoup(client.get("/strategies").text, "html.parser")
    icon = page.select_one("head link[rel=icon]")
    answer = client.get(icon["href"])
    assert (answer.status_code, answer.headers["content-type"]) == (200, "image/svg+xml")
    assert answer.text.startswith("<svg")
