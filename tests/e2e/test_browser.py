"""In a real browser (Debian's Chromium, driven by Playwright): htmx row swaps without a page
reload, and the same journey with JavaScript off."""

import pytest

from tests.e2e.conftest import new_record


def test_htmx_adds_and_removes_rows_without_reloading(server, browser):
    page = browser.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    record_url = new_record(page, server)
    page.goto(f"{record_url}/sections/participants")
    page.evaluate("window.notReloaded = true")

    page.get_by_role("button", name="Add a participant").click()
    page.locator("#participants-0-name").fill("DC Mark Evans")
    page.get_by_role("button", name="Add another participant").click()
    page.locator("#participants-1-name").wait_for()
    page.locator("#participants-1-name").fill("Sam Lee")
    assert page.evaluate("window.notReloaded") is True  # swapped in place, no reload

    page.get_by_role("button", name="Remove participant 1").click()
    page.locator("#participants-1-name").wait_for(state="detached")
    assert page.locator("#participants-0-name").input_value() == "Sam Lee"
    assert page.evaluate("window.notReloaded") is True

    page.get_by_role("button", name="Save and return to the task list").click()
    page.wait_for_url(f"{record_url}#participants")
    assert "In progress" in page.locator("#participants-status").inner_text()
    assert refused == []  # htmx runs under the Content-Security-Policy without violations
    page.close()


def test_rows_work_with_javascript_off(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    record_url = new_record(page, server)
    page.goto(f"{record_url}/sections/agency-positions")
    page.get_by_role("button", name="Add an agency").click()
    page.locator("#agency_positions-0-agency").select_option("police")
    page.get_by_role("button", name="Add another agency").click()
    assert page.locator("#agency_positions-0-agency").input_value() == "police"
    assert page.locator("#agency_positions-1-agency").count() == 1
    page.get_by_role("button", name="Save and return to the task list").click()
    page.wait_for_url(f"{record_url}#agency-positions")
    assert "In progress" in page.locator("#agency-positions-status").inner_text()
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_record_list_fits_the_screen_and_its_csv_downloads(server, browser, width):
    import csv
    import io

    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    record_url = new_record(page, server)
    page.goto(f"{server}/strategies")
    # The page never scrolls sideways; on a narrow screen the table does, in its own region.
    assert page.evaluate("document.documentElement.scrollWidth") == width
    region = page.locator(".app-table-scroll")
    overflows = region.evaluate("r => r.scrollWidth > r.clientWidth")
    assert overflows == (width == 390)
    assert page.locator("#records thead th").all_inner_texts()[-3:] == [
        "Finalised", "Overdue", "Owner"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this list (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(
        download.value.path().read_bytes().decode("utf-8-sig"), newline="")))
    assert [row["Owner"] for row in rows] == ["E2E Worker"] * len(rows)
    assert record_url.rsplit("/", 1)[1] in {
        link.split("/")[-1] for link in page.locator("#records tbody a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))")}
    context.close()


NARROW_PAGES = ["/strategies/1", "/strategies/1/follow-up", "/actions", "/manager",
                "/queues/awaiting-authorisation", "/queues/drafts", "/requests",
                "/reports/audit", "/reports/audit/figures/{figure}", "/audit", "/outbox"]


@pytest.mark.parametrize("who, paths", [("manager", NARROW_PAGES[:-2]), ("admin", NARROW_PAGES[-2:])])
def test_no_page_scrolls_sideways_on_a_390px_screen(demo_server, browser, who, paths):
    """Wide tables scroll in their own region; the page itself never does."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{demo_server}/sign-in")
    page.get_by_label("Username").fill(who)
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if who == "manager":
        page.goto(f"{demo_server}/reports/audit")
        figure = page.locator("a[href^='/reports/audit/figures/']").first.get_attribute("href")
    wide = {}
    for path in paths:
        answer = page.goto(demo_server + path.format(figure=figure.rsplit("/", 1)[-1]
                                                      if who == "manager" else ""))
        assert answer.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width != 390:
            wide[path] = width
    assert wide == {}
    context.close()
