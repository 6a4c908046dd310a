"""Autosave and the conflict choice, over HTTP with an HTML parser.

A section page saves itself in the background (htmx posts the form to .../autosave); the
answer is a status line ("Saved at 10:42") plus the form's new revision, swapped out of band.
A save from a page someone else has since changed never overwrites: the page shows both
versions of each field that differs and saves only with an explicit choice.
"""

import json
import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.auth.models import AuditEvent, User
from app.records.models import StrategyRecord
from app.web import autosave_pages as pages
from app.web.section_form import CONFLICT_SUMMARY
from tests.builders import api_record, complete_record, create
from tests.conftest import make_user, signed_in
from tests.html import (
    error_summary,
    form_data,
    post_section,
    replaced,
    revision_in,
    section_page,
    soup,
    start,
)


def autosave(client, record_id: int, slug: str, pairs):
    """What htmx posts for the section form after typing stops (no button pressed)."""
    data: dict = {}
    for key, value in pairs:
        if key != "row-action":
            data.setdefault(key, []).append(value)
    return client.post(f"/strategies/{record_id}/sections/{slug}/autosave", data=data,
                       headers={"HX-Request": "true"}, follow_redirects=False)


def status_text(answer) -> str:
    """The status line's text, as the aria-live region will hold it."""
    assert answer.status_code == 200, answer.status_code
    fragment = soup(answer)
    for hidden in fragment.select("[data-hx-swap-oob], [aria-hidden=true]"):
        hidden.extract()
    return " ".join(fragment.get_text(" ").split())


def swapped(answer) -> dict[str, str]:
    """The hidden inputs the answer swaps into the form out of band: {id: value}."""
    return {element["id"]: element.get("value", "")
            for element in soup(answer).select("input[data-hx-swap-oob]")}


def differences(page) -> dict[str, tuple[str, str]]:
    """The conflict panel: {field title: (your version, saved version)}."""
    found = {}
    for block in page.select("#conflict .app-difference"):
        title = block.select_one("legend").get_text(" ", strip=True)
        mine = block.select_one(".app-version--mine .app-pre").get_text(" ", strip=True)
        theirs = block.select_one(".app-version--theirs .app-pre").get_text(" ", strip=True)
        found[title] = (mine, theirs)
    return found


@pytest.fixture
def other(engine, session):
    """A second social worker in the same team, in their own browser."""
    from app.main import app

    with TestClient(app) as alex:
        yield signed_in(alex, session, make_user(session, "alex"))


@pytest.fixture
def at_10_42(monkeypatch):
    monkeypatch.setattr(pages, "uk_now", lambda: datetime(2026, 3, 27, 10, 42))


# --- the page --------------------------------------------------------------------------------


def test_the_section_form_saves_itself_with_htmx_and_has_a_live_status_line(client):
    record_id = start(client)
    page = section_page(client, record_id, "header")
    form = page.select_one("main form")
    url = f"/strategies/{record_id}/sections/header"
    # With JavaScript off the form is the plain POST it always was.
    assert form["method"] == "post" and form["action"] == url
    assert form["data-hx-post"] == url + "/autosave"
    assert form["data-hx-trigger"] == "input delay:2s, change delay:2s"
    assert form["data-hx-sync"] == "this:queue all"
    assert form["data-hx-target"] == "#autosave-status"
    status = form.select_one("#autosave-status")
    assert status["role"] == "status" and status["aria-live"] == "polite"
    assert status.get_text(strip=True) == ""
    assert form.select_one("input#form-revision")["name"] == "revision"
    assert form.select_one("input#form-base")["name"] == "base"
    assert not any(name.startswith("hx-") for tag in page.find_all(True) for name in tag.attrs)
    assert page.select_one("script[src='/static/autosave.js']") is not None
    assert client.get("/static/autosave.js").status_code == 200


# --- autosave ----------------------------------------------------------------------------------


