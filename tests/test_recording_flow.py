"""Recording quickly (issue 13): save and continue through the sections, dates and times
typed as people type them, confirming a finalise, facts carried from one section to another.

Journeys over HTTP with JavaScript off: every form is posted as a browser would post it, and
every answer read with BeautifulSoup.
"""

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup

from app.config import get_settings
from app.domain.schema import Child
from app.domain.sections import SECTIONS
from app.records.display import as_text
from app.records.view import age_text
from app.rules.workdays import add_working_days
from tests.builders import STANDARD_ORGANISATIONS, api_record, complete_record, create, discussion_time, recipients
from tests.html import (
    error_summary,
    form_data,
    post_section,
    replaced,
    section_page,
    soup,
    start,
)
from tests.pdf_helpers import pages_text, squashed

# --- save and continue -------------------------------------------------------------------


def _save_buttons(page) -> dict[str, str]:
    """The visible submit buttons of the section form: their text -> the action they post."""
    return {button.get_text(strip=True): button["value"]
            for button in page.select("main form .govuk-button-group button[type=submit]")}


def test_every_section_offers_save_and_continue_and_save_and_return(client):
    record_id = start(client)
    for section in SECTIONS:
        buttons = _save_buttons(section_page(client, record_id, section.slug))
        assert buttons == {"Save and continue": "save-continue",
                           "Save and return to the task list": "save"}, section.slug


def test_save_and_continue_walks_the_sections_in_order_then_the_record(client):
    record_id = start(client)
    url = f"/strategies/{record_id}/sections/{SECTIONS[0].slug}"
    visited = []
    while "/sections/" in url:
        page = soup(client.get(url))
        visited.append(url.rsplit("/", 1)[1])
        answer = post_section(client, record_id, visited[-1], form_data(page),
                              action=_save_buttons(page)["Save and continue"])
        assert answer.status_code == 303, (visited[-1], answer.status_code)
        url = answer.headers["location"]
    assert visited == [section.slug for section in SECTIONS if section.in_sequence]
    # After the last section: the record page (task list and Finalise), at that section.
    assert url == f"/strategies/{record_id}#{SECTIONS[-1].slug}"
    assert client.get(url).status_code == 200


def test_save_and_continue_saves_what_was_typed(client):
    record_id = start(client)
    page = section_page(client, record_id, "analysis")
    pairs = [(k, v) for k, v in form_data(page) if k != "analysis-risks"]
    answer = post_section(client, record_id, "analysis", pairs + [("analysis-risks", "Bruising")],
                          action="save-continue")
    assert answer.headers["location"] == f"/strategies/{record_id}/sections/decision"
    shown = section_page(client, record_id, "analysis")
    assert shown.select_one("textarea[name=analysis-risks]").text == "Bruising"


def test_save_and_continue_with_an_error_stays_on_the_section(client):
    record_id = create(client, complete_record())
    page = section_page(client, record_id, "header")
    pairs = [(k, v) for k, v in form_data(page) if k != "header-discussion_at-month"]
    answer = post_section(client, record_id, "header",
                          pairs + [("header-discussion_at-month", "13")], action="save-continue")
    assert answer.status_code == 422
    assert soup(answer).select_one("input[name=header-discussion_at-month]")["value"] == "13"


# --- dates and times as people type them ----------------------------------------------------

TIMES = {"2.10am": "02:10", "2:10 pm": "14:10", "14:05": "14:05", "1405": "14:05",
         "2pm": "14:00", "12.30pm": "12:30", "12am": "00:00", "9.05 a.m.": "09:05",
         "midday": "12:00"}
DATES = {"4/4/2026": ("4", "4", "2026"), "04/04/2026": ("4", "4", "2026"),
         "4.4.2026": ("4", "4", "2026"), "17-11-2025": ("17", "11", "2025"),
         "4 4 2026": ("4", "4", "2026")}


def _post_discussion_at(client, record_id, **parts):
    page = section_page(client, record_id, "header")
    keys = {f"header-discussion_at-{part}" for part in ("day", "month", "year", "time")}
    pairs = [(k, v) for k, v in form_data(page) if k not in keys]
    pairs += [(f"header-discussion_at-{part}", value) for part, value in parts.items()]
    return post_section(client, record_id, "header", pairs)


