"""Partners without accounts, in a real browser (Debian's Chromium) against a real server whose
notification worker delivers to a real SMTP server (aiosmtpd) that this test reads:

- a school's named contact, chosen on the record's distribution, goes from the notice email
  through the one-time code to the record's PDF;
- a GP's named contact, asked for information before the discussion, goes from the request
  email through the code and the contribution form (its errors first) to the draft.
"""

import email
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests.builders import complete_record
from tests.e2e.conftest import CHROMIUM, PASSWORD, REQUIRE_BROWSER, _free_port
from tests.pdf_helpers import pages_text

SCHOOL_CONTACT = "ann.jones@riverside.example.sch.uk"
GP_CONTACT = "dr.patel@surgery.example.nhs.uk"
CASE_DETAIL = ("Leo", "Carter", "grabbed", "Bruising")


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"

    def wait_for(self, address: str, subject_starts: str, seen: int = 0):
        """The next message to `address` whose subject starts so, after the first `seen`."""
        for _ in range(150):
            found = [m for to, m in self.messages if to == [address]
                     and m["Subject"].startswith(subject_starts)]
            if len(found) > seen:
                return found[seen]
            time.sleep(0.1)
        got = [(to, m["Subject"]) for to, m in self.messages]
        pytest.fail(f"no email '{subject_starts}…' reached {address}; the server had: {got}")


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def _run(env, *args) -> str:
    done = subprocess.run([sys.executable, "-m", "app", *args], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.fail(f"python -m app {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done.stdout.strip()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        if REQUIRE_BROWSER:
            pytest.fail("Debian's chromium is not installed (scripts/setup.sh installs it)")
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)")
    inbox, smtp_port, port = Inbox(), _free_port(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('links') / 'l.db'}",
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
           "SMTP_FROM": "records@example.org", "PUBLIC_BASE_URL": base,
           "NOTIFICATION_WORKER": "true", "NOTIFICATION_POLL_SECONDS": "0.2"}
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL,
                               stderr=open(tmp_path_factory.getbasetemp() / "server.log", "w"))
    try:
        for _ in range(1200):  # a fresh database is migrated first: slow on a busy machine
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        _run(env | {"STRATEGY_PASSWORD": PASSWORD}, "user", "create", "e2e", "--name",
             "E2E Worker", "--role", "social_worker", "--team", "Central")
        orgs = {agency: int(_run(env, "org", "create", name, "--agency", agency))
                for name, agency in (("Anytown Police", "police"),
                                     ("Anytown Health Visiting", "health_visiting"),
                                     ("Riverside Primary School", "school"),
                                     ("Market Street Surgery", "gp"))}
        school = int(_run(env, "org", "contact-add", str(orgs["school"]), "Ann Jones",
                          SCHOOL_CONTACT, "--role", "Designated safeguarding lead"))
        _run(env, "org", "contact-add", str(orgs["gp"]), "Dr Patel", GP_CONTACT, "--role",
             "GP partner")
        yield {"base": base, "inbox": inbox, "orgs": orgs, "school_contact": school}
    finally:
        process.terminate()
        process.wait(timeout=10)
        controller.stop()


def _staff(browser, base):  # noqa: F811
    page = browser.new_context().new_page()
    page.goto(f"{base}/sign-in")
    page.get_by_label("Username").fill("e2e")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/strategies")
    return page


def _draft(page, base, distribution) -> int:
    answer = page.request.post(f"{base}/api/strategies",
                               data=complete_record() | {"distribution": distribution})
    assert answer.status == 201, answer.text()
    return answer.json()["id"]


def _open_with_code(browser, world, address, message, button):  # noqa: F811
    """A fresh browser (no account, no cookie) from the email's link through the code."""
    link = re.search(r"(http://127\.0\.0\.1:\d+/r/[A-Za-z0-9_-]+)", _body(message)).group(1)
    page = browser.new_context().new_page()
    page.goto(link)
    for detail in CASE_DETAIL:
        assert detail not in page.content()
    page.get_by_role("button", name="Email me a code").click()
    expect(page.locator("#code-sent")).to_be_visible()
    mail = world["inbox"].wait_for(address, "Your one-time code")
    code = re.search(r"code is (\d{6})\.", _body(mail)).group(1)
    assert link not in _body(mail)  # the code and the link never share an email
    page.get_by_label("Code from the email").fill(code)
    page.get_by_role("button", name=button).click()
    return page


