"""In a real browser: a section saves itself a couple of seconds after typing stops, and when
someone else saves in between the page says so, shows both versions and saves only the
version chosen."""

import os
from pathlib import Path

from tests.e2e.conftest import new_record
from tests.e2e.realistic import someone_else_saves

# Where the screenshots go, to look at (not compared by the test).
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "/tmp/e2e-screenshots"))


def test_autosave_and_a_conflict_chosen_in_the_browser(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    record_url = new_record(page, server)
    page.goto(f"{record_url}/sections/analysis")
    status = page.locator("#autosave-status")

    # Type, stop: a couple of seconds later the status line says it is saved.
    page.locator("#analysis-risks").fill("Bruising to the upper arm")
    status.get_by_text("Saved at").wait_for(timeout=15_000)
    page.screenshot(path=str(SHOTS / "autosave-saved.png"), full_page=True)
    page.reload()
    assert page.locator("#analysis-risks").input_value() == "Bruising to the upper arm"

    # Someone else saves the section; then this page's next autosave is refused and says so.
    someone_else_saves(server, record_url, "analysis",
                       {"analysis-risks": "Bruising seen by the school nurse"})
    page.locator("#analysis-risks").fill("Bruising to the upper arm, and a burn")
    status.get_by_text("someone else saved this section").wait_for(timeout=15_000)
    page.screenshot(path=str(SHOTS / "autosave-conflict-notice.png"), full_page=True)

    # Both versions side by side; nothing saved until a version is chosen.
    page.get_by_role("button", name="See both versions and choose").click()
    page.locator("#conflict").wait_for()
    page.screenshot(path=str(SHOTS / "conflict-page.png"), full_page=True)
    assert page.locator("#conflict .app-version--mine .app-pre").inner_text() == (
        "Bruising to the upper arm, and a burn")
    assert page.locator("#conflict .app-version--theirs .app-pre").inner_text() == (
        "Bruising seen by the school nurse")
    page.get_by_role("button", name="Save with these choices").click()
    page.locator(".govuk-error-summary").wait_for()
    assert "Choose which version of Risks to keep" in page.locator(
        ".govuk-error-summary").inner_text()
    page.screenshot(path=str(SHOTS / "conflict-choose-error.png"), full_page=True)

    page.get_by_label("Keep your version").check()
    page.get_by_role("button", name="Save with these choices").click()
    page.wait_for_url(f"{record_url}#analysis")
    page.goto(f"{record_url}/sections/analysis")
    assert page.locator("#analysis-risks").input_value() == (
        "Bruising to the upper arm, and a burn")
    assert refused == []
    page.close()