def _shown_discussion_at(client, record_id) -> tuple[str, str, str, str]:
    page = section_page(client, record_id, "header")
    return tuple(page.select_one(f"input[name=header-discussion_at-{part}]")["value"]
                 for part in ("day", "month", "year", "time"))


@pytest.mark.parametrize("typed", TIMES)
def test_a_time_is_understood_as_people_type_it(client, typed):
    record_id = start(client)
    answer = _post_discussion_at(client, record_id, day="3", month="4", year="2026", time=typed)
    assert answer.status_code == 303, error_summary(soup(answer))
    assert _shown_discussion_at(client, record_id) == ("3", "4", "2026", TIMES[typed])


@pytest.mark.parametrize("typed", DATES)
def test_a_whole_date_typed_in_the_day_box_fills_the_date(client, typed):
    record_id = start(client)
    answer = _post_discussion_at(client, record_id, day=typed, month="", year="", time="1405")
    assert answer.status_code == 303, error_summary(soup(answer))
    assert _shown_discussion_at(client, record_id) == (*DATES[typed], "14:05")


def test_a_month_name_is_understood(client):
    record_id = start(client)
    answer = _post_discussion_at(client, record_id, day="4", month="Apr", year="2026", time="9am")
    assert answer.status_code == 303, error_summary(soup(answer))
    assert _shown_discussion_at(client, record_id) == ("4", "4", "2026", "09:00")


@pytest.mark.parametrize("day, month, year", [("31/12/99", "", ""), ("4", "Apr", "26"),
                                               ("4.4.26", "", ""), ("today", "", "26")])
def test_a_two_digit_year_is_refused_saying_to_type_it_in_full(client, day, month, year):
    """31/12/99 was stored as 1999: a year is never guessed into a century."""
    record_id = start(client)
    answer = _post_discussion_at(client, record_id, day=day, month=month, year=year, time="9am")
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {
        "#header-discussion_at": "Date and time of the discussion: enter the year in full, like 2026"}
    assert [page.select_one(f"input[name=header-discussion_at-{part}]")["value"]
            for part in ("day", "month", "year")] == [day, month, year]
    assert api_record(client, record_id)["header"]["discussion_at"] is None


@pytest.mark.parametrize("typed", ["25:00", "14:75", "13pm", "14:05pm", "14", "teatime", "2.5"])
def test_a_time_that_is_not_one_says_how_to_type_it(client, typed):
    record_id = start(client)
    answer = _post_discussion_at(client, record_id, day="3", month="4", year="2026", time=typed)
    assert answer.status_code == 422
    page = soup(answer)
    message = ("Date and time of the discussion: enter the time as, for example, 14:05 or "
               "2.05pm, or type now")
    assert error_summary(page) == {"#header-discussion_at": message}
    beside = page.select_one("#header-discussion_at-error").get_text(" ", strip=True)
    assert beside == f"Error: {message}"
    # Only the time box is marked: the date was typed right.
    marked = [i["name"].rsplit("-", 1)[1] for i in page.select(
        "input[name^=header-discussion_at-].govuk-input--error")]
    assert marked == ["time"]
    # Everything typed is shown again.
    assert page.select_one("input[name=header-discussion_at-time]")["value"] == typed
    assert page.select_one("input[name=header-discussion_at-day]")["value"] == "3"


@pytest.mark.parametrize("day, month, year", [("4/4", "", ""), ("yesterday", "", ""),
                                               ("4/4/2026", "5", ""), ("3", "Smarch", "2026"),
                                               ("3", "4", "202")])
def test_a_date_that_is_not_one_says_how_to_type_it(client, day, month, year):
    record_id = start(client)
    answer = _post_discussion_at(client, record_id, day=day, month=month, year=year, time="14:05")
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {
        "#header-discussion_at": "Date and time of the discussion: enter the date as, for "
                                 "example, 27 3 2026 or 27/3/2026, or type today"}
    assert page.select_one("input[name=header-discussion_at-day]")["value"] == day
    assert page.select_one("input[name=header-discussion_at-month]")["value"] == month


def test_a_date_that_reads_but_does_not_exist_is_still_refused(client):
    record_id = start(client)
    answer = _post_discussion_at(client, record_id, day="31/2/2026", time="14:05")
    assert answer.status_code == 422
    assert error_summary(soup(answer)) == {
        "#header-discussion_at": "Date and time of the discussion: enter a real date, like 27 3 2026"}


