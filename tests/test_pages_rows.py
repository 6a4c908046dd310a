"""Adding and removing rows (participants, children, agency positions, actions) over HTTP:
with JavaScript off (the whole page again) and with htmx (only the rows block).

Nothing is saved by Add or Remove; what was typed in every row is kept, renumbered.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from app.domain.schema import uk_now
from tests.builders import api_record, discussion_time
from tests.html import (
    assert_shows,
    date_fields,
    form_data,
    is_full_page,
    post_section,
    replaced,
    section_page,
    shown_values,
    soup,
    start,
)


@dataclass(frozen=True)
class RowSection:
    slug: str
    field: str  # the list's name: the rows block's id and the keys' prefix
    title: str  # the page's h1
    rows: tuple[dict, ...]  # what is typed into three new rows, by sub-key
    check: str  # a text sub-key every row has, to find rows by

    def typed(self, row: int, index: int) -> dict:
        """Row `row`'s typed values as form keys, when it is shown at `index`."""
        return {f"{self.field}-{index}-{sub}": value for sub, value in self.rows[row].items()}


AT = discussion_time()
EDD = uk_now().date() + timedelta(days=100)

SECTIONS = [
    RowSection("participants", "participants", "Who took part", (
        # Row 0 holds typos on purpose: Add and Remove keep them without complaint.
        {"name": "DC Mark Evans", "agency": "police", "role": "Detective Constable",
         "mode": "phone_outside", "phone": "abc", "email": "bad@",
         **date_fields("contributed_at", AT - timedelta(hours=1), "09:00")},
        {"name": "Sam Lee", "agency": "health_visiting", "organisation": "Riverside Health",
         "role": "Health Visitor", "mode": "video", "email": "sam.lee@example.nhs.uk"},
        {"name": "Jo Bloggs", "agency": "school", "role": "Designated Safeguarding Lead",
         "mode": "in_person", "phone": "01632 960 404"},
    ), "name"),
    RowSection("children", "children", "Children", (
        {"name": "Unborn baby of Amy Carter", "unborn": "true",
         **date_fields("expected_delivery_date", EDD), "gestation_weeks": "50",
         "midwife": "Jan Moss"},
        {"name": "Leo Carter", **date_fields("date_of_birth", AT.date().replace(year=AT.year - 7)),
         "communication": "verbal", "household": "Mum, Leo\nMum's partner Dean",
         "school": "Riverside Primary"},
        {"name": "Mia Carter", **date_fields("date_of_birth", AT.date().replace(year=AT.year - 1)),
         "communication": "pre_verbal", "needs": "Interpreter: Polish for mother",
         "health_visitor": "Sam Lee"},
    ), "name"),
    RowSection("agency-positions", "agency_positions", "Agency positions", (
        {"agency": "housing", "organisation": "x" * 250, "position": "not_contacted"},
        {"agency": "police", "organisation": "Child Abuse Investigation Team",
         "position": "has_concerns", "concerns": "Previous domestic abuse call-outs"},
        {"agency": "gp", "organisation": "Riverside Surgery", "position": "no_concerns"},
    ), "organisation"),
    RowSection("actions", "actions", "Actions", (
        {"kind": "task", "description": "Check police records", "owner": "DC Evans",
         "agency": "police", "due_date-day": "31", "due_date-month": "2",
         "due_date-year": "2026", "status": "open"},
        {"kind": "task", "description": "Joint visit to the family home", "owner": "SW Priya",
         "agency": "csc", **date_fields("due_date", AT.date()), "status": "done"},
        {"kind": "task", "description": "Ask the school for attendance", "owner": "SW Priya",
         "agency": "school", **date_fields("due_date", AT.date() + timedelta(days=2)),
         "status": "open"},
    ), "description"),
]
BY_SLUG = {section.slug: section for section in SECTIONS}
IDS = [section.slug for section in SECTIONS]


def _rows_in(root, section: RowSection) -> list:
    block = root.select_one(f"#{section.field}")
    assert block is not None, f"no #{section.field}"
    return block.select(":scope > .app-row")


def _row_count(root, section: RowSection) -> int:
    return len(_rows_in(root, section))


