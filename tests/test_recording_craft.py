"""Recording quickly (issue 13), the craft: "today" and "now", focus and announcements after a
row is added or removed, valid htmx attributes, the offered update date, the social-care
contact, stacked radios, and per-child copies that name no absent child.

Journeys over HTTP with JavaScript off, every answer read with BeautifulSoup.
"""

from datetime import date, datetime, timedelta

import pytest

from app import parsing
from app.config import get_settings
from app.domain.schema import uk_now
from app.domain.sections import SECTIONS
from app.parsing import DATE_MESSAGE
from app.records.display import as_text
from app.rules.workdays import add_working_days
from tests.builders import api_record, complete_record, create, discussion_time
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

# --- "today" and "now" -----------------------------------------------------------------------


@pytest.fixture
def frozen_now(monkeypatch) -> datetime:
    """The UK time the form reads "today" and "now" as: yesterday at 09:41."""
    moment = (datetime.now() - timedelta(days=1)).replace(hour=9, minute=41, second=0,
                                                          microsecond=0)
    monkeypatch.setattr(parsing, "uk_now", lambda: moment)  # where typed dates are read
    return moment


def _post_date(client, record_id, slug, key, **parts):
    page = section_page(client, record_id, slug)
    names = {f"{key}-{part}" for part in ("day", "month", "year", "time")}
    pairs = [(k, v) for k, v in form_data(page) if k not in names]
    pairs += [(f"{key}-{part}", value) for part, value in parts.items()]
    return post_section(client, record_id, slug, pairs)


def test_today_typed_in_the_day_box_is_the_uk_date(client, frozen_now):
    record_id = start(client)
    answer = _post_date(client, record_id, "grounds", "grounds-referrer_informed_on",
                        day="Today", month="", year="")
    assert answer.status_code == 303, error_summary(soup(answer))
    informed = api_record(client, record_id)["grounds"]["referrer_informed_on"]
    assert informed == frozen_now.date().isoformat()


@pytest.mark.parametrize("parts", [{"day": "now", "time": ""}, {"day": "today", "time": "now"},
                                   {"day": "", "time": "now"}], ids=["day", "both", "time"])
def test_now_fills_the_date_and_time(client, frozen_now, parts):
    record_id = start(client)
    answer = _post_date(client, record_id, "header", "header-discussion_at",
                        month="", year="", **parts)
    assert answer.status_code == 303, error_summary(soup(answer))
    saved = api_record(client, record_id)["header"]["discussion_at"]
    assert saved == frozen_now.isoformat()


def test_now_in_the_time_box_keeps_the_date_typed(client, frozen_now):
    record_id = start(client)
    day = frozen_now.date() - timedelta(days=2)
    answer = _post_date(client, record_id, "header", "header-discussion_at", day=str(day.day),
                        month=str(day.month), year=str(day.year), time="NOW")
    assert answer.status_code == 303, error_summary(soup(answer))
    saved = api_record(client, record_id)["header"]["discussion_at"]
    assert saved == f"{day.isoformat()}T09:41:00"


def test_today_with_another_month_says_how_to_type_a_date(client, frozen_now):
    record_id = start(client)
    other_month = frozen_now.month % 12 + 1
    answer = _post_date(client, record_id, "header", "header-discussion_at", day="today",
                        month=str(other_month), year="", time="10:00")
    assert answer.status_code == 422
    assert error_summary(soup(answer)) == {
        "#header-discussion_at": f"Date and time of the discussion: e{DATE_MESSAGE[1:]}"}
    assert soup(answer).select_one("#header-discussion_at")["value"] == "today"


# Where "today" or "now" helps: the fields people fill in as things happen.
SHORTCUTS = [("header", "header-discussion_at", "now"), ("header", "header-concern_at", "now"),
             ("grounds", "grounds-referrer_informed_on", "today"),
             ("experience", "children-0-seen_at", "now"),
             ("participants", "participants-0-contributed_at", "now"),
             ("actions", "actions-0-due_date", "today"), ("actions", "actions-1-due_date", "today"),
             ("injuries", "injuries-0-seen_on", "today")]


@pytest.mark.parametrize("slug, key, word", SHORTCUTS, ids=[s[1] for s in SHORTCUTS])
def test_the_hint_says_the_word_and_a_script_button_fills_it_in(client, slug, key, word):
    body = None
    if slug == "injuries":
        body = {"injuries": [{"description": "Bruise"}]}
    record_id = create(client, body) if body else create(client)
    page = section_page(client, record_id, slug)
    hint = page.select_one(f"#{key}-hint").get_text(" ", strip=True)
    assert hint.endswith(f"Or type {word} in the Day box")
    group = page.select_one(f"#{key}").find_parent("fieldset")
    assert f"{key}-hint" in group["aria-describedby"].split()
    button = group.select_one("button[data-app-fill]")
    assert button["data-app-fill"] == key and button["type"] == "button"
    assert button.get_text(strip=True) == word.capitalize()
    assert button["aria-label"].startswith(f"{word.capitalize()}: fill in the date")
    # Shown only where the script runs: without it the button could do nothing.
    assert "app-js-only" in button.parent["class"]