def test_a_date_that_does_not_exist_and_a_wrong_time_are_told_together(client):
    """Not the time first and 31 February only once the time is fixed."""
    record_id = start(client)
    answer = _post_discussion_at(client, record_id, day="31", month="2", year="2026", time="25:00")
    page = soup(answer)
    assert error_summary(page) == {
        "#header-discussion_at": "Date and time of the discussion: enter a real date, like "
                                 "27 3 2026, and the time as, for example, 14:05 or 2.05pm"}
    marked = [i["name"].rsplit("-", 1)[1] for i in page.select(
        "input[name^=header-discussion_at-].govuk-input--error")]
    assert marked == ["day", "month", "time"]


def test_two_date_fields_wrong_the_same_way_are_told_apart(client):
    record_id = start(client)
    typed = {f"header-{field}-{part}": value for field, time in (("discussion_at", "teatime"),
                                                                 ("concern_at", "lunch"))
             for part, value in (("day", "3"), ("month", "4"), ("year", "2026"), ("time", time))}
    page = section_page(client, record_id, "header")
    answer = post_section(client, record_id, "header", [
        (k, v) for k, v in form_data(page) if k not in typed] + list(typed.items()))
    summary = list(error_summary(soup(answer)).values())
    assert len(summary) == len(set(summary)) == 2
    assert sorted(line.split(":")[0] for line in summary) == [
        "Date and time of the discussion", "Date and time the concern arose"]


def test_a_date_of_birth_typed_whole_in_the_day_box(client):
    record_id = create(client, complete_record())
    page = section_page(client, record_id, "children")
    keys = {f"children-0-date_of_birth-{part}" for part in ("day", "month", "year")}
    pairs = [(k, v) for k, v in form_data(page) if k not in keys]
    pairs += [("children-0-date_of_birth-day", "1.2.2019"), ("children-0-date_of_birth-month", ""),
              ("children-0-date_of_birth-year", "")]
    answer = post_section(client, record_id, "children", pairs)
    assert answer.status_code == 303, error_summary(soup(answer))
    shown = section_page(client, record_id, "children")
    assert [shown.select_one(f"input[name=children-0-date_of_birth-{part}]")["value"]
            for part in ("day", "month", "year")] == ["1", "2", "2019"]


# --- finalising asks for confirmation, then says who finalised it ---------------------------


def _finalise_form(client, record_id):
    page = soup(client.get(f"/strategies/{record_id}"))
    return page, page.select_one(f"form[action='/strategies/{record_id}/finalise']")


def _shown(form) -> dict:
    """What the finalise form posts as shown (the check unticked)."""
    return dict(form_data(soup_of(form), "form"))


def soup_of(form):
    return BeautifulSoup(str(form), "html.parser")


def test_finalising_without_ticking_the_check_is_refused_and_finalises_nothing(client):
    record_id = create(client, complete_record())
    page, form = _finalise_form(client, record_id)
    box = form.select_one("input[type=checkbox][name=confirmed]")
    assert box is not None and not box.has_attr("checked")
    assert page.select_one("label[for=confirmed]").get_text(strip=True) == "I have checked the record"
    answer = client.post(form["action"], data=_shown(form),
                         follow_redirects=False)
    assert answer.status_code == 422
    refused = soup(answer)
    message = "Confirm that you have checked the record before finalising it"
    assert error_summary(refused) == {"#confirmed": message}
    assert refused.select_one("#confirmed-error").get_text(" ", strip=True) == f"Error: {message}"
    assert refused.select_one("#confirmed") is not None
    assert client.get(f"/api/strategies/{record_id}").json()["status"] == "draft"


def test_an_incomplete_record_lists_what_is_missing_even_unticked(client):
    record_id = start(client)
    _, form = _finalise_form(client, record_id)
    answer = client.post(form["action"], data=_shown(form),
                         follow_redirects=False)
    assert answer.status_code == 422
    links = error_summary(soup(answer))
    assert f"/strategies/{record_id}/sections/header#header-chair" in links
    assert "#confirmed" not in links


