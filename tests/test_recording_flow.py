"""Recording quickly (issue 13): save and continue through the sections, dates and times
typed as people type them, confirming a finalise, facts carried from one section to another.

Journeys over HTTP with JavaScript off: every form is posted as a browser would post it, and
every answer read with BeautifulSoup.
"""

from app.domain.sections import SECTIONS
from tests.builders import complete_record, create
from tests.html import form_data, post_section, section_page, soup, start

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