def test_autosave_saves_the_draft_says_when_and_updates_the_revision(client, session, at_10_42):
    record_id = start(client)
    page = section_page(client, record_id, "header")
    before = api_record(client, record_id)

    answer = autosave(client, record_id, "header",
                      replaced(form_data(page), {"header-chair": "Jo Bloggs, team manager"}))
    assert status_text(answer) == "Saved at 10:42"
    after = api_record(client, record_id)
    assert after["header"]["chair"] == "Jo Bloggs, team manager"
    assert after["revision"] == before["revision"] + 1
    hidden = swapped(answer)
    assert hidden["form-revision"] == str(after["revision"])
    assert hidden["form-base"] not in ("", page.select_one("#form-base")["value"])
    # The same base as a page opened now carries.
    assert hidden["form-base"] == section_page(client, record_id, "header").select_one(
        "#form-base")["value"]
    event = session.exec(select(AuditEvent).where(AuditEvent.record_id == record_id,
                                                  AuditEvent.action == "edited")
                         .order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.detail) == ("edited", "header (saved as they typed)")
    # Reloading the page shows what was saved.
    reloaded = section_page(client, record_id, "header")
    assert reloaded.select_one("#header-chair")["value"] == "Jo Bloggs, team manager"


def test_the_next_save_starts_from_the_autosaved_revision(client, at_10_42):
    record_id = start(client)
    page = section_page(client, record_id, "analysis")
    first = autosave(client, record_id, "analysis",
                     replaced(form_data(page), {"analysis-risks": "Bruising"}))
    hidden = swapped(first)
    # The browser swapped the hidden fields: the next autosave and the Save button use them.
    typed = replaced(form_data(page), {"analysis-risks": "Bruising to the arm",
                                       "revision": hidden["form-revision"],
                                       "base": hidden["form-base"]})
    second = autosave(client, record_id, "analysis", typed)
    assert status_text(second) == "Saved at 10:42"
    typed = replaced(typed, {"analysis-risks": "Bruising to the upper arm",
                             "revision": swapped(second)["form-revision"]})
    assert post_section(client, record_id, "analysis", typed).status_code == 303
    assert api_record(client, record_id)["analysis"]["risks"] == "Bruising to the upper arm"


def test_nothing_changed_saves_nothing(client):
    record_id = start(client)
    page = section_page(client, record_id, "analysis")
    revision = api_record(client, record_id)["revision"]
    answer = autosave(client, record_id, "analysis", form_data(page))
    assert status_text(answer) == "No changes to save"
    assert api_record(client, record_id)["revision"] == revision


def test_an_invalid_value_is_not_saved_and_named(client):
    record_id = start(client)
    page = section_page(client, record_id, "header")
    before = api_record(client, record_id)
    typed = replaced(form_data(page), {"header-chair": "Jo", "header-discussion_at-day": "31",
                                       "header-discussion_at-month": "2",
                                       "header-discussion_at-year": "2026",
                                       "header-discussion_at-time": "10:00"})
    answer = autosave(client, record_id, "header", typed)
    assert status_text(answer) == (
        "Not saved: Date and time of the discussion needs attention: go to the field")
    assert soup(answer).select_one("a")["href"] == "#header-discussion_at"
    assert swapped(answer) == {}
    assert api_record(client, record_id) == before


def test_an_invalid_row_value_names_its_row(client):
    record_id = start(client)
    page = section_page(client, record_id, "participants")
    typed = replaced(form_data(page), {"participants-0-name": "Ann",
                                       "participants-0-email": "not an address"})
    answer = autosave(client, record_id, "participants", typed)
    assert status_text(answer).startswith("Not saved: Email (participant 1) needs attention")
    assert api_record(client, record_id)["participants"] == []