def test_a_date_of_birth_offers_no_shortcut(client):
    page = section_page(client, create(client), "children")
    group = page.select_one("#children-0-date_of_birth").find_parent("fieldset")
    assert group.select_one("button[data-app-fill]") is None
    assert "today" not in page.select_one("#children-0-date_of_birth-hint").get_text()


# --- rows: where the page returns to, what is announced -------------------------------------


ROWS = [("participants", "participants", "Participant", "participants-{}-name"),
        ("children", "children", "Child", "children-{}-name"),
        ("agency-positions", "agency_positions", "Agency", "agency_positions-{}-agency"),
        ("actions", "actions", "Action", "actions-{}-description"),
        ("injuries", "injuries", "Injury", "injuries-{}-area")]


def _press(client, record_id, slug, page, action, htmx=False):
    return post_section(client, record_id, slug, form_data(page), action=action, htmx=htmx)


@pytest.mark.parametrize("slug, field, noun, first", ROWS, ids=[r[0] for r in ROWS])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_adding_a_row_announces_it_and_returns_to_it(client, slug, field, noun, first, htmx):
    record_id = create(client)
    page = section_page(client, record_id, slug)
    count = len(page.select(f"#{field} > .app-row"))
    add = page.select_one(f"#{field} button[value=add]")
    # Without script the browser comes back to the new row by its fragment identifier.
    assert add["formaction"] == f"/strategies/{record_id}/sections/{slug}#{field}-{count}"
    answer = _press(client, record_id, slug, page, "add", htmx=htmx)
    assert answer.status_code == 200
    block = soup(answer).select_one(f"#{field}")
    new_row = block.select_one(f"#{field}-{count}")
    assert new_row is not None and "app-row" in new_row["class"]
    assert block["data-app-announce"] == f"{noun} {count + 1} added"
    assert block["data-app-focus-row"] == f"{field}-{count}"
    # The first field app.js focuses: the row's first visible field.
    visible = new_row.select("input:not([type=hidden]), select, textarea")
    assert visible[0]["id"] == first.format(count)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_removing_a_row_announces_it_and_returns_to_the_list_heading(client, htmx):
    record_id = create(client)  # three participants
    page = section_page(client, record_id, "participants")
    remove = page.select_one("#participants button[value=remove-1]")
    assert remove["formaction"] == (
        f"/strategies/{record_id}/sections/participants#participants-heading")
    answer = _press(client, record_id, "participants", page, "remove-1", htmx=htmx)
    block = soup(answer).select_one("#participants")
    assert block["data-app-announce"] == "Participant 2 removed"
    assert block["data-app-focus"] == "participants-heading"
    heading = block.select_one("#participants-heading")
    assert heading.name == "h2" and heading["tabindex"] == "-1"
    assert heading.get_text(strip=True) == "2 participants"


def test_a_refused_remove_announces_nothing(client):
    record_id = create(client)
    page = section_page(client, record_id, "actions")
    answer = _press(client, record_id, "actions", page, "remove-0")  # the update action
    assert not soup(answer).select_one("#actions").has_attr("data-app-announce")


def test_a_page_not_changing_rows_announces_nothing(client):
    page = section_page(client, create(client), "participants")
    assert not page.select_one("#participants").has_attr("data-app-announce")
    region = page.select_one("#app-announce")
    assert region["aria-live"] == "polite" and region.get_text(strip=True) == ""


# --- htmx attributes the Nu HTML checker accepts -----------------------------------------------


def _bare_hx(page) -> list[str]:
    return [f"<{tag.name} {name}>" for tag in page.find_all(True) for name in tag.attrs
            if name.startswith("hx-")]


def test_no_page_carries_bare_hx_attributes(client):
    record_id = create(client)
    pages = [f"/strategies/{record_id}/sections/{section.slug}" for section in SECTIONS]
    pages += ["/strategies", f"/strategies/{record_id}"]
    htmx_buttons = 0
    for url in pages:
        page = soup(client.get(url))
        assert _bare_hx(page) == [], url
        htmx_buttons += len(page.select("[data-hx-post]"))
    assert htmx_buttons > 0  # the htmx buttons are there, with the data- prefix


# --- the update-all-agencies date, offered from the local default ------------------------------


def _update_date_shown(page) -> tuple[str, str, str]:
    return tuple(page.select_one(f"input[name=actions-0-due_date-{part}]")["value"]
                 for part in ("day", "month", "year"))


def _without_update_date() -> dict:
    body = complete_record()
    body["actions"][0] = {"kind": "update_agencies"}
    return body


def test_the_update_date_is_offered_from_the_local_default_and_saved_as_shown(client):
    record_id = create(client, _without_update_date())
    page = section_page(client, record_id, "actions")
    offered = add_working_days(discussion_time().date(),
                               get_settings().update_agencies_working_days)
    assert _update_date_shown(page) == (str(offered.day), str(offered.month), str(offered.year))
    hint = page.select_one("#actions-0-due_date-hint").get_text(" ", strip=True)
    assert hint.startswith(f"The local default is {get_settings().update_agencies_working_days} "
                           f"working days after the discussion: {as_text(offered)}")
    assert api_record(client, record_id)["actions"][0]["due_date"] is None  # offered, not saved
    answer = post_section(client, record_id, "actions", form_data(page))
    assert answer.status_code == 303, error_summary(soup(answer))
    assert api_record(client, record_id)["actions"][0]["due_date"] == offered.isoformat()


