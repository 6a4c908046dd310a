"""In a real browser, under the app's own Content-Security-Policy: a whole journey (rows added
and removed in every repeating section, autosave, validation errors, finalising, the
follow-up page, the actions tracker, and the manager's page, review and authorisation)
without a single policy violation, whether reported on the console or to the page's
securitypolicyviolation listener."""

from datetime import timedelta

from app.rules.workdays import add_working_days
from tests.builders import discussion_time
from tests.e2e.conftest import sign_in
from tests.e2e.realistic import PEOPLE, SCHOOL, PolicyWatch


def _date(page, key, day, time=None):
    page.fill(f"#{key}", f"{day.day}/{day.month}/{day.year}")  # the whole date in the day box
    if time is not None:
        page.fill(f"#{key}-time", time)


def _radio(page, name, value):
    page.locator(f"input[name='{name}'][value='{value}']").check()


def _continue(page, server, slug):
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(f"{server}/strategies/*/sections/{slug}" if slug else
                      f"{server}/strategies/*#*")
    page.wait_for_load_state()


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
    _date(page, "header-concern_at", day, "25:00")
    page.get_by_role("button", name="Save and continue").click()
    _error_summary(page)
    _date(page, "header-concern_at", day, "07:30")
    _date(page, "header-discussion_at", day, "10:00")
    _radio(page, "header-format", "mixed")
    _radio(page, "header-sequence", "first")
    page.fill("#header-chair", "Priya Shah, Team Manager")
    page.fill("#header-minute_taker", "Tom Reed, Business Support")
    page.fill("#header-csc_contact_name", "Alex Morgan, Social Worker")
    page.fill("#header-csc_contact_phone", "01632 960 111")
    _radio(page, "header-led_by", "day_team")
    page.select_option("#header-requested_by", "school")
    _continue(page, server, "children")

    for index in range(3):
        _add(page, "children", index)
    # A screenshot as tools take them: Playwright hides the caret with a style attribute on
    # every field, which htmx must not copy onto the rows it swaps in.
    page.screenshot(path=str(tmp_path / "children.png"))
    _remove(page, "children", 2)
    page.fill("#children-0-name", "Jayden Smith")
    _date(page, "children-0-date_of_birth", day.replace(year=day.year - 7))
    _radio(page, "children-0-communication", "verbal")
    page.fill("#children-0-address", "14 Mill Lane, Anytown")
    page.fill("#children-0-household", "Kelly Smith (mother), Dean Smith (father)")
    page.fill("#children-1-name", "Amelia Smith")
    _date(page, "children-1-date_of_birth", day - timedelta(days=240))
    _radio(page, "children-1-communication", "pre_verbal")
    page.fill("#children-1-address", "As Jayden")
    _continue(page, server, "grounds")

    page.fill("#grounds-summary", "Fingertip bruising to Jayden's upper arm, seen at school.")
    page.fill("#grounds-source", "Riverside Primary School")
    page.locator("input[name='grounds-categories'][value='physical']").check()
    _continue(page, server, "injuries")

    _add(page, "injuries", 0)
    _add(page, "injuries", 1)
    _remove(page, "injuries", 1)
    page.select_option("#injuries-0-child_key", label="Jayden Smith")
    page.select_option("#injuries-0-area", "left_arm")
    _radio(page, "injuries-0-side", "front")
    page.fill("#injuries-0-description", "Four oval bruises in a row, like fingertips")
    page.fill("#injuries-0-size", "1 cm each")
    page.fill("#injuries-0-colour", "Blue-purple")
    page.fill("#injuries-0-seen_by", "Ann Jones, DSL")
    _date(page, "injuries-0-seen_on", day)
    _continue(page, server, "participants")

    for index, (name, agency, role, mode, phone, email, outside) in enumerate(PEOPLE):
        _add(page, "participants", index)
        prefix = f"participants-{index}"
        page.fill(f"#{prefix}-name", name)
        page.select_option(f"#{prefix}-agency", agency)
        if agency == "school":
            page.select_option(f"#{prefix}-organisation_id", label=SCHOOL)
        page.fill(f"#{prefix}-role", role)
        _radio(page, f"{prefix}-mode", mode)
        if phone:
            page.fill(f"#{prefix}-phone", phone)
        if email:
            page.fill(f"#{prefix}-email", email)
        if outside:
            _date(page, f"{prefix}-contributed_at", day, "09:15")
            page.fill(f"#{prefix}-relayed_by", "Priya Shah")
    _add(page, "participants", 6)
    _remove(page, "participants", 6)
    _continue(page, server, "agency-positions")

    _add(page, "agency_positions", 6)  # carried-over rows, one more, and that one removed
    _remove(page, "agency_positions", 6)
    _radio(page, "agency_positions-0-position", "has_concerns")
    page.fill("#agency_positions-0-concerns", "Injury and a history of domestic abuse")
    _radio(page, "agency_positions-1-position", "has_concerns")
    page.fill("#agency_positions-1-concerns", "Domestic incident at the address last month")
    for index in range(2, 6):
        _radio(page, f"agency_positions-{index}-position", "no_concerns")
    _continue(page, server, "experience")

    _radio(page, "children-0-seen", "yes")
    page.get_by_role("button", name="Now: fill in the date and time").first.click()
    page.fill("#children-0-seen_by", "Ann Jones, DSL")
    page.fill("#children-0-voice", "Jayden said: 'Dad grabbed me when I spilt my drink.'")
    _radio(page, "children-1-seen", "yes")
    _date(page, "children-1-seen_at", day, "08:30")
    page.fill("#children-1-seen_by", "Sam Lee, Health Visitor")
    page.fill("#children-1-observed_care", "Feeding and sleep routines described "
              "consistently; bottle prepared correctly during the visit")
    page.fill("#children-1-observed_presentation", "Clean and dressed for the weather, alert, "
              "no marks seen")
    page.fill("#children-1-observed_interaction", "Settled in her mother's arms and smiling at "
              "her; startled when her father raised his voice")
    page.fill("#children-1-observed_by", "Sam Lee, Health Visitor")
    _date(page, "children-1-observed_at", day, "08:30")
    _continue(page, server, "analysis")

    # Autosave, saved; then a date autosave cannot save, and says so.
    page.fill("#analysis-risks", "Physical harm from father; domestic abuse at home")
    page.locator("#autosave-status").get_by_text("Saved at").wait_for(timeout=15_000)
    page.fill("#analysis-strengths", "Mother is protective and engaged with health visiting")
    _continue(page, server, "decision")
    _radio(page, "decision-outcome", "s47_single")
    page.fill("#decision-reasons", "Reasonable cause to suspect significant harm to both")
    _continue(page, server, "actions")

    _add(page, "actions", 1)
    _add(page, "actions", 2)
    _remove(page, "actions", 2)
    page.fill("#actions-1-description", "Arrange a child protection medical for Jayden")
    page.fill("#actions-1-owner", "Alex Morgan")
    page.select_option("#actions-1-agency", "hospital")
    _date(page, "actions-1-due_date", day + timedelta(days=1))
    _radio(page, "actions-1-status", "open")
    _continue(page, server, "next-steps")

    page.fill("#next_steps-icpc_date", "31")
    page.fill("#next_steps-icpc_date-month", "2")
    page.fill("#next_steps-icpc_date-year", str(day.year))
    page.locator("#autosave-status").get_by_text("go to the field").wait_for(timeout=15_000)
    icpc = add_working_days(day, 10)
    for part, value in [("", icpc.day), ("-month", icpc.month), ("-year", icpc.year)]:
        page.fill(f"#next_steps-icpc_date{part}", str(value))
    _continue(page, server, "distribution")
    _continue(page, server, None)

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
