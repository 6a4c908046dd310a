"""Filling the realistic record's sections in the browser with the mouse and `fill` (the
keyboard-only journey has its own helpers in tests/e2e/keys.py)."""

from tests.e2e.realistic import PEOPLE


def date_boxes(page, key, day, time=None):
    page.fill(f"#{key}", f"{day.day}/{day.month}/{day.year}")  # the whole date in the day box
    if time is not None:
        page.fill(f"#{key}-time", time)


def radio(page, name, value):
    page.locator(f"input[name='{name}'][value='{value}']").check()


def save_and_continue(page, base, slug):
    """Save, and arrive at the section `slug` (None: the record's page)."""
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(f"{base}/strategies/*/sections/{slug}" if slug else
                      f"{base}/strategies/*#*")
    page.wait_for_load_state()


def positions(page):
    """The six agencies' positions (carried over from the people): two concerned, four not."""
    assert len(PEOPLE) == 6
    radio(page, "agency_positions-0-position", "has_concerns")
    page.fill("#agency_positions-0-concerns", "Injury and a history of domestic abuse")
    radio(page, "agency_positions-1-position", "has_concerns")
    page.fill("#agency_positions-1-concerns", "Domestic incident at the address last month")
    for index in range(2, 6):
        radio(page, f"agency_positions-{index}-position", "no_concerns")


def experience(page, day):
    """Jayden seen and heard this morning; Amelia, a baby, seen and observed."""
    radio(page, "children-0-seen", "yes")
    page.get_by_role("button", name="Now: fill in the date and time").first.click()
    page.fill("#children-0-seen_by", "Ann Jones, DSL")
    page.fill("#children-0-voice", "Jayden said: 'Dad grabbed me when I spilt my drink.'")
    radio(page, "children-1-seen", "yes")
    date_boxes(page, "children-1-seen_at", day, "08:30")
    page.fill("#children-1-seen_by", "Sam Lee, Health Visitor")
    page.fill("#children-1-observed_care", "Feeding and sleep routines described "
              "consistently; bottle prepared correctly during the visit")
    page.fill("#children-1-observed_presentation", "Clean and dressed for the weather, alert, "
              "no marks seen")
    page.fill("#children-1-observed_interaction", "Settled in her mother's arms and smiling at "
              "her; startled when her father raised his voice")
    page.fill("#children-1-observed_by", "Sam Lee, Health Visitor")
    date_boxes(page, "children-1-observed_at", day, "08:30")