def test_a_school_contact_reads_the_record_from_the_notice_to_the_pdf(world, browser):  # noqa: F811
    base, orgs = world["base"], world["orgs"]
    staff = _staff(browser, base)
    record_id = _draft(staff, base, [
        {"organisation_id": orgs["police"]}, {"organisation_id": orgs["health_visiting"]},
        {"organisation_id": orgs["school"], "contact_ids": [world["school_contact"]]}])
    staff.goto(f"{base}/strategies/{record_id}")
    staff.get_by_label("I have checked the record").check()
    staff.get_by_role("button", name="Finalise the record").click()
    expect(staff.locator("#finalised-panel")).to_be_visible()

    notice = world["inbox"].wait_for(SCHOOL_CONTACT, "Strategy discussion record")
    for detail in CASE_DETAIL:
        assert detail not in _body(notice)
    page = _open_with_code(browser, world, SCHOOL_CONTACT, notice, "Open the record")
    page.wait_for_url(f"{base}/r/records/{record_id}/versions/1")
    expect(page.locator("#reader")).to_contain_text("Sent to Ann Jones.")
    expect(page.locator("main")).to_contain_text("Leo Carter")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the record (PDF)").click()
    with open(download.value.path(), "rb") as pdf:
        text = " ".join(pages_text(pdf.read()))
    assert "Leo Carter" in text and "Riverside Primary School" in text
    # The session reads nothing else: the staff list sends it to sign in.
    page.goto(f"{base}/strategies")
    page.wait_for_url(f"{base}/sign-in**")


def test_a_gp_contact_answers_an_information_request_into_the_draft(world, browser):  # noqa: F811
    base = world["base"]
    staff = _staff(browser, base)
    record_id = _draft(staff, base, [])
    staff.goto(f"{base}/strategies/{record_id}")
    staff.get_by_role("link", name="Ask an agency for information").click()
    staff.get_by_label("Who to ask").select_option(
        label=f"Market Street Surgery: Dr Patel, GP partner ({GP_CONTACT})")
    staff.get_by_label("Needed by").fill("today")
    staff.get_by_role("button", name="Send the request").click()
    staff.wait_for_url(f"{base}/strategies/{record_id}#information-requests")
    expect(staff.locator("#information-requests")).to_contain_text("Not yet")

    request = world["inbox"].wait_for(GP_CONTACT, "Information needed for a strategy discussion")
    for detail in CASE_DETAIL:
        assert detail not in _body(request)
    page = _open_with_code(browser, world, GP_CONTACT, request, "Continue")
    page.wait_for_url(f"{base}/r/requests/*")
    expect(page.locator("#children")).to_contain_text("Leo Carter")

    page.get_by_role("button", name="Send to children's social care").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Say whether the child or family is known to your agency")
    page.get_by_label("Your name").fill("Dr Patel")
    page.locator("#known").check()  # "Yes"
    page.locator("#position").check()  # "Has concerns"
    page.get_by_label("If so, what are your concerns?").fill("Missed immunisations")
    page.get_by_label("What your agency knows of the child and family").fill(
        "Registered since birth")
    page.get_by_label("Your role").fill("GP partner")
    page.get_by_label("Your phone number").fill("01632 960 777")
    page.locator("#can_join").check()
    page.get_by_label("By video").check()
    page.get_by_role("button", name="Send to children's social care").click()
    expect(page.locator("#received")).to_contain_text("Information sent")

    staff.goto(f"{base}/strategies/{record_id}")
    expect(staff.locator("#information-requests")).to_contain_text("in the draft")
    staff.goto(f"{base}/strategies/{record_id}/sections/agency-positions")
    concerns = [staff.locator(f"#agency_positions-{i}-concerns").input_value()
                for i in range(staff.locator("textarea[id$='-concerns']").count())]
    assert any(c.startswith("Sent by Dr Patel (GP partner) by email on ")
               and "Missed immunisations" in c for c in concerns)