def _fixed_rows(section: RowSection) -> int:
    """Rows a new record already has: the update-all-agencies action."""
    return 1 if section.slug == "actions" else 0


def _fill_three_rows(client, record_id, section: RowSection, htmx: bool = False):
    """Add three rows one by one and type into each; a fourth Add shows everything kept.

    Returns the last page (a full page or, with htmx, the latest fragment merged into the
    page) and the pairs a browser would post from it."""
    page = section_page(client, record_id, section.slug)
    first = _fixed_rows(section)
    assert _row_count(page, section) == first
    pairs = form_data(page)
    for row in range(3):
        answer = post_section(client, record_id, section.slug, pairs, action="add", htmx=htmx)
        assert answer.status_code == 200
        assert "HX-Request" in answer.headers.get("vary", "")
        shown = soup(answer)
        if htmx:
            _assert_fragment(shown, section)
            page = _swap(page, shown, section)
        else:
            assert is_full_page(shown)
            assert shown.select_one("main h1").get_text(strip=True) == section.title
            page = shown
        assert _row_count(page, section) == first + row + 1
        new = page.select_one(f"[name={section.field}-{first + row}-{section.check}]")
        assert new is not None
        assert (new.get_text() if new.name == "textarea" else new["value"]) == ""
        # Add validates nothing: no error is shown, even for typos.
        assert page.select_one(".govuk-error-summary, .govuk-error-message") is None
        pairs = replaced(form_data(page), section.typed(row, first + row))
    answer = post_section(client, record_id, section.slug, pairs, action="add", htmx=htmx)
    assert answer.status_code == 200
    page = _swap(page, soup(answer), section) if htmx else soup(answer)
    assert _row_count(page, section) == first + 4
    for row in range(3):
        assert_shows(page, section.typed(row, first + row))
    return page


def _swap(page: BeautifulSoup, fragment: BeautifulSoup, section: RowSection) -> BeautifulSoup:
    """What htmx does: replace the rows block in the page with the fragment's."""
    page = BeautifulSoup(str(page), "html.parser")
    page.select_one(f"#{section.field}").replace_with(
        BeautifulSoup(str(fragment.select_one(f"#{section.field}")), "html.parser"))
    return page


def _without_keys(root: BeautifulSoup, section: RowSection) -> str:
    block = BeautifulSoup(str(root.select_one(f"#{section.field}")), "html.parser")
    for key in block.select("input[name$=-key]"):
        key["value"] = ""
    return str(block)


def _assert_fragment(fragment: BeautifulSoup, section: RowSection):
    for tag in ("html", "head", "body", "main", "form", "h1"):
        assert fragment.find(tag) is None, f"the htmx answer has a <{tag}>"
    roots = fragment.find_all(True, recursive=False)
    assert len(roots) == 1, [root.name for root in roots]
    assert roots[0]["id"] == section.field
    buttons = roots[0].select("button[data-hx-post]")
    assert buttons, "the rows block has no htmx buttons"
    for button in buttons:
        assert button["data-hx-target"] == f"#{section.field}"
        assert button["data-hx-select"] == f"#{section.field}"


# --- JavaScript off ------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", IDS)
def test_add_rows_keeps_everything_typed(client, slug):
    section = BY_SLUG[slug]
    record_id = start(client)
    before = api_record(client, record_id)
    page = _fill_three_rows(client, record_id, section)
    # Each row but a fixed one has its Remove button, numbered by position.
    removes = [b["value"] for b in page.select(f"#{section.field} button[name=row-action]")
               if b["value"].startswith("remove-")]
    first = _fixed_rows(section)
    assert removes == [f"remove-{i}" for i in range(first, first + 4)]
    add = page.select(f"#{section.field} button[name=row-action][value=add]")
    assert len(add) == 1
    # Nothing is saved by Add.
    assert api_record(client, record_id) == before


