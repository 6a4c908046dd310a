"""In a real browser (Debian's Chromium, driven by Playwright): htmx row swaps without a page
reload, and the same journey with JavaScript off."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# CI sets this: there a missing browser is a failure, not a skip.
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
PASSWORD = "e2e-password-long-enough"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _require_browser() -> None:
    if not os.path.exists(CHROMIUM):
        message = "Debian's chromium is not installed (scripts/setup.sh installs it)"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)


@contextlib.contextmanager
def _serving(env):
    """`python -m app serve` on a free port until the block ends (its address)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Migrating an empty database and starting takes seconds, many more on a busy machine.
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("the server did not start")
                time.sleep(0.2)
        yield base
    finally:  # never leave a server (and its PDF fork server) running after the module
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _require_browser()
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    with _serving(env) as base:
        _command(env | {"STRATEGY_PASSWORD": PASSWORD}, "user", "create", "e2e", "--name",
                 "E2E Worker", "--role", "social_worker", "--team", "Central")
        # The directory: one organisation of each kind the journey names, and two schools, so
        # the school is ticked only because its participant named it.
        for name, agency in E2E_ORGANISATIONS:
            _command(env, "org", "create", name, "--agency", agency)
        yield base


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The demo's users and records (`python -m app demo`): every page has something on it."""
    _require_browser()
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    _command(env, "migrate")
    _command(env, "demo")
    with _serving(env) as base:
        yield base


def _command(env, *args) -> None:
    done = subprocess.run([sys.executable, "-m", "app", *args], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.fail(f"python -m app {' '.join(args)} failed: {done.stdout}{done.stderr}")


E2E_ORGANISATIONS = [("Anytown Police", "police"), ("Anytown Health Visiting", "health_visiting"),
                     ("Riverside Primary School", "school"), ("Hillside Academy", "school"),
                     ("Market Street Surgery", "gp"), ("Anytown General Hospital", "hospital")]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def _new_record(page, server) -> str:
    page.goto(f"{server}/strategies")
    page.wait_for_url(f"{server}/sign-in**")
    page.get_by_label("Username").fill("e2e")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/strategies")
    page.get_by_role("button", name="Start a new strategy record").click()
    page.wait_for_url(f"{server}/strategies/*")
    return page.url


def test_htmx_adds_and_removes_rows_without_reloading(server, browser):
    page = browser.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    record_url = _new_record(page, server)
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
    record_url = _new_record(page, server)
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
    record_url = _new_record(page, server)
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
