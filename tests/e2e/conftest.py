"""The browser tests' shared server (a real `python -m app serve` on a free port, over SQLite),
Debian's Chromium driven by Playwright, and signing in to start a record."""

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
def serving(env):
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


@contextlib.contextmanager
def recording_server(tmp_path_factory, *more_users: tuple[str, str, str]):
    """A server with the e2e social worker, the directory, and more users (username, name,
    role) with the same password, over a database of its own."""
    _require_browser()
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    with serving(env) as base:
        for username, name, role in [("e2e", "E2E Worker", "social_worker"), *more_users]:
            _command(env | {"STRATEGY_PASSWORD": PASSWORD}, "user", "create", username,
                     "--name", name, "--role", role, "--team", "Central")
        # The directory: one organisation of each kind the journey names, and two schools, so
        # the school is ticked only because its participant named it.
        for name, agency in E2E_ORGANISATIONS:
            _command(env, "org", "create", name, "--agency", agency)
        yield base


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with recording_server(tmp_path_factory) as base:
        yield base


@pytest.fixture(scope="module")
def manager_server(tmp_path_factory):
    """As server, with a manager of the same team too (e2e-manager, the same password)."""
    with recording_server(tmp_path_factory, ("e2e-manager", "E2E Manager", "manager")) as base:
        yield base


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The demo's users and records (`python -m app demo`): every page has something on it."""
    _require_browser()
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    _command(env, "migrate")
    _command(env, "demo")
    with serving(env) as base:
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


def sign_in(page, server, username: str = "e2e") -> None:
    page.goto(f"{server}/strategies")
    page.wait_for_url(f"{server}/sign-in**")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/strategies")


def new_record(page, server) -> str:
    """Sign in as the e2e user and start a record: its page's address."""
    sign_in(page, server)
    page.get_by_role("button", name="Start a new strategy record").click()
    page.wait_for_url(f"{server}/strategies/*")
    return page.url
