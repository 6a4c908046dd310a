"""In a real browser, under the app's own Content-Security-Policy: a whole journey (rows added
and removed in every repeating section, autosave, validation errors, finalising, the
follow-up page, the actions tracker, and the manager's page, review and authorisation)
without a single policy violation, whether reported on the console or to the page's
securitypolicyviolation listener."""

from datetime import timedelta

from app.rules.workdays import add_working_days
from tests.builders import discussion_time
from tests.e2e.conftest import sign_in
from tests.e2e.filling import date_boxes, experience, positions, radio, save_and_continue
from tests.e2e.realistic import PEOPLE, SCHOOL, PolicyWatch


def _add(page, field, index):
    """A row added in place (htmx): its first field has focus once it is swapped in."""
    page.locator(f"#{field} > button[value=add]").click()
    page.locator(f"#{field}-{index}").wait_for()


def _remove(page, field, index):
    page.locator(f"#{field}-{index} button.app-remove").click()
    page.locator(f"#{field}-heading:focus").wait_for()


def _error_summary(page):
    page.locator(".govuk-error-summary").wait_for()


def test_a_whole_journey_breaks_no_policy(manager_server, browser, tmp_path):
    server = manager_server
    context = browser.new_context()
    watch = PolicyWatch(context)
    page = context.new_page()
    day = discussion_time().date()
    sign_in(page, server)
    page.get_by_role("button", name="Start a new strategy record").click()
    page.wait_for_url(f"{server}/strategies/*")
    record_url = page.url

    # Discussion details, first with a time that does not exist: the error summary.
    page.goto(f"{record_url}/sections/header")
    date_boxes(page, "header-concern_at", day, "25:00")
    page.get_by_role("button", name="Save and continue").click()
    _error_summary(page)
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

    for index in range(3):
        _add(page, "children", index)
    # A screenshot as tools take them: Playwright hides the caret with a style attribute on
    # every field, which htmx must not copy onto the rows it swaps in.
    page.screenshot(path=str(tmp_path / "children.png"))
    _remove(page, "children", 2)
    page.fill("#children-0-name", "Jayden Smith")
    date_boxes(page, "children-0-date_of_birth", day.replace(year=day.year - 7))
    radio(page, "children-0-communication", "verbal")
    page.fill("#children-0-address", "14 Mill Lane, Anytown")
    page.fill("#children-0-household", "Kelly Smith (mother), Dean Smith (father)")
    page.fill("#children-1-name", "Amelia Smith")
    date_boxes(page, "children-1-date_of_birth", day - timedelta(days=240))
    radio(page, "children-1-communication", "pre_verbal")
    page.fill("#children-1-address", "As Jayden")
    save_and_continue(page, server, "grounds")

    page.fill("#grounds-summary", "Fingertip bruising to Jayden's upper arm, seen at school.")
    page.fill("#grounds-source", "Riverside Primary School")
    page.locator("input[name='grounds-categories'][value='physical']").check()
    save_and_continue(page, server, "injuries")

    _add(page, "injuries", 0)
    _add(page, "injuries", 1)
    _remove(page, "injuries", 1)
    page.select_option("#injuries-0-child_key", label="Jayden Smith")
    page.select_option("#injuries-0-area", "left_arm")
    radio(page, "injuries-0-side", "front")
    page.fill("#injuries-0-description", "Four oval bruises in a row, like fingertips")
    page.fill("#injuries-0-size", "1 cm each")
    page.fill("#injuries-0-colour", "Blue-purple")
    page.fill("#injuries-0-seen_by", "Ann Jones, DSL")
    date_boxes(page, "injuries-0-seen_on", day)
    save_and_continue(page, server, "participants")

    for index, (name, agency, role, mode, phone, email, outside) in enumerate(PEOPLE):
        _add(page, "participants", index)
        prefix = f"participants-{index}"
        page.fill(f"#{prefix}-name", name)
        page.select_option(f"#{prefix}-agency", agency)
        if agency == "school":
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
    _add(page, "participants", 6)
    _remove(page, "participants", 6)
    save_and_continue(page, server, "agency-positions")

    _add(page, "agency_positions", 6)  # carried-over rows, one more, and that one removed
    _remove(page, "agency_positions", 6)
    positions(page)
    save_and_continue(page, server, "experience")

    experience(page, day)
    save_and_continue(page, server, "analysis")

    # Autosave, saved; then a date autosave cannot save, and says so.
    page.fill("#analysis-risks", "Physical harm from father; domestic abuse at home")
    page.locator("#autosave-status").get_by_text("Saved at").wait_for(timeout=15_000)
    page.fill("#analysis-strengths", "Mother is protective and engaged with health visiting")
    save_and_continue(page, server, "decision")
    radio(page, "decision-outcome", "s47_single")
    page.fill("#decision-reasons", "Reasonable cause to suspect significant harm to both")
    save_and_continue(page, server, "actions")

    _add(page, "actions", 1)
    _add(page, "actions", 2)
    _remove(page, "actions", 2)
    page.fill("#actions-1-description", "Arrange a child protection medical for Jayden")
    page.fill("#actions-1-owner", "Alex Morgan")
    page.select_option("#actions-1-agency", "hospital")
    date_boxes(page, "actions-1-due_date", day + timedelta(days=1))
    radio(page, "actions-1-status", "open")
    save_and_continue(page, server, "next-steps")

    page.fill("#next_steps-icpc_date", "31")
    page.fill("#next_steps-icpc_date-month", "2")
    page.fill("#next_steps-icpc_date-year", str(day.year))
    page.locator("#autosave-status").get_by_text("go to the field").wait_for(timeout=15_000)
    icpc = add_working_days(day, 10)
    for part, value in [("", icpc.day), ("-month", icpc.month), ("-year", icpc.year)]:
        page.fill(f"#next_steps-icpc_date{part}", str(value))
    save_and_continue(page, server, "distribution")
    save_and_continue(page, server, None)

    # Finalising, first without the box ticked: the error summary.
    page.get_by_role("button", name="Finalise the record").click()
    _error_summary(page)
    page.get_by_label("I have checked the record").check()
    page.get_by_role("button", name="Finalise the record").click()
    page.wait_for_url(f"{server}/strategies/*?finalised=yes")

    # The follow-up page: progress recorded with nothing chosen, then an action done.
    assert page.goto(f"{record_url}/follow-up").ok
    form = page.locator("form.app-action-form").first
    form.get_by_role("button", name="Record progress").click()
    _error_summary(page)
    assert page.goto(f"{server}/actions").ok
    assert page.locator("main").get_by_text("Arrange a child protection medical").count()

    # The manager: their page, the record's review (a refused return, then authorised).
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, server, "e2e-manager")
    assert page.goto(f"{server}/manager").ok
    assert page.goto(f"{record_url}/follow-up").ok
    page.get_by_role("button", name="Return to the author").click()
    _error_summary(page)
    page.get_by_role("button", name="Authorise this record").click()
    page.locator("#authorised").wait_for()
    assert page.goto(f"{server}/actions").ok

    violations = watch.violations(page)
    assert violations == [], "\n".join(violations)
    context.close()


def test_the_watch_hears_a_violation(manager_server, browser):
    """The control: a style attribute set by script is reported both ways."""
    context = browser.new_context()
    watch = PolicyWatch(context)
    page = context.new_page()
    page.goto(f"{manager_server}/sign-in")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("window.cspViolations.length > 0")
    violations = watch.violations(page)
    assert any("Content Security Policy" in v for v in violations), violations
    assert any("securitypolicyviolation style-src-attr" in v for v in violations), violations
    context.close()
