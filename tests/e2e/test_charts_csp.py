"""In Chromium, under the app's own Content-Security-Policy header: a chart inlined in a page
and one as a data: image draw with no policy violation, and the inlined one is an image
named by its title. A control (an SVG with an inline <style> and style attribute) proves
the page would report a violation if a chart had one."""

import base64

import pytest

from app.reports.charts import bar_chart, line_chart
from app.web.security import SECURITY_HEADERS
from tests.e2e.conftest import CHROMIUM, REQUIRE_BROWSER

PAGE = "http://charts.test/"
MONTHS_TEXT = ["2025-01-01", "2025-02-01", "2025-03-01"]


@pytest.fixture(scope="module")
def browser():
    import os

    if not os.path.exists(CHROMIUM):
        message = "Debian's chromium is not installed (scripts/setup.sh installs it)"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def _violations(browser, body: str) -> tuple[list[str], object]:
    """Serve `body` with the app's security headers; the CSP messages Chromium logs."""
    page = browser.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.route(PAGE, lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", headers=dict(SECURITY_HEADERS),
        body=f'<!doctype html><html lang="en"><head><title>Charts</title></head><body>'
             f'{body}</body></html>'))
    page.goto(PAGE)
    page.wait_for_load_state("load")
    return [m for m in messages if "Content Security Policy" in m], page


def _months():
    from datetime import date

    return [date.fromisoformat(m) for m in MONTHS_TEXT]


def test_inline_and_data_image_charts_break_no_policy(browser):
    line = line_chart("Agencies updated on time", _months(), {"On time": [40, None, 90]},
                      y_label="Per cent")
    bars = bar_chart("Requests each month", _months(), [3, 5, 1], y_label="Requests")
    image = base64.b64encode(bars.encode()).decode()
    violations, page = _violations(
        browser, f'{line}<img alt="Requests each month" src="data:image/svg+xml;base64,{image}">')
    assert violations == []
    chart = page.get_by_role("img", name="Agencies updated on time", exact=True)
    assert chart.count() == 1
    assert chart.bounding_box()["width"] == 760
    picture = page.get_by_role("img", name="Requests each month", exact=True)
    assert picture.evaluate("img => img.naturalWidth") == 760  # the data: image loaded
    page.close()


def test_the_control_with_inline_style_is_reported(browser):
    control = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
               '<style>rect { fill: red }</style><rect width="10" height="10" '
               'style="stroke: blue"/></svg>')
    violations, page = _violations(browser, control)
    assert len(violations) == 2
    assert all("style-src 'self'" in v for v in violations)
    page.close()