@pytest.mark.parametrize("slug", IDS)
def test_remove_a_row_keeps_the_others_renumbered(client, slug):
    section = BY_SLUG[slug]
    record_id = start(client)
    before = api_record(client, record_id)
    page = _fill_three_rows(client, record_id, section)
    first = _fixed_rows(section)
    keys = [i.get("value") for i in page.select(f"input[name$=-key][name^={section.field}-]")]

    # Remove the first typed row (the one with the typos).
    answer = post_section(client, record_id, slug, form_data(page), action=f"remove-{first}")
    assert answer.status_code == 200
    page = soup(answer)
    assert is_full_page(page)
    assert _row_count(page, section) == first + 3
    assert_shows(page, section.typed(1, first))
    assert_shows(page, section.typed(2, first + 1))
    shown = shown_values(page)
    gone = section.rows[0][section.check]
    assert gone not in [v for values in shown.values() for v in values]
    assert shown.get(f"{section.field}-{first + 2}-{section.check}") == [""]  # the blank row
    assert f"{section.field}-{first + 3}-{section.check}" not in shown
    if slug == "children":
        # Each child's hidden key moves with the child.
        assert [i["value"] for i in page.select("input[name$=-key]")] == keys[1:]

    # Remove the blank last row, then save what is left.
    answer = post_section(client, record_id, slug, form_data(page), action=f"remove-{first + 2}")
    assert answer.status_code == 200
    page = soup(answer)
    assert _row_count(page, section) == first + 2
    assert api_record(client, record_id) == before  # nothing saved yet
    saved = post_section(client, record_id, slug, form_data(page))
    assert saved.status_code == 303, soup(saved).select_one(".govuk-error-summary")
    stored = api_record(client, record_id)[section.field]
    assert [row.get(section.check) for row in stored[first:]] == [
        section.rows[1][section.check], section.rows[2][section.check]]
    if slug == "actions":
        assert stored[0]["kind"] == "update_agencies"
        assert [a["status"] for a in stored[1:]] == ["done", "open"]
    if slug == "children":
        assert [c["key"] for c in stored] == keys[1:3]


@pytest.mark.parametrize("slug", IDS)
def test_remove_a_middle_row(client, slug):
    section = BY_SLUG[slug]
    record_id = start(client)
    page = _fill_three_rows(client, record_id, section)
    first = _fixed_rows(section)
    answer = post_section(client, record_id, slug, form_data(page), action=f"remove-{first + 1}")
    page = soup(answer)
    assert _row_count(page, section) == first + 3
    assert_shows(page, section.typed(0, first))
    assert_shows(page, section.typed(2, first + 1))


@pytest.mark.parametrize("slug", IDS)
def test_add_on_a_saved_list_keeps_saved_and_typed_rows(client, slug):
    section = BY_SLUG[slug]
    record_id = start(client)
    page = _fill_three_rows(client, record_id, section)
    first = _fixed_rows(section)
    # Save rows 2 and 3 (row 1 has typos), then come back and add another.
    page = soup(post_section(client, record_id, slug, form_data(page), action=f"remove-{first}"))
    assert post_section(client, record_id, slug, form_data(page)).status_code == 303
    page = section_page(client, record_id, slug)
    assert _row_count(page, section) == first + 2
    pairs = replaced(form_data(page), {f"{section.field}-{first}-{section.check}": "Changed, unsaved"})
    page = soup(post_section(client, record_id, slug, pairs, action="add"))
    assert _row_count(page, section) == first + 3
    assert_shows(page, {f"{section.field}-{first}-{section.check}": "Changed, unsaved"})
    assert_shows(page, section.typed(2, first + 1))


# --- htmx -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", IDS)
def test_htmx_add_and_remove_answer_only_the_rows_block(client, slug):
    section = BY_SLUG[slug]
    record_id = start(client)
    before = api_record(client, record_id)
    page = _fill_three_rows(client, record_id, section, htmx=True)
    first = _fixed_rows(section)

    answer = post_section(client, record_id, slug, form_data(page), action=f"remove-{first}", htmx=True)
    assert answer.status_code == 200
    assert "HX-Request" in answer.headers["vary"]
    fragment = soup(answer)
    _assert_fragment(fragment, section)
    assert _row_count(fragment, section) == first + 3
    assert_shows(fragment, section.typed(1, first), selector=f"#{section.field}")
    assert_shows(fragment, section.typed(2, first + 1), selector=f"#{section.field}")
    assert api_record(client, record_id) == before


