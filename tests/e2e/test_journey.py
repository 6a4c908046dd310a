"""In a real browser: the realistic record of issue 13 (two children, one a baby; six people,
one by phone and one by email outside the meeting; six agencies) recorded from "new record" to
finalised with save and continue, in at most 15 page loads and with no agency typed twice.
Also where focus goes and what is announced after a row is added or removed."""

from datetime import timedelta

from playwright.sync_api import expect

from app.rules.workdays import add_working_days
from tests.builders import discussion_time
from tests.e2e.conftest import PASSWORD
from tests.e2e.filling import date_boxes, experience, positions, radio, save_and_continue
from tests.e2e.realistic import PEOPLE, SCHOOL

PAGE_LOADS_ALLOWED = 15


def _sign_in(page, base):
    page.goto(f"{base}/strategies")
    page.get_by_label("Username").fill("e2e")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/strategies")


def _add_row(page, noun, first_field):
    button = page.get_by_role("button", name=f"Add another {noun}")
    if not button.count():
        button = page.get_by_role("button", name=f"Add an {noun}").or_(
            page.get_by_role("button", name=f"Add a {noun}"))
    button.click()
    expect(page.locator(f"#{first_field}")).to_be_focused()


def test_the_realistic_record_in_at_most_15_page_loads(server, browser):
    page = browser.new_page()
    _sign_in(page, server)
    loads = []
    page.on("load", lambda: loads.append(page.url))
    at = discussion_time()
    day = at.date()

    page.get_by_role("button", name="Start a new strategy record").click()
    page.get_by_role("link", name="Discussion details").click()
    page.wait_for_url(f"{server}/strategies/*/sections/header")

    # Discussion details.
    date_boxes(page, "header-concern_at", day, "07:30")
    date_boxes(page, "header-discussion_at", day, "10:00")
    radio(page, "header-format", "mixed")
    radio(page, "header-sequence", "first")
    page.fill("#header-chair", "Priya Shah, Team Manager")
    page.fill("#header-minute_taker", "Tom Reed, Business Support")
    page.fill("#header-csc_contact_name", "Alex Morgan, Social Worker")
    page.fill("#header-csc_contact_phone", "01632 960 111")
    radio(page, "header-led_by", "day_team")
    page.select_option("#header-requested_by", "school")
    save_and_continue(page, server, "children")

    # Two children, one a baby: rows added in place (htmx), focus on each new row's name.
    _add_row(page, "child", "children-0-name")
    page.keyboard.type("Jayden Smith")
    date_boxes(page, "children-0-date_of_birth", day.replace(year=day.year - 7))
    radio(page, "children-0-communication", "verbal")
    page.fill("#children-0-address", "14 Mill Lane, Anytown")
    page.fill("#children-0-household", "Kelly Smith (mother), Dean Smith (father)")
    _add_row(page, "child", "children-1-name")
    page.keyboard.type("Amelia Smith")
    date_boxes(page, "children-1-date_of_birth", day - timedelta(days=240))
    radio(page, "children-1-communication", "pre_verbal")
    page.fill("#children-1-address", "As Jayden")
    save_and_continue(page, server, "grounds")

    page.fill("#grounds-summary", "Fingertip bruising to Jayden's upper arm, seen at school.")
    page.fill("#grounds-source", "Riverside Primary School")
    page.locator("input[name='grounds-categories'][value='physical']").check()
    save_and_continue(page, server, "injuries")
    save_and_continue(page, server, "participants")  # no injuries seen: nothing to add

    for index, (name, agency, role, mode, phone, email, outside) in enumerate(PEOPLE):
        _add_row(page, "participant", f"participants-{index}-name")
        page.keyboard.type(name)
        prefix = f"participants-{index}"
        page.select_option(f"#{prefix}-agency", agency)
        if agency == "school":  # two schools in the directory: say which
            page.select_option(f"#{prefix}-organisation_id", label=SCHOOL)
        page.fill(f"#{prefix}-role", role)
        radio(page, f"{prefix}-mode", mode)
        if phone:
            page.fill(f"#{prefix}-phone", phone)
        if email:
            page.fill(f"#{prefix}-email", email)
        if outside:
            date_boxes(page, f"{prefix}-contributed_at", day, "09:15")
            page.fill(f"#{prefix}-relayed_by", "Priya Shah")
    expect(page.locator("#app-announce")).to_have_text("Participant 6 added")
    save_and_continue(page, server, "agency-positions")

    # The six agencies are carried over from the people: only their positions are chosen.
    for index, (_, agency, *_) in enumerate(PEOPLE):
        assert page.locator(f"#agency_positions-{index}-agency").input_value() == agency
    positions(page)
    save_and_continue(page, server, "experience")

    experience(page, day)
    save_and_continue(page, server, "analysis")
    page.fill("#analysis-risks", "Physical harm from father; domestic abuse at home")
    page.fill("#analysis-strengths", "Mother is protective and engaged with health visiting")
    save_and_continue(page, server, "decision")
    radio(page, "decision-outcome", "s47_single")
    page.fill("#decision-reasons", "Reasonable cause to suspect significant harm to both")
    save_and_continue(page, server, "actions")
    # The update-all-agencies date is already offered: nothing to type.
    assert page.locator("#actions-0-due_date").input_value() != ""
    save_and_continue(page, server, "next-steps")
    icpc = add_working_days(day, 10)
    date_boxes(page, "next_steps-icpc_date", icpc)
    save_and_continue(page, server, "distribution")
    # Every organisation involved is ticked already: one of each kind, and the school named.
    ticked = page.locator("input[name=distribution]:checked")
    assert ticked.count() == 5
    labels = {page.locator(f"label[for='{ticked.nth(i).get_attribute('id')}']").inner_text()
              for i in range(5)}
    assert SCHOOL in labels
    assert "Hillside Academy (School or college)" not in labels
    save_and_continue(page, server, None)

    page.get_by_label("I have checked the record").check()
    page.get_by_role("button", name="Finalise the record").click()
    page.wait_for_url(f"{server}/strategies/*?finalised=yes")
    page.wait_for_load_state()
    assert page.locator("#finalised-panel h2").inner_text() == "Record finalised"
    print(f"page loads: {len(loads)}")
    assert len(loads) <= PAGE_LOADS_ALLOWED, loads
    page.close()


