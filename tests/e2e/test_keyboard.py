"""In a real browser, with the keyboard alone (Tab, Shift+Tab, typing, Enter, Space, arrow
keys; never the mouse): the realistic record from signing in to finalised and downloaded.
After every change made in place (a row added or removed, an autosave, a conflict, an error
summary) focus is on something shown and sensible, never lost to the page's body; and the
focused element shows GOV.UK's yellow focus indicator."""

import os
from datetime import timedelta
from pathlib import Path

from app.rules.workdays import add_working_days
from tests.builders import discussion_time
from tests.e2e.conftest import PASSWORD
from tests.e2e.keys import (
    choose,
    date,
    expect_focus,
    focused,
    has_focus_style,
    option_value,
    press_button,
    select,
    tab_to,
    tick,
    type_into,
)
from tests.e2e.realistic import PEOPLE, SCHOOL, PolicyWatch, someone_else_saves
from tests.pdf_helpers import pages_text

SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "/tmp/e2e-screenshots"))


def _shot(page, name):
    """A picture to look at (not compared), with the caret shown as a person sees it."""
    page.screenshot(path=str(SHOTS / name), caret="initial")


def _continue(page, server, slug):
    tab_to(page, "button[value=save-continue]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    said = page.locator(".govuk-error-summary, #conflict")
    assert not said.count(), said.first.inner_text()  # refused: say why
    page.wait_for_url(f"{server}/strategies/*/sections/{slug}" if slug else
                      f"{server}/strategies/*#*")


def _open_section(page, slug):
    """From the task list, the section's link."""
    tab_to(page, f"#task-list a[href$='/sections/{slug}']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sections/*")


def _add_row(page, field, index, first=None):
    """Enter on the "Add" button: the new row is swapped in and focus is on its first field."""
    press_button(page, f"#{field} > button[value=add]")
    expect_focus(page, first or f"#{field}-{index}-name")


def _sign_in(page, server):
    page.goto(f"{server}/strategies")
    page.wait_for_url(f"{server}/sign-in**")
    type_into(page, "#username", "e2e")
    page.keyboard.press("Tab")
    expect_focus(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/strategies")


def test_the_realistic_record_with_the_keyboard_alone(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(accept_downloads=True)
    watch = PolicyWatch(context)
    page = context.new_page()
    at = discussion_time()
    day = at.date()
    _sign_in(page, server)

    press_button(page, "form[action='/strategies'] button")
    page.wait_for_url(f"{server}/strategies/*")
    record_url = page.url
    _open_section(page, "header")

    # Discussion details: the first field shows the focus indicator.
    date(page, "header-concern_at", day, "07:30")
    tab_to(page, "#header-concern_at")
    assert has_focus_style(page), focused(page)
    _shot(page, "kbd-focus-date.png")
    date(page, "header-discussion_at", day, "10:00")
    choose(page, "header-format", "mixed")
    choose(page, "header-sequence", "first")
    type_into(page, "#header-chair", "Priya Shah, Team Manager")
    type_into(page, "#header-minute_taker", "Tom Reed, Business Support")
    type_into(page, "#header-csc_contact_name", "Alex Morgan, Social Worker")
    type_into(page, "#header-csc_contact_phone", "01632 960 111")
    choose(page, "header-led_by", "day_team")
    select(page, "#header-requested_by", "school")
    _continue(page, server, "children")

    # Two children, one a baby; a third added by mistake and removed.
    _add_row(page, "children", 0)
    page.keyboard.type("Jayden Smith")
    date(page, "children-0-date_of_birth", day.replace(year=day.year - 7))
    choose(page, "children-0-communication", "verbal")
    type_into(page, "#children-0-person_id", "4410235")
    type_into(page, "#children-0-address", "14 Mill Lane, Anytown")
    type_into(page, "#children-0-household", "Kelly Smith (mother), Dean Smith (father)")
    _add_row(page, "children", 1)
    page.keyboard.type("Amelia Smith")
    date(page, "children-1-date_of_birth", day - timedelta(days=240))
    choose(page, "children-1-communication", "pre_verbal")
    type_into(page, "#children-1-person_id", "4410236")
    type_into(page, "#children-1-address", "As Jayden")
    _add_row(page, "children", 2)
    assert has_focus_style(page), focused(page)
    _shot(page, "kbd-focus-added-row.png")
    press_button(page, "#children-2 button.app-remove")
    expect_focus(page, "#children-heading")
    assert has_focus_style(page), focused(page)
    _shot(page, "kbd-focus-removed-row.png")
    assert page.locator("#children-heading").inner_text() == "2 children"
    assert page.locator("#app-announce").inner_text() == "Child 3 removed"
    _continue(page, server, "grounds")

    type_into(page, "#grounds-summary", "Fingertip bruising to Jayden's upper arm, seen at "
              "school.")
    type_into(page, "#grounds-source", "Riverside Primary School")
    tick(page, "#grounds-categories")  # physical abuse, the first
    choose(page, "grounds-referrer_kind", "professional")
    select(page, "#grounds-referrer_agency", "school")
    type_into(page, "#grounds-referrer_discussed_with", "Ann Jones, DSL, this morning")
    type_into(page, "#grounds-referrer_name", "Ann Jones")
    press_button(page, "button[data-app-fill='grounds-referrer_informed_on']")  # "Today"
    assert page.locator("#grounds-referrer_informed_on-year").input_value() != ""
    type_into(page, "#grounds-referrer_informed_how", "By phone to the referrer")
    _continue(page, server, "injuries")

    # The bruise, on the body map.
    _add_row(page, "injuries", 0, first="#injuries-0-child_key")
    select(page, "#injuries-0-child_key",
           option_value(page, "#injuries-0-child_key", "Jayden Smith"))
    select(page, "#injuries-0-area", "left_arm")
    choose(page, "injuries-0-side", "front")
    type_into(page, "#injuries-0-description", "Four oval bruises in a row, like fingertips")
    type_into(page, "#injuries-0-size", "1 cm each")
    type_into(page, "#injuries-0-colour", "Blue-purple")
    type_into(page, "#injuries-0-seen_by", "Ann Jones, DSL")
    date(page, "injuries-0-seen_on", day)
    _continue(page, server, "participants")

    for index, (name, agency, role, mode, phone, email, outside) in enumerate(PEOPLE):
        _add_row(page, "participants", index)
        page.keyboard.type(name)
        prefix = f"participants-{index}"
        select(page, f"#{prefix}-agency", agency)
        if agency == "school":  # two schools in the directory: say which
            select(page, f"#{prefix}-organisation_id",
                   option_value(page, f"#{prefix}-organisation_id", SCHOOL))
        type_into(page, f"#{prefix}-role", role)
        choose(page, f"{prefix}-mode", mode)
        if phone:
            type_into(page, f"#{prefix}-phone", phone)
        if email:
            type_into(page, f"#{prefix}-email", email)
        if outside:
            date(page, f"{prefix}-contributed_at", day, "09:15")
            type_into(page, f"#{prefix}-relayed_by", "Priya Shah")
    assert page.locator("#app-announce").inner_text() == "Participant 6 added"
    _continue(page, server, "agency-positions")

    for index, (_, agency, *_) in enumerate(PEOPLE):
        assert page.locator(f"#agency_positions-{index}-agency").input_value() == agency
    choose(page, "agency_positions-0-position", "has_concerns")
    type_into(page, "#agency_positions-0-concerns", "Injury and a history of domestic abuse")
    choose(page, "agency_positions-1-position", "has_concerns")
    type_into(page, "#agency_positions-1-concerns", "Domestic incident at the address last month")
    for index in range(2, 6):
        choose(page, f"agency_positions-{index}-position", "no_concerns")
    _continue(page, server, "experience")

    choose(page, "children-0-seen", "yes")
    press_button(page, "button[data-app-fill='children-0-seen_at']")  # "Now"
    expect_focus(page, "button[data-app-fill='children-0-seen_at']")
    type_into(page, "#children-0-seen_by", "Ann Jones, DSL")
    type_into(page, "#children-0-voice", "Jayden said: 'Dad grabbed me when I spilt my drink.'")
    choose(page, "children-1-seen", "yes")
    date(page, "children-1-seen_at", day, "08:30")
    type_into(page, "#children-1-seen_by", "Sam Lee, Health Visitor")
    type_into(page, "#children-1-observed_care", "Feeding and sleep routines described "
              "consistently; bottle prepared correctly during the visit")
    type_into(page, "#children-1-observed_presentation", "Clean and dressed for the weather, "
              "alert, no marks seen")
    type_into(page, "#children-1-observed_interaction", "Settled in her mother's arms and "
              "smiling at her; startled when her father raised his voice")
    type_into(page, "#children-1-observed_by", "Sam Lee, Health Visitor")
    date(page, "children-1-observed_at", day, "08:30")
    _continue(page, server, "analysis")

    # Autosave: focus stays where the typing is.
    type_into(page, "#analysis-risks", "Physical harm from father")
    page.locator("#autosave-status").get_by_text("Saved at").wait_for(timeout=15_000)
    expect_focus(page, "#analysis-risks")
    # Someone else saves meanwhile: the next autosave says so, and focus still stays.
    someone_else_saves(server, record_url, "analysis",
                       {"analysis-risks": "Physical harm from father",
                        "analysis-strengths": "Mother engaged with health visiting"})
    type_into(page, "#analysis-strengths", "Mother is protective")
    page.locator("#autosave-status").get_by_text("someone else saved this section").wait_for(
        timeout=15_000)
    expect_focus(page, "#analysis-strengths")
    # The next Tab reaches the button that shows both versions.
    page.keyboard.press("Tab")
    expect_focus(page, "#autosave-status button")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect_focus(page, ".govuk-error-summary")  # the conflict, not the top of the page
    choose(page, "keep-analysis-strengths", "mine")
    press_button(page, "#conflict button[value=save]")
    page.wait_for_url(f"{record_url}#analysis")
    _open_section(page, "decision")

    choose(page, "decision-outcome", "s47_single")
    type_into(page, "#decision-reasons", "Reasonable cause to suspect significant harm to both")
    choose(page, "decision-legal_advice", "no")
    type_into(page, "#decision-cannot_see_contingency", "Police welfare check the same day")
    choose(page, "decision-family_informed", "yes")
    choose(page, "decision-child_informed", "yes")
    type_into(page, "#decision-family_detail", "Alex Morgan tells the mother today at 4pm")
    _continue(page, server, "actions")

    # The update-all-agencies date is already offered; one more action, added in place.
    assert page.locator("#actions-0-due_date").input_value() != ""
    _add_row(page, "actions", 1, first="#actions-1-description")
    page.keyboard.type("Arrange a child protection medical for Jayden")
    type_into(page, "#actions-1-owner", "Alex Morgan")
    select(page, "#actions-1-agency", "hospital")
    date(page, "actions-1-due_date", day + timedelta(days=1))
    choose(page, "actions-1-status", "open")
    _continue(page, server, "next-steps")

    # A date that does not exist: autosave says so, and focus stays where the typing is; its
    # link goes to the field.
    icpc = add_working_days(day, 10)
    date(page, "next_steps-icpc_date", icpc.replace(month=2, day=28))
    type_into(page, "#next_steps-icpc_date", "31", replace=True)  # 31 February
    page.locator("#autosave-status").get_by_text("go to the field").wait_for(timeout=15_000)
    expect_focus(page, "#next_steps-icpc_date")
    press_button(page, "#autosave-status a")
    expect_focus(page, "#next_steps-icpc_date")
    # Saved with Enter: the error summary has focus, and its link then the field.
    page.keyboard.press("Enter")  # Enter in a field saves
    page.wait_for_load_state()
    expect_focus(page, ".govuk-error-summary")
    assert has_focus_style(page), focused(page)
    page.keyboard.press("Tab")
    expect_focus(page, ".govuk-error-summary a")
    page.keyboard.press("Enter")
    expect_focus(page, "#next_steps-icpc_date")
    date(page, "next_steps-icpc_date", icpc)
    _continue(page, server, "distribution")

    assert page.locator("input[name=distribution]:checked").count() == 5
    _continue(page, server, None)

    # The summary names Jayden, and is printed in Amelia's own copy: written for hers.
    warning = "Summary of the concern names Jayden, and is printed in Amelia Smith's own copy"
    assert warning in page.locator("#warnings").inner_text()
    _open_section(page, "child-wording")
    _add_row(page, "child_passages", 0, first="#child_passages-0-child_key")
    select(page, "#child_passages-0-child_key",
           option_value(page, "#child_passages-0-child_key", "Amelia Smith"))
    select(page, "#child_passages-0-passage", "grounds.summary")
    type_into(page, "#child_passages-0-text", "Fingertip bruising to her brother's upper arm, "
              "seen at his school.")
    press_button(page, ".govuk-button-group > button[value=save]")
    page.wait_for_url(f"{record_url}#child-wording")
    assert page.locator("#warnings").count() == 0, page.locator("#warnings").inner_text()

    tick(page, "#confirmed")
    press_button(page, "form[action$='/finalise'] button")
    page.wait_for_url(f"{server}/strategies/*?finalised=yes")
    page.wait_for_load_state()
    assert page.locator("#finalised-panel h2").inner_text() == "Record finalised"

    tab_to(page, "#downloads a")
    assert has_focus_style(page), focused(page)
    _shot(page, "kbd-focus-download.png")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    text = " ".join(pages_text(Path(download.value.path()).read_bytes()))
    assert "Jayden Smith" in text and "Amelia Smith" in text
    assert "Four oval bruises in a row" in text
    violations = watch.violations(page)
    assert violations == [], "\n".join(violations)
    context.close()