def test_a_stale_autosave_overwrites_nothing_and_offers_both_versions(client, other):
    record_id = start(client)
    mine = section_page(client, record_id, "header")
    theirs = section_page(other, record_id, "header")
    assert post_section(other, record_id, "header",
                        replaced(form_data(theirs), {"header-chair": "Alex's chair"})
                        ).status_code == 303
    saved = api_record(client, record_id)

    typed = replaced(form_data(mine), {"header-chair": "Sam's chair"})
    answer = autosave(client, record_id, "header", typed)
    assert status_text(answer) == (
        "Warning Not saved: someone else saved this section after you opened this page. "
        "Nothing of theirs or yours has been overwritten. See both versions and choose")
    button = soup(answer).select_one("button")
    assert (button["type"], button["name"], button["value"]) == ("submit", "row-action", "save")
    assert swapped(answer) == {}
    assert api_record(client, record_id) == saved

    # The button posts the form as it is: the conflict page, with both versions.
    conflict = post_section(client, record_id, "header", typed)
    assert conflict.status_code == 409
    page = soup(conflict)
    assert differences(page) == {"Chair": ("Sam's chair", "Alex's chair")}
    assert "last saved by Alex" in page.select_one("#conflict").get_text(" ", strip=True)
    assert api_record(client, record_id) == saved


def test_autosave_waits_while_a_conflict_is_being_resolved(client, other):
    record_id = start(client)
    mine = section_page(client, record_id, "analysis")
    theirs = section_page(other, record_id, "analysis")
    post_section(other, record_id, "analysis",
                 replaced(form_data(theirs), {"analysis-risks": "Theirs"}))
    conflict = soup(post_section(client, record_id, "analysis",
                                 replaced(form_data(mine), {"analysis-risks": "Mine"})))
    saved = api_record(client, record_id)
    typed = replaced(form_data(conflict), {"keep-analysis-risks": "mine"})
    answer = autosave(client, record_id, "analysis", typed)
    assert status_text(answer) == (
        "Not saved automatically: choose which version of each field to keep above, then save.")
    assert api_record(client, record_id) == saved


def test_a_stale_autosave_of_another_section_saves(client, other, at_10_42):
    record_id = start(client)
    mine = section_page(client, record_id, "analysis")
    theirs = section_page(other, record_id, "header")
    post_section(other, record_id, "header",
                 replaced(form_data(theirs), {"header-chair": "Alex's chair"}))
    answer = autosave(client, record_id, "analysis",
                      replaced(form_data(mine), {"analysis-risks": "Mine"}))
    assert status_text(answer) == "Saved at 10:42"
    saved = api_record(client, record_id)
    assert saved["analysis"]["risks"] == "Mine" and saved["header"]["chair"] == "Alex's chair"


def test_a_signed_out_autosave_says_so_in_the_status_line(client):
    record_id = start(client)
    pairs = form_data(section_page(client, record_id, "analysis"))
    client.cookies.clear()
    answer = autosave(client, record_id, "analysis",
                      replaced(pairs, {"analysis-risks": "Typed after sign-out"}))
    assert status_text(answer) == (
        "Not saved: you have been signed out. Save the page to sign in again: what you have "
        "typed will be kept.")


def test_autosave_checks_who_may_change_the_record(client, session, engine):
    from app.main import app

    record_id = start(client)
    pairs = replaced(form_data(section_page(client, record_id, "analysis")),
                     {"analysis-risks": "Forged"})
    before = api_record(client, record_id)
    with TestClient(app) as police:
        signed_in(police, session, make_user(session, "pc", "partner", agency="police"))
        assert autosave(police, record_id, "analysis", pairs).status_code == 404
    with TestClient(app) as edt:
        signed_in(edt, session, make_user(session, "eddie", "edt_worker", team="EDT"))
        assert autosave(edt, record_id, "analysis", pairs).status_code == 404
    assert autosave(client, record_id, "no-such-section", pairs).status_code == 404
    assert autosave(client, 2**40, "analysis", pairs).status_code == 404
    assert api_record(client, record_id) == before


