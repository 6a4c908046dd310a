"""Recording quickly (issue 13): save and continue through the sections, dates and times
typed as people type them, confirming a finalise, facts carried from one section to another.

Journeys over HTTP with JavaScript off: every form is posted as a browser would post it, and
every answer read with BeautifulSoup.
"""

import pytest

from app.domain.sections import SECTIONS
from tests.builders import complete_record, create
from tests.html import error_summary, form_data, post_section, section_page, soup, start

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
    assert visited == [section.slug for section in SECTIONS]
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
DATES = {"4/4/26": ("4", "4", "2026"), "04/04/2026": ("4", "4", "2026"),
         "4.4.26": ("4", "4", "2026"), "17-11-2025": ("17", "11", "2025")}


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


def test_a_two_digit_year_and_a_month_name_are_understood(client):
    record_id = start(client)
    answer = _post_discussion_at(client, record_id, day="4", month="Apr", year="26", time="9am")
    assert answer.status_code == 303, error_summary(soup(answer))
    assert _shown_discussion_at(client, record_id) == ("4", "4", "2026", "09:00")


@pytest.mark.parametrize("typed", ["25:00", "14:75", "13pm", "14:05pm", "14", "teatime", "2.5"])
def test_a_time_that_is_not_one_says_how_to_type_it(client, typed):
    record_id = start(client)
    answer = _post_discussion_at(client, record_id, day="3", month="4", year="2026", time=typed)
    assert answer.status_code == 422
    page = soup(answer)
    message = "Enter the time as, for example, 14:05 or 2.05pm"
    assert error_summary(page) == {"#header-discussion_at": message}
    beside = page.select_one("#header-discussion_at-error").get_text(" ", strip=True)
    assert beside == f"Error: {message}"
    # Everything typed is shown again.
    assert page.select_one("input[name=header-discussion_at-time]")["value"] == typed
    assert page.select_one("input[name=header-discussion_at-day]")["value"] == "3"


@pytest.mark.parametrize("day, month, year", [("4/4", "", ""), ("yesterday", "", ""),
                                               ("4/4/26", "5", ""), ("3", "Smarch", "2026"),
                                               ("3", "4", "202")])
def test_a_date_that_is_not_one_says_how_to_type_it(client, day, month, year):
    record_id = start(client)
    answer = _post_discussion_at(client, record_id, day=day, month=month, year=year, time="14:05")
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {
        "#header-discussion_at": "Enter the date as, for example, 27 3 2026 or 27/3/26"}
    assert page.select_one("input[name=header-discussion_at-day]")["value"] == day
    assert page.select_one("input[name=header-discussion_at-month]")["value"] == month


def test_a_date_that_reads_but_does_not_exist_is_still_refused(client):
    record_id = start(client)
    answer = _post_discussion_at(client, record_id, day="31/2/26", time="14:05")
    assert answer.status_code == 422
    assert list(error_summary(soup(answer))) == ["#header-discussion_at"]
    assert "real date" in error_summary(soup(answer))["#header-discussion_at"]


def test_a_date_of_birth_typed_whole_in_the_day_box(client):
    record_id = create(client, complete_record())
    page = section_page(client, record_id, "children")
    keys = {f"children-0-date_of_birth-{part}" for part in ("day", "month", "year")}
    pairs = [(k, v) for k, v in form_data(page) if k not in keys]
    pairs += [("children-0-date_of_birth-day", "1.2.19"), ("children-0-date_of_birth-month", ""),
              ("children-0-date_of_birth-year", "")]
    answer = post_section(client, record_id, "children", pairs)
    assert answer.status_code == 303, error_summary(soup(answer))
    shown = section_page(client, record_id, "children")
    assert [shown.select_one(f"input[name=children-0-date_of_birth-{part}]")["value"]
            for part in ("day", "month", "year")] == ["1", "2", "2019"]