def test_finalising_shows_a_confirmation_panel_and_who_finalised_it(client):
    record_id = create(client, complete_record())
    _, form = _finalise_form(client, record_id)
    answer = client.post(form["action"], data=_shown(form) | {"confirmed": "yes"},
                         follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/strategies/{record_id}?finalised=yes"
    record = client.get(f"/api/strategies/{record_id}").json()
    assert record["status"] == "finalised"

    page = soup(client.get(answer.headers["location"]))
    panel = page.select_one(".govuk-panel--confirmation")
    assert panel.select_one(".govuk-panel__title").get_text(strip=True) == "Record finalised"
    body = panel.select_one(".govuk-panel__body").get_text(" ", strip=True)
    assert body.startswith(record["reference"]) and "by Sam on" in body
    assert page.select_one("#finalised-by").get_text(" ", strip=True).startswith(
        "Finalised by Sam on ")
    # The panel is only on the page finalising leads to.
    assert soup(client.get(f"/strategies/{record_id}")).select_one(".govuk-panel") is None


def test_the_pdf_says_who_finalised_the_record(client):
    record_id = create(client, complete_record())
    _, form = _finalise_form(client, record_id)
    client.post(form["action"], data=_shown(form) | {"confirmed": "yes"})
    answer = client.get(f"/strategies/{record_id}/record.pdf")
    assert answer.status_code == 200
    first = pages_text(answer.content)[0]
    assert "finalised by Sam on" in first


# --- facts carried over ------------------------------------------------------------------------


def _without(*sections) -> dict:
    body = complete_record()
    for name in sections:
        body[name] = []
    return body


def test_agencies_among_the_participants_are_offered_as_position_rows(client):
    record_id = create(client, _without("agency_positions", "distribution"))
    page = section_page(client, record_id, "agency-positions")
    chosen = [select.select_one("option[selected]")["value"]
              for select in page.select("select[name$=-agency]")]
    assert chosen == ["csc", "police", "health_visiting"]  # the participants' order
    assert all(not box.has_attr("checked") for box in page.select("input[name$=-position]"))
    notice = page.select_one("#carried-over").get_text(" ", strip=True)
    assert notice.startswith("Not saved yet")
    assert "Children's social care, Police, Health visiting" in notice
    # Not saved until the page is.
    assert api_record(client, record_id)["agency_positions"] == []

    pairs = replaced(form_data(page), {"agency_positions-0-position": "has_concerns",
                                       "agency_positions-0-concerns": "Injury"})
    assert post_section(client, record_id, "agency-positions", pairs).status_code == 303
    saved = api_record(client, record_id)["agency_positions"]
    assert [p["agency"] for p in saved] == ["csc", "police", "health_visiting"]
    assert saved[0]["position"] == "has_concerns"
    # Once saved, what is stored is shown, with no notice.
    again = section_page(client, record_id, "agency-positions")
    assert again.select_one("#carried-over") is None


def test_positions_already_recorded_are_not_added_to(client):
    record_id = create(client, _without("distribution"))
    page = section_page(client, record_id, "agency-positions")
    assert len(page.select("select[name$=-agency]")) == 3
    assert page.select_one("#carried-over") is None


def test_the_distribution_list_starts_with_every_agency_involved_ticked(client):
    body = _without("distribution")
    body["agency_positions"].append({"agency": "school", "position": "no_concerns"})
    body["agency_positions"].append({"agency": "housing", "position": "not_contacted",
                                     "not_contacted_reason": "Out of hours"})
    record_id = create(client, body)
    page = section_page(client, record_id, "distribution")
    ticked = {box["value"] for box in page.select("input[name=distribution][checked]")}
    # Took part or gave a position; not the agency that was not contacted, and never children's
    # social care (it owns the record): each agency's only active organisation is ticked.
    police, hv, school = (str(STANDARD_ORGANISATIONS[a])
                          for a in ("police", "health_visiting", "school"))
    assert ticked == {police, hv, school}
    assert page.select_one("#carried-over").get_text(" ", strip=True).startswith("Not saved yet")
    assert api_record(client, record_id)["distribution"] == []
    # The user unticks one and saves: that is what is kept, and no longer offered.
    pairs = [(k, v) for k, v in form_data(page) if (k, v) != ("distribution", school)]
    assert post_section(client, record_id, "distribution", pairs).status_code == 303
    saved = api_record(client, record_id)["distribution"]
    assert sorted(saved, key=lambda r: r["organisation_id"]) == recipients(
        "police", "health_visiting")
    again = section_page(client, record_id, "distribution")
    assert {b["value"] for b in again.select("input[name=distribution][checked]")} == {
        police, hv}
    assert again.select_one("#carried-over") is None


def _hint(page, key) -> str:
    return page.select_one(f"#{key}-hint").get_text(" ", strip=True)


def test_the_edt_review_date_and_conference_deadline_are_shown_as_hints(client):
    record_id = create(client, complete_record())
    record = api_record(client, record_id)
    day = date.fromisoformat(record["header"]["discussion_at"][:10])
    review = as_text(add_working_days(day, get_settings().edt_review_working_days))
    conference = as_text(add_working_days(day, get_settings().icpc_working_days))
    assert f"by {review}." in _hint(section_page(client, record_id, "header"),
                                    "header-day_team_review_due")
    assert _hint(section_page(client, record_id, "next-steps"), "next_steps-icpc_date").endswith(
        f", by {conference} at the latest")


def test_without_a_discussion_date_no_date_is_offered(client):
    record_id = start(client)
    assert _hint(section_page(client, record_id, "next-steps"), "next_steps-icpc_date") == (
        "If a section 47 enquiry starts: within the working-day limit of this discussion")
    assert " by " not in _hint(section_page(client, record_id, "header"),
                               "header-day_team_review_due")


# --- copy and layout ----------------------------------------------------------------------------


@pytest.mark.parametrize("slug, empty", [("children", "No children added yet."),
                                         ("agency-positions", "No agencies added yet."),
                                         ("injuries", "No injuries added yet."),
                                         ("participants", "No participants added yet.")])
def test_empty_lists_say_so_in_plain_english(client, slug, empty):
    record_id = start(client)
    page = section_page(client, record_id, slug)
    said = [p.get_text(" ", strip=True) for p in page.select("main .app-rows > p.govuk-body")]
    assert said == [empty]


def test_the_record_list_scrolls_inside_a_labelled_region(client):
    create(client, complete_record())
    page = soup(client.get("/strategies"))
    region = page.select_one(".app-table-scroll")
    assert region["role"] == "region" and region["tabindex"] == "0"
    caption = page.find(id=region["aria-labelledby"])
    assert caption.name == "caption" and caption.get_text(strip=True) == "Newest discussion first"
    assert region.select_one("table#records") is not None


# --- a PDF a police officer can read alone ------------------------------------------------------


def _draft_pdf_text(client, body) -> list[str]:
    record_id = create(client, body)
    answer = client.get(f"/strategies/{record_id}/record.pdf")
    assert answer.status_code == 200
    return pages_text(answer.content)


def test_the_pdf_gives_each_childs_age_or_gestation_beside_their_name(client):
    body = complete_record()
    day = discussion_time().date()
    body["children"][0]["date_of_birth"] = str(day - timedelta(days=20))
    body["children"][0]["communication"] = "pre_verbal"
    body["children"].append({"key": "unborn", "name": "Baby of Amy Carter", "unborn": True,
                             "gestation_weeks": 30,
                             "expected_delivery_date": str(day + timedelta(weeks=10))})
    body["children"].append({"key": "older", "name": "Ava Carter",
                             "date_of_birth": str(day.replace(year=day.year - 9))})
    first = squashed(_draft_pdf_text(client, body)[0])
    due = as_text(day + timedelta(weeks=10))
    assert squashed(f"Children: Leo Carter (2 weeks old), Baby of Amy Carter (unborn, 30 weeks' "
                    f"gestation, due {due}), Ava Carter (9 years old).") in first


@pytest.mark.parametrize("born_days_ago, words", [
    (3, "3 days old"), (7, "1 week old"), (31, "4 weeks old"), (49, "7 weeks old"),
    (90, "12 weeks old"), (91, "3 months old"), (400, "13 months old"), (730, "2 years old")])
def test_ages_are_in_the_words_people_use(born_days_ago, words):
    on = date(2026, 4, 4)
    child = Child(name="X", date_of_birth=on - timedelta(days=born_days_ago))
    assert age_text(child, on) == words


def test_the_pdf_repeats_the_date_agencies_will_be_updated_by(client):
    body = complete_record()
    due = date.fromisoformat(body["actions"][0]["due_date"])
    text = squashed(" ".join(_draft_pdf_text(client, body)))
    assert squashed(f"If you have not been told the outcome by {as_text(due)}, contact "
                    "children's social care: Jo Bell, Social Worker, 01632 960 555.") in text
    assert squashed("by the date above") not in text