def test_a_cross_site_autosave_is_refused(client):
    record_id = start(client)
    pairs = replaced(form_data(section_page(client, record_id, "analysis")),
                     {"analysis-risks": "Forged"})
    before = api_record(client, record_id)
    answer = client.post(f"/strategies/{record_id}/sections/analysis/autosave",
                         data=dict(pairs), headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status_code == 403
    assert api_record(client, record_id) == before


@pytest.mark.parametrize("revision", ["", "abc", "1" * 40, "-1", "999"])
def test_a_forged_or_missing_revision_saves_nothing(client, revision):
    record_id = start(client)
    pairs = replaced(form_data(section_page(client, record_id, "analysis")),
                     {"analysis-risks": "Forged", "revision": revision, "base": "x" * 500})
    before = api_record(client, record_id)
    answer = autosave(client, record_id, "analysis", pairs)
    if revision == "999":
        assert status_text(answer).startswith("Warning Not saved: someone else saved")
    else:
        assert status_text(answer) == (
            "Not saved automatically: reload the page to carry on saving as you type.")
    assert api_record(client, record_id) == before


def test_a_finalised_record_is_not_autosaved(client):
    record_id = create(client, complete_record())
    page = section_page(client, record_id, "analysis")
    revision = api_record(client, record_id)["revision"]
    answer = client.post(f"/strategies/{record_id}/finalise",
                         data={"revision": str(revision), "confirmed": "yes"},
                         follow_redirects=False)
    assert answer.status_code == 303
    finalised = api_record(client, record_id)
    answer = autosave(client, record_id, "analysis",
                      replaced(form_data(page), {"analysis-risks": "Late"}))
    assert status_text(answer) == "Not saved: this record is no longer a draft."
    assert api_record(client, record_id) == finalised


# --- the conflict choice -------------------------------------------------------------------


def _conflict(client, other, record_id, slug, mine: dict, theirs: dict):
    """Both open the page; the other person saves first; then this one saves: the 409 page."""
    my_page = section_page(client, record_id, slug)
    their_page = section_page(other, record_id, slug)
    assert post_section(other, record_id, slug,
                        replaced(form_data(their_page), theirs)).status_code == 303
    answer = post_section(client, record_id, slug, replaced(form_data(my_page), mine))
    assert answer.status_code == 409
    return soup(answer)


def test_the_conflict_page_asks_only_about_fields_both_people_changed(client, other):
    record_id = start(client)
    page = _conflict(client, other, record_id, "header",
                     mine={"header-chair": "Sam", "header-format": "phone",
                           "header-request_reason": "Line one\r\nLine two",
                           "header-minute_taker": "Sam's minutes"},
                     theirs={"header-chair": "Alex", "header-minute_taker": "Alex's minutes",
                             "header-request_reason": "Line one\r\nLine two",
                             "header-csc_contact_name": "Alex Bell"})
    banner = page.select_one(".govuk-notification-banner").get_text(" ", strip=True)
    assert "Nothing is overwritten until you choose" in banner
    # An error page: "Error:" in its title and a summary (where focus goes) saying what to do.
    assert page.title.get_text().startswith("Error: ")
    assert error_summary(page) == {"#conflict": CONFLICT_SUMMARY}
    # The format only I changed, and the contact only they changed, are not asked about.
    assert differences(page) == {
        "Chair": ("Sam", "Alex"),
        "Minute-taker": ("Sam's minutes", "Alex's minutes"),
    }
    # Each choice is a pair of radios, neither chosen for them.
    for key in ("keep-header-chair", "keep-header-minute_taker"):
        radios = page.select(f"input[name='{key}']")
        assert [(r["type"], r["value"]) for r in radios] == [("radio", "mine"),
                                                             ("radio", "theirs")]
        assert not any(r.has_attr("checked") for r in radios)
        assert radios[0]["id"] == key
    assert page.select_one("input[name='conflict-revision']")["value"] == str(
        api_record(client, record_id)["revision"])
    # What was typed is still in the form below, at the revision it was opened at.
    assert page.select_one("#header-chair")["value"] == "Sam"
    assert revision_in(page) != str(api_record(client, record_id)["revision"])
    # Choosing keeps each side's one-sided change too.
    chosen = replaced(form_data(page), {"keep-header-chair": "theirs",
                                        "keep-header-minute_taker": "mine"})
    assert post_section(client, record_id, "header", chosen).status_code == 303
    header = api_record(client, record_id)["header"]
    assert (header["chair"], header["minute_taker"], header["format"],
            header["csc_contact_name"]) == ("Alex", "Sam's minutes", "phone", "Alex Bell")


def test_changes_to_different_fields_are_merged_without_asking(client, other):
    record_id = start(client)
    my_page = section_page(client, record_id, "header")
    their_page = section_page(other, record_id, "header")
    assert post_section(other, record_id, "header", replaced(
        form_data(their_page), {"header-chair": "Alex"})).status_code == 303
    answer = post_section(client, record_id, "header", replaced(
        form_data(my_page), {"header-minute_taker": "Sam's minutes"}))
    assert answer.status_code == 303
    header = api_record(client, record_id)["header"]
    assert (header["chair"], header["minute_taker"]) == ("Alex", "Sam's minutes")


def test_a_forged_opened_section_asks_about_every_difference(client, other):
    """The section as opened is checked against the page's digest: made up, it decides nothing."""
    record_id = start(client)
    my_page = section_page(client, record_id, "header")
    their_page = section_page(other, record_id, "header")
    assert post_section(other, record_id, "header", replaced(
        form_data(their_page), {"header-chair": "Alex"})).status_code == 303
    forged = json.dumps({"header-chair": "Alex"})
    answer = post_section(client, record_id, "header", replaced(
        form_data(my_page), {"header-minute_taker": "Sam's minutes", "opened": forged}))
    assert answer.status_code == 409
    assert set(differences(soup(answer))) == {"Chair", "Minute-taker"}


def test_saving_again_without_choosing_overwrites_nothing(client, other):
    record_id = start(client)
    page = _conflict(client, other, record_id, "analysis",
                     mine={"analysis-risks": "Mine"}, theirs={"analysis-risks": "Theirs"})
    saved = api_record(client, record_id)
    for button in ("save", "save-continue"):
        again = post_section(client, record_id, "analysis", form_data(page), action=button)
        assert again.status_code == 409
        assert error_summary(soup(again)) == {
            "#keep-analysis-risks": "Choose which version of Risks to keep"}
        again_page = soup(again)
        assert again_page.select_one("#keep-analysis-risks-error") is not None
        assert differences(again_page) == {"Risks": ("Mine", "Theirs")}
    # Even the stale page as first shown, without the conflict panel's fields.
    plain = [(k, v) for k, v in form_data(page) if k != "conflict-revision"]
    assert post_section(client, record_id, "analysis", plain).status_code == 409
    assert api_record(client, record_id) == saved


def test_choosing_per_field_keeps_each_version_chosen(client, other):
    record_id = start(client)
    page = _conflict(client, other, record_id, "header",
                     mine={"header-chair": "Sam", "header-minute_taker": "Sam's minutes",
                           "header-request_reason": "My reason"},
                     theirs={"header-chair": "Alex", "header-minute_taker": "Alex's minutes",
                             "header-request_reason": "Alex's reason"})
    assert set(differences(page)) == {"Chair", "Minute-taker", "Why it was requested"}
    chosen = replaced(form_data(page), {"keep-header-chair": "theirs",
                                        "keep-header-minute_taker": "mine",
                                        "keep-header-request_reason": "theirs"})
    answer = post_section(client, record_id, "header", chosen)
    assert answer.status_code == 303
    header = api_record(client, record_id)["header"]
    assert (header["chair"], header["minute_taker"], header["request_reason"]) == (
        "Alex", "Sam's minutes", "Alex's reason")


def test_keeping_all_of_mine_or_all_of_theirs(client, other):
    record_id = start(client)
    page = _conflict(client, other, record_id, "header",
                     mine={"header-chair": "Sam"}, theirs={"header-chair": "Alex"})
    saved = api_record(client, record_id)
    theirs = post_section(client, record_id, "header", form_data(page), action="keep-theirs")
    assert theirs.status_code == 303
    assert theirs.headers["location"] == f"/strategies/{record_id}/sections/header"
    assert api_record(client, record_id) == saved

    mine = post_section(client, record_id, "header", form_data(page), action="keep-mine")
    assert mine.status_code == 303
    assert api_record(client, record_id)["header"]["chair"] == "Sam"


def test_a_choice_made_against_an_older_save_is_asked_again(client, other):
    record_id = start(client)
    page = _conflict(client, other, record_id, "analysis",
                     mine={"analysis-risks": "Mine"}, theirs={"analysis-risks": "Theirs"})
    # While Sam chooses, Alex saves again.
    latest = section_page(other, record_id, "analysis")
    post_section(other, record_id, "analysis",
                 replaced(form_data(latest), {"analysis-risks": "Theirs, again"}))
    saved = api_record(client, record_id)
    chosen = replaced(form_data(page), {"keep-analysis-risks": "mine"})
    for action in ("save", "keep-mine"):
        answer = post_section(client, record_id, "analysis", chosen, action=action)
        assert answer.status_code == 409
        again = soup(answer)
        assert "saved this section again" in again.select_one(
            ".govuk-notification-banner").get_text(" ", strip=True)
        assert differences(again) == {"Risks": ("Mine", "Theirs, again")}
    assert api_record(client, record_id) == saved
    # Answering the new panel saves.
    final = replaced(form_data(again), {"keep-analysis-risks": "mine"})
    assert post_section(client, record_id, "analysis", final).status_code == 303
    assert api_record(client, record_id)["analysis"]["risks"] == "Mine"


def test_a_stale_save_of_a_section_nobody_else_changed_is_saved(client, other):
    record_id = start(client)
    mine = section_page(client, record_id, "analysis")
    theirs = section_page(other, record_id, "header")
    post_section(other, record_id, "header",
                 replaced(form_data(theirs), {"header-chair": "Alex"}))
    answer = post_section(client, record_id, "analysis",
                          replaced(form_data(mine), {"analysis-risks": "Mine"}))
    assert answer.status_code == 303
    saved = api_record(client, record_id)
    assert saved["analysis"]["risks"] == "Mine" and saved["header"]["chair"] == "Alex"


def _stored(session, record_id: int):
    session.expire_all()
    return session.get(StrategyRecord, record_id).content


def test_rows_are_compared_field_by_field(client, other):
    record_id = start(client)
    start_page = section_page(client, record_id, "participants")
    add = soup(post_section(client, record_id, "participants", form_data(start_page),
                            action="add"))
    assert post_section(client, record_id, "participants",
                        replaced(form_data(add), {"participants-0-name": "Ann",
                                                  "participants-0-role": "Teacher"})
                        ).status_code == 303

    my_page = section_page(client, record_id, "participants")
    their_page = section_page(other, record_id, "participants")
    grown = soup(post_section(other, record_id, "participants", form_data(their_page),
                              action="add"))
    theirs = replaced(form_data(grown), {"participants-0-name": "Ann Smith",
                                         "participants-1-name": "DC Evans",
                                         "participants-1-agency": "police"})
    assert post_section(other, record_id, "participants", theirs).status_code == 303

    answer = post_section(client, record_id, "participants",
                          replaced(form_data(my_page), {"participants-0-role": "Head teacher",
                                                        "participants-0-name": "Ann Jones"}))
    assert answer.status_code == 409
    page = soup(answer)
    # Only the name both changed is asked; my role and their new participant are kept.
    assert differences(page) == {"Name (participant 1)": ("Ann Jones", "Ann Smith")}
    chosen = replaced(form_data(page), {"keep-participants-0-name": "theirs"})
    assert post_section(client, record_id, "participants", chosen).status_code == 303
    people = api_record(client, record_id)["participants"]
    assert [(p["name"], p["role"], p["agency"]) for p in people] == [
        ("Ann Smith", "Head teacher", None), ("DC Evans", None, "police")]



def test_conflict_values_are_escaped(client, other):
    record_id = start(client)
    page = _conflict(client, other, record_id, "analysis",
                     mine={"analysis-risks": "<script>alert(1)</script>"},
                     theirs={"analysis-risks": "<b>bold</b>"})
    assert page.select_one("#conflict script") is None
    assert page.select_one("#conflict b") is None
    assert differences(page) == {"Risks": ("<script>alert(1)</script>", "<b>bold</b>")}


def test_a_held_form_keeps_its_revision_so_a_conflict_is_still_caught(client, other, session):
    """After signing in again, the held form carries the revision and base it was opened at."""
    from datetime import UTC, timedelta

    from app.auth.models import UserSession

    record_id = start(client)
    mine = section_page(client, record_id, "analysis")
    their_page = section_page(other, record_id, "analysis")
    post_section(other, record_id, "analysis",
                 replaced(form_data(their_page), {"analysis-risks": "Theirs"}))
    sam = session.exec(select(UserSession).order_by(UserSession.id)).first()
    sam.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.add(sam)
    session.commit()
    held = post_section(client, record_id, "analysis",
                        replaced(form_data(mine), {"analysis-risks": "Mine"}))
    assert held.status_code == 303 and "&held=" in held.headers["location"]
    token = re.search(r"held=([^&]+)", held.headers["location"]).group(1)
    signed_in(client, session, session.exec(select(User).where(User.username == "sam")).one())
    back = soup(client.get(f"/strategies/{record_id}/sections/analysis?held={token}"))
    assert back.select_one("#analysis-risks").get_text() == "Mine"
    assert revision_in(back) == revision_in(mine)
    assert back.select_one("#form-base")["value"] == mine.select_one("#form-base")["value"]
    answer = post_section(client, record_id, "analysis", form_data(back))
    assert answer.status_code == 409
    assert differences(soup(answer)) == {"Risks": ("Mine", "Theirs")}


def test_a_child_added_by_someone_else_and_kept_keeps_its_key(client, other, session):
    """A row kept whole from the saved version is that row, key and all (the experience page
    finds each child by its key)."""
    record_id = start(client)
    empty = section_page(client, record_id, "children")
    added = soup(post_section(client, record_id, "children", form_data(empty), action="add"))
    assert post_section(client, record_id, "children",
                        replaced(form_data(added), {"children-0-name": "Amelia"})
                        ).status_code == 303
    amelia_key = _stored(session, record_id).children[0].key

    my_page = section_page(client, record_id, "children")
    their_page = section_page(other, record_id, "children")
    grown = soup(post_section(other, record_id, "children", form_data(their_page),
                              action="add"))
    assert post_section(other, record_id, "children",
                        replaced(form_data(grown), {"children-1-name": "Jayden"})
                        ).status_code == 303
    jayden_key = _stored(session, record_id).children[1].key

    # Only I renamed Amelia and only they added Jayden: both kept, nobody asked.
    answer = post_section(client, record_id, "children",
                          replaced(form_data(my_page), {"children-0-name": "Amelia Smith"}))
    assert answer.status_code == 303
    children = _stored(session, record_id).children
    assert [(c.name, c.key) for c in children] == [("Amelia Smith", amelia_key),
                                                   ("Jayden", jayden_key)]