@pytest.mark.parametrize("slug", IDS)
def test_the_same_address_answers_page_or_fragment_and_says_it_varies(client, slug):
    section = BY_SLUG[slug]
    record_id = start(client)
    pairs = form_data(section_page(client, record_id, slug))
    plain = post_section(client, record_id, slug, pairs, action="add")
    htmx = post_section(client, record_id, slug, pairs, action="add", htmx=True)
    for answer in (plain, htmx):
        assert answer.status_code == 200
        assert "HX-Request" in [v.strip() for v in answer.headers["vary"].split(",")]
    assert is_full_page(soup(plain))
    _assert_fragment(soup(htmx), section)
    # The fragment is exactly the page's rows block (but for a new child's fresh key).
    assert _without_keys(soup(htmx), section) == _without_keys(soup(plain), section)
    # The section page itself also varies on the header.
    got = client.get(f"/strategies/{record_id}/sections/{slug}")
    assert "HX-Request" in got.headers.get("vary", "")


@pytest.mark.parametrize("slug", IDS)
def test_an_htmx_save_is_a_normal_save(client, slug):
    """Save is a plain submit; an HX-Request header on it must not stop it saving."""
    section = BY_SLUG[slug]
    record_id = start(client)
    first = _fixed_rows(section)
    page = soup(post_section(client, record_id, slug, form_data(section_page(client, record_id, slug)),
                       action="add"))
    pairs = replaced(form_data(page), section.typed(1, first))
    answer = post_section(client, record_id, slug, pairs, htmx=True)
    assert answer.status_code == 303
    stored = api_record(client, record_id)[section.field]
    assert stored[first][section.check] == section.rows[1][section.check]


# --- the update-all-agencies action ----------------------------------------------------------------


def test_the_update_action_has_no_remove_button(client):
    record_id = start(client)
    page = section_page(client, record_id, "actions")
    rows = _rows_in(page, BY_SLUG["actions"])
    assert len(rows) == 1
    assert rows[0].select_one("input[name=actions-0-kind]")["value"] == "update_agencies"
    assert rows[0].select_one("button[name=row-action]") is None
    assert page.select_one("#actions-0-due_date") is not None
    # A typed action does get a Remove button.
    page = soup(post_section(client, record_id, "actions", form_data(page), action="add"))
    rows = _rows_in(page, BY_SLUG["actions"])
    assert rows[0].select_one("button[name=row-action]") is None
    assert rows[1].select_one("button[name=row-action]")["value"] == "remove-1"


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_forged_remove_of_the_update_action_removes_nothing(client, htmx):
    section = BY_SLUG["actions"]
    record_id = start(client)
    page = section_page(client, record_id, "actions")
    page = soup(post_section(client, record_id, "actions", form_data(page), action="add"))
    typed = {**date_fields("actions-0-due_date", AT.date() + timedelta(days=5)),
             "actions-0-owner": "Team manager", **section.typed(1, 1)}
    pairs = replaced(form_data(page), typed)
    answer = post_section(client, record_id, "actions", pairs, action="remove-0", htmx=htmx)
    assert answer.status_code == 200
    shown = soup(answer)
    if htmx:
        _assert_fragment(shown, section)
    else:
        assert is_full_page(shown)
    assert _row_count(shown, section) == 2
    assert shown.select_one("input[name=actions-0-kind]")["value"] == "update_agencies"
    assert_shows(shown, typed, selector="#actions")


def test_a_saved_update_action_survives_a_post_that_leaves_it_out(client):
    record_id = start(client)
    page = section_page(client, record_id, "actions")
    due = AT.date() + timedelta(days=5)
    pairs = replaced(form_data(page), date_fields("actions-0-due_date", due))
    assert post_section(client, record_id, "actions", pairs).status_code == 303

    # A forged post: only an ordinary action, or no actions at all.
    for forged in (
        [("actions-0-kind", "task"), ("actions-0-description", "Visit"), ("actions-0-owner", "SW")],
        [],
    ):
        revision = str(api_record(client, record_id)["revision"])
        answer = post_section(client, record_id, "actions", forged + [("revision", revision)])
        assert answer.status_code == 303
        actions = api_record(client, record_id)["actions"]
        updates = [a for a in actions if a["kind"] == "update_agencies"]
        assert len(updates) == 1, actions
        assert updates[0]["due_date"] == str(due)