def test_removing_a_row_focuses_the_list_heading_and_says_so(server, browser):
    page = browser.new_page()
    _sign_in(page, server)
    page.get_by_role("button", name="Start a new strategy record").click()
    page.wait_for_url(f"{server}/strategies/*")
    page.goto(f"{page.url}/sections/participants")
    _add_row(page, "participant", "participants-0-name")
    expect(page.locator("#app-announce")).to_have_text("Participant 1 added")
    _add_row(page, "participant", "participants-1-name")
    page.get_by_role("button", name="Remove participant 1").click()
    expect(page.locator("#participants-heading")).to_be_focused()
    expect(page.locator("#app-announce")).to_have_text("Participant 1 removed")
    assert page.locator("#participants-heading").inner_text() == "1 participant"
    page.close()


def test_without_javascript_the_page_returns_to_the_new_row(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, server)
    page.get_by_role("button", name="Start a new strategy record").click()
    page.wait_for_url(f"{server}/strategies/*")
    section = f"{page.url}/sections/children"
    page.goto(section)
    # No script, no buttons that need it.
    assert not page.get_by_role("button", name="Now: fill in the date and time").count()
    page.get_by_role("button", name="Add a child").click()
    page.wait_for_url(f"{section}#children-0")
    page.get_by_role("button", name="Add another child").click()
    page.wait_for_url(f"{section}#children-1")
    assert page.locator("#children-1-name").count() == 1
    page.get_by_role("button", name="Remove child 1").click()
    page.wait_for_url(f"{section}#children-heading")
    assert page.locator("#children-heading").inner_text() == "1 child"
    context.close()
