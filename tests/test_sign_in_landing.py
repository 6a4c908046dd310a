"""After signing in, every role lands on a page it may use: records for social care and
partner agencies, the live audit for the safeguarding partnership, the audit log for
administrators (who see no records). The home page sends each to the same place."""

import pytest

from tests.conftest import TEST_PASSWORD, make_user
from tests.html import soup

LANDINGS = [
    ("social_worker", {}, "/strategies"),
    ("edt_worker", {"team": "EDT"}, "/strategies"),
    ("manager", {}, "/strategies"),
    ("partner", {"agency": "police"}, "/strategies"),
    ("admin", {}, "/audit"),
    ("partnership", {}, "/reports/audit"),
]


@pytest.mark.parametrize(("role", "extra", "landing"), LANDINGS)
def test_each_role_lands_on_a_page_it_may_use(anonymous, session, role, extra, landing):
    make_user(session, "someone", role, **extra)
    page = soup(anonymous.get("/sign-in"))
    # The form as a browser posts it, with no page asked for.
    assert page.select_one("input[name=next]")["value"] == "/"
    signed = anonymous.post("/sign-in", data={"username": "someone", "password": TEST_PASSWORD,
                                              "next": "/"}, follow_redirects=False)
    assert (signed.status_code, signed.headers["location"]) == (303, landing)
    assert anonymous.get(landing).status_code == 200
    home = anonymous.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (303, landing)


def test_signing_in_from_the_home_page_lands_the_partnership_on_the_reports(anonymous, session):
    make_user(session, "lscp", "partnership")
    to_sign_in = anonymous.get("/", follow_redirects=False)
    assert to_sign_in.headers["location"] == "/sign-in?next=/"
    next_url = soup(anonymous.get(to_sign_in.headers["location"])).select_one(
        "input[name=next]")["value"]
    signed = anonymous.post("/sign-in", data={"username": "lscp", "password": TEST_PASSWORD,
                                              "next": next_url}, follow_redirects=False)
    assert signed.headers["location"] == "/reports/audit"
    answer = anonymous.get(signed.headers["location"])
    assert answer.status_code == 200
    assert soup(answer).select_one("main h1").get_text(strip=True) == (
        "How our strategy records meet the audits' findings")


def test_a_page_asked_for_is_still_where_sign_in_goes(anonymous, session):
    make_user(session, "mo", "manager")
    signed = anonymous.post("/sign-in", data={"username": "mo", "password": TEST_PASSWORD,
                                              "next": "/reports/audit"}, follow_redirects=False)
    assert signed.headers["location"] == "/reports/audit"