def test_the_update_date_before_the_discussion_is_dated_counts_from_today(client):
    record_id = start(client)
    page = section_page(client, record_id, "actions")
    offered = add_working_days(uk_now().date(), get_settings().update_agencies_working_days)
    assert _update_date_shown(page) == (str(offered.day), str(offered.month), str(offered.year))
    assert "after today" in page.select_one("#actions-0-due_date-hint").get_text()


def test_a_saved_update_date_is_shown_as_saved(client):
    record_id = create(client)
    saved = date.fromisoformat(api_record(client, record_id)["actions"][0]["due_date"])
    page = section_page(client, record_id, "actions")
    assert _update_date_shown(page) == (str(saved.day), str(saved.month), str(saved.year))


# --- the social-care contact on the first page -------------------------------------------------


def _pdf_pages(client, url: str) -> list[str]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    return pages_text(answer.content)


def test_the_first_page_names_the_social_care_contact_and_phone(client):
    record_id = create(client)
    pages = _pdf_pages(client, f"/strategies/{record_id}/record.pdf")
    line = "Contact at children's social care: Jo Bell, Social Worker, 01632 960 555."
    assert line in pages[0]
    assert ("contact children's social care: Jo Bell, Social Worker, 01632 960 555."
            in pages[-1])


def test_a_record_without_a_contact_says_so_and_warns(client):
    body = complete_record()
    body["header"] |= {"csc_contact_name": None, "csc_contact_phone": None}
    record_id = create(client, body)
    pages = _pdf_pages(client, f"/strategies/{record_id}/record.pdf")
    assert ("Contact at children's social care: no named contact recorded: call children's "
            "social care.") in pages[0]
    page = section_page(client, record_id, "header")
    assert page.select_one("label[for=header-csc_contact_name]").get_text(strip=True) == (
        "Social-care contact for this record")
    assert page.select_one("#header-csc_contact_phone")["type"] == "tel"


def test_the_contact_phone_is_checked_like_any_phone(client):
    record_id = create(client)
    page = section_page(client, record_id, "header")
    answer = post_section(client, record_id, "header",
                          replaced(form_data(page), {"header-csc_contact_phone": "call Jo"}))
    assert answer.status_code == 422
    assert list(error_summary(soup(answer))) == ["#header-csc_contact_phone"]


# --- per-child copies name no absent child -----------------------------------------------------


def _siblings() -> dict:
    body = complete_record()
    jayden = {**body["children"][0], "key": "jayden", "name": "Jayden Smith",
              "household": "Mother Kim Doe, father Ray Doe", "address": "1 High Street, Anytown",
              "gp": "Dr Ahmed, Anytown Surgery", "voice": "He said he was hungry."}
    amelia = {**body["children"][0], "key": "amelia", "name": "Amelia Smith",
              "household": "As Jayden, and her half-brother at weekends",
              "address": "Same as Jayden", "gp": "see Child 1",
              "voice": "She said she liked school."}
    body["children"] = [jayden, amelia]
    return body


def test_a_per_child_copy_repeats_a_siblings_details_instead_of_naming_them(client):
    record_id = create(client, _siblings())
    pages = _pdf_pages(client, f"/strategies/{record_id}/children/amelia/record.pdf")
    text = " ".join(pages)
    assert "Jayden" not in text and "Child 1" not in text
    flat = squashed(text)
    assert squashed("Mother Kim Doe, father Ray Doe; and her half-brother at weekends") in flat
    assert squashed("1 High Street, Anytown") in flat
    assert squashed("Dr Ahmed, Anytown Surgery") in flat


def test_the_whole_record_keeps_the_words_as_typed(client):
    record_id = create(client, _siblings())
    text = " ".join(_pdf_pages(client, f"/strategies/{record_id}/record.pdf"))
    assert "As Jayden, and her half-brother at weekends" in text
    jayden = " ".join(_pdf_pages(client, f"/strategies/{record_id}/children/jayden/record.pdf"))
    assert "Amelia" not in jayden


# --- inline radios only where they fit ---------------------------------------------------------


@pytest.mark.parametrize("slug, key, inline", [
    ("header", "header-format", False),  # four options
    ("children", "children-0-communication", False),  # four options
    ("actions", "actions-0-status", False),  # three options
    ("header", "header-led_by", True),  # two short options
    ("decision", "decision-medical_needed", True),  # yes or no
])
def test_radios_are_inline_only_for_two_short_options(client, slug, key, inline):
    page = section_page(client, create(client), slug)
    radios = page.select_one(f"#{key}").find_parent(class_="govuk-radios")
    assert ("govuk-radios--inline" in radios["class"]) is inline
