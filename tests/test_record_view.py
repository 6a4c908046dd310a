"""One read-only view of a record: the record page and the printed record say the same things
in the same words, and facts the templates used to work out live in Python."""

import re
from datetime import date, timedelta

import pytest

from app.config import get_settings
from app.domain.schema import Child, StrategyRecordData
from app.domain.sections import SECTIONS
from app.followup import lifecycle
from app.pdf.render import record_html
from app.records.view import DATE_NOT_SET, NO_CONCERNS, record_view
from app.rules.completeness import evaluate, tally
from tests.builders import complete_record, record_with
from tests.conftest import make_user, signed_in
from tests.html import soup

SETTINGS = get_settings()


def _with_view_facts() -> dict:
    """A record holding every wording the view decides: both details of a position, a
    "no concerns" agency with no text, an update action with no date, an unnamed second child."""
    body = complete_record()
    body["agency_positions"].append(
        {"agency": "school", "position": "not_contacted", "concerns": "Attendance has dropped",
         "not_contacted_reason": "School closed for half term"})
    body["actions"][0].pop("due_date")
    body["children"].append({"key": "child2", "date_of_birth": body["children"][0]["date_of_birth"]})
    return body


def _text(html: str) -> str:
    from bs4 import BeautifulSoup
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


@pytest.fixture
def record(session):
    author = make_user(session, "author")
    data = StrategyRecordData.model_validate(_with_view_facts())
    return lifecycle.create_record(session, data=data, team="Central", created_by_id=author.id)


def _page_text(client, session, record) -> str:
    page = soup(client.get(f"/strategies/{record.id}"))
    return " ".join(page.select_one("details .govuk-details__text").get_text(" ").split())


@pytest.mark.parametrize("where", ["page", "pdf"])
def test_page_and_print_share_every_wording(client, session, record, where):
    text = _page_text(client, session, record) if where == "page" else _text(record_html(record))
    assert f"CSC will update all agencies involved on outcomes/actions taken by {DATE_NOT_SET}" in text
    assert NO_CONCERNS in text  # health visiting: no concerns, nothing typed
    assert "Attendance has dropped" in text
    assert "Why not contacted: School closed for half term" in text
    assert "Took part in the meeting (2)" in text
    assert "Contributed outside the meeting (phone, email or report) (1)" in text
    assert "Child 2" in text
    for section in SECTIONS:
        assert section.title in text


def test_page_and_print_show_the_same_position_rows(client, session, record):
    page = soup(client.get(f"/strategies/{record.id}"))
    from bs4 import BeautifulSoup
    printed = BeautifulSoup(record_html(record), "html.parser")

    def rows(document) -> list[list[str]]:
        heading = next(h for h in document.find_all("h2") if h.get_text(strip=True) == "Agency positions")
        table = heading.find_next("table")
        return [[" ".join(cell.get_text(" ").split()) for cell in row.find_all("td")]
                for row in table.select("tbody tr")]

    assert rows(page) == rows(printed)
    assert rows(page)[-1] == ["School or college", "Not contacted",
                              "Attendance has dropped Why not contacted: School closed for half term"]


def test_a_per_child_copy_names_an_unnamed_child_by_their_place_in_the_record(record):
    text = _text(record_html(record, child_key="child2"))
    assert re.search(r"Children: Child 2 \(\d+ \w+ old\) \(this copy covers one child of 2\)", text)
    assert "Leo Carter" not in text


def test_owner_agency_shown_only_when_it_adds_to_the_owner():
    data = record_with(actions=[
        {"kind": "update_agencies"},
        {"description": "Visit", "owner": "Police", "agency": "police"},
        {"description": "Check", "owner": "DC Evans", "agency": "police"},
    ])
    view = record_view(data, evaluate(data, SETTINGS))
    assert (view.update_action.owner, view.update_action.owner_agency) == ("Children's social care", None)
    assert [(r.owner, r.owner_agency) for r in view.actions] == [("Police", None), ("DC Evans", "Police")]


@pytest.mark.parametrize("where", ["page", "pdf"])
def test_the_update_action_is_stated_once(client, session, record, where):
    text = _page_text(client, session, record) if where == "page" else _text(record_html(record))
    assert text.count("CSC will update all agencies involved") == 1


def test_tally_counts_blocking_rules_and_splits_failures_by_severity():
    data = StrategyRecordData()
    results = evaluate(data, SETTINGS)
    counted = tally(results)
    blocking = [r for r in results if r.rule.severity == "blocking"]
    assert counted.required == len(blocking)
    assert {r.rule.id for r in counted.blocking_failed} == {r.rule.id for r in blocking if not r.passed}
    assert all(r.rule.severity == "warning" and not r.passed for r in counted.warnings_failed)


@pytest.mark.parametrize("child, expected", [
    ({"unborn": True}, True),
    ({"communication": "pre_verbal"}, True),
    ({"communication": "non_verbal"}, True),
    ({"communication": "verbal"}, False),
    ({}, False),
])
def test_whether_a_child_cannot_speak_is_a_property_of_the_child(child, expected):
    assert Child.model_validate(child).cannot_speak is expected


def test_rules_take_today_from_the_clock_they_are_given():
    # No discussion date: the school-age check before no further action uses "today" as given.
    born = date(2015, 6, 1)
    data = record_with(header={"discussion_at": None, "concern_at": None},
                       children=[{"name": "Ava", "date_of_birth": str(born), "communication": "verbal"}],
                       agency_positions=[], decision={"outcome": "nfa", "reasons": "No harm"})

    def school_failure(today: date) -> bool:
        (result,) = [r for r in evaluate(data, SETTINGS, today=today) if r.rule.id == "decision.nfa-consulted"]
        return any("school" in f.message for f in result.failures)

    assert school_failure(born.replace(year=born.year + 8)) is True
    assert school_failure(born.replace(year=born.year + 2)) is False
    assert school_failure(born + timedelta(days=365 * 20)) is False


@pytest.mark.parametrize("role, sees_link", [
    ("manager", True), ("admin", True), ("social_worker", False), ("partner", False)])
def test_audit_link_in_the_header_follows_the_roles_module(anonymous, session, role, sees_link):
    user = make_user(session, f"user-{role}", role, agency="police" if role == "partner" else None)
    page = soup(signed_in(anonymous, session, user).get("/strategies"))
    links = [a["href"] for a in page.select("header a")]
    assert ("/audit" in links) is sees_link


def test_edt_review_messages_quote_the_local_limit():
    from app.config import Settings
    from tests.builders import discussion_time

    day = discussion_time().date()
    late = str(day + timedelta(days=30))
    data = record_with(header={"led_by": "edt", "day_team_review_due": late})
    for days, words in [(1, "the next working day"), (3, "3 working days")]:
        settings = Settings(edt_review_working_days=days)
        (result,) = [r for r in evaluate(data, settings) if r.rule.id == "header.edt-review"]
        (failure,) = result.failures
        assert failure.message.endswith(f": {words} after the discussion")


def test_the_header_page_hint_quotes_the_local_edt_limit(client, session, record, monkeypatch):
    monkeypatch.setenv("EDT_REVIEW_WORKING_DAYS", "2")
    get_settings.cache_clear()
    try:
        page = soup(client.get(f"/strategies/{record.id}/sections/header"))
    finally:
        monkeypatch.delenv("EDT_REVIEW_WORKING_DAYS")
        get_settings.cache_clear()
    hint = page.select_one("#header-day_team_review_due-hint").get_text(" ", strip=True)
    assert hint.startswith("For an EDT-led discussion: the day team must review it within "
                           "2 working days of the discussion, by ")
