"""Who may do what: every role against every record route, HTML and JSON, allowed and refused.

A record someone may not see answers 404, like one that does not exist; a record they may see
but not change answers 403; creating needs a social-care role.
"""

import pytest

from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.records import service
from app.rules.workdays import add_working_days
from tests.builders import STANDARD_ORGANISATIONS, complete_record, discussion_time, recipients
from tests.conftest import as_user, make_user

ROLES = {
    # username: (role, agency, team)
    "central_sw": ("social_worker", None, "Central"),
    "north_sw": ("social_worker", None, "North"),
    "edt": ("edt_worker", None, "EDT"),
    "central_manager": ("manager", None, "Central"),
    "police": ("partner", "police", None),
    "school": ("partner", "school", None),
    "admin": ("admin", None, None),
    # The safeguarding partnership: the reports' figures, never a record (issue 14).
    "partnership": ("partnership", None, None),
}

# Records: a Central draft, a Central record finalised and sent to the police (not the school),
# and an EDT-led draft owned by the EDT team.
SEES = {
    "central_draft": {"central_sw", "central_manager"},
    "central_final": {"central_sw", "central_manager", "police"},
    "edt_draft": {"central_sw", "north_sw", "edt", "central_manager"},
}
EDITS = {"central_draft": SEES["central_draft"], "central_final": set(),
         "edt_draft": SEES["edt_draft"]}
FINALISED = {"central_final"}
RECORDERS = {"central_sw", "north_sw", "edt", "central_manager"}


@pytest.fixture
def world(anonymous, session):
    users = {name: make_user(session, name, role, agency=agency, team=team)
             for name, (role, agency, team) in ROLES.items()}
    body = complete_record()
    body["distribution"] = recipients("police", "health_visiting")
    data = StrategyRecordData.model_validate(body)
    draft = lifecycle.create_record(session, data=data, team="Central")
    final = lifecycle.create_record(session, data=data, team="Central")
    lifecycle.finalise_record(session, record=final, expected_revision=None)
    review_by = add_working_days(discussion_time().date(), 1)
    edt_body = {**body, "header": {**body["header"], "led_by": "edt",
                                   "day_team_review_due": str(review_by)}}
    edt = lifecycle.create_record(session, data=StrategyRecordData.model_validate(edt_body), team="EDT")
    records = {"central_draft": draft.id, "central_final": final.id, "edt_draft": edt.id}
    return users, records



def _current(session, record_id) -> dict:
    session.expire_all()
    return service.get_record(session, record_id).content.model_dump(mode="json")


def _revision(session, record_id) -> str:
    session.expire_all()
    return str(service.get_record(session, record_id).revision)


def _view_routes(record_id):
    return [f"/strategies/{record_id}", f"/api/strategies/{record_id}",
            f"/api/strategies/{record_id}/completeness", f"/strategies/{record_id}/record.pdf"]


@pytest.mark.parametrize("username", ROLES)
def test_viewing(world, anonymous, session, username):
    users, records = world
    client = as_user(anonymous, session, users[username])
    for name, record_id in records.items():
        expected = 200 if username in SEES[name] else 404
        for url in _view_routes(record_id):
            assert client.get(url).status_code == expected, (username, name, url)


@pytest.mark.parametrize("username", ROLES)
def test_changing(world, anonymous, session, username):
    users, records = world
    client = as_user(anonymous, session, users[username])
    bodies = {name: _current(session, record_id) for name, record_id in records.items()}
    for name, record_id in records.items():
        if username not in SEES[name]:
            expected = 404
        elif username in EDITS[name]:
            expected = None  # allowed: checked below
        elif name in FINALISED and username in RECORDERS:
            expected = "read-only"  # may see it, and nobody changes a finalised record
        else:
            expected = 403
        attempts = [
            client.get(f"/strategies/{record_id}/sections/header", follow_redirects=False),
            # Each write sends the revision current when it is made (the list runs in order).
            client.post(f"/strategies/{record_id}/sections/analysis",
                        data={"analysis-risks": "changed", "row-action": "save",
                              "revision": _revision(session, record_id)},
                        follow_redirects=False),
            client.put(f"/api/strategies/{record_id}",
                       json={**bodies[name], "revision": int(_revision(session, record_id))}),
            client.post(f"/strategies/{record_id}/finalise",
                        data={"revision": _revision(session, record_id), "confirmed": "yes"},
                        follow_redirects=False),
        ]
        codes = [a.status_code for a in attempts]
        if expected == "read-only":
            assert codes == [303, 303, 409, 303], (username, name, codes)
            assert _current(session, record_id) == bodies[name]
        elif expected is None:
            assert codes[0] == 200 and codes[1] == 303 and codes[2] == 200, (username, name, codes)
            assert codes[3] == 303, (username, name, codes)
        else:
            assert codes == [expected] * 4, (username, name, codes)


@pytest.mark.parametrize("username", ROLES)
def test_creating(world, anonymous, session, username):
    users, _ = world
    client = as_user(anonymous, session, users[username])
    page = client.post("/strategies", follow_redirects=False)
    api = client.post("/api/strategies", json={})
    if username in RECORDERS:
        assert page.status_code == 303 and api.status_code == 201
    else:
        assert page.status_code == 403 and api.status_code == 403


@pytest.mark.parametrize("username", ROLES)
def test_the_list_shows_only_what_each_person_may_see(world, anonymous, session, username):
    from tests.html import soup

    users, records = world
    client = as_user(anonymous, session, users[username])
    answer = client.get("/strategies")
    assert answer.status_code == (403 if username == "partnership" else 200)
    page = soup(answer)
    shown = {int(a["href"].rsplit("/", 1)[1]) for a in page.select("main table a")}
    assert shown == {records[name] for name in records if username in SEES[name]}
    has_button = page.find("button", string=lambda s: s and "Start a new" in s) is not None
    assert has_button == (username in RECORDERS)


@pytest.mark.parametrize("username, allowed", [
    ("central_sw", False), ("edt", False), ("central_manager", True), ("police", False),
    ("admin", True), ("partnership", False),
])
def test_audit_log_access(world, anonymous, session, username, allowed):
    users, _ = world
    client = as_user(anonymous, session, users[username])
    assert client.get("/audit").status_code == (200 if allowed else 403)


def test_refusals_are_logged(world, anonymous, session):
    from sqlmodel import select

    from app.auth.models import AuditEvent

    users, records = world
    client = as_user(anonymous, session, users["school"])
    client.get(f"/strategies/{records['central_final']}")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).first()
    assert event.username == "school" and event.record_id == records["central_final"]


@pytest.mark.parametrize("username", ROLES)
def test_the_csv_export_holds_only_what_each_person_may_see(world, anonymous, session, username):
    import csv
    import io

    users, records = world
    client = as_user(anonymous, session, users[username])
    answer = client.get("/strategies.csv")
    if username == "partnership":
        assert answer.status_code == 403
        return
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    references = {service.get_record(session, records[name]).reference
                  for name in records if username in SEES[name]}
    assert {row["Reference"] for row in rows} == references


# --- the safeguarding partnership: figures, never a record ---------------------------------------


def _routes():
    from app.main import app

    def walk(routes):
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            elif getattr(route, "methods", None):
                yield from ((method, route.path) for method in sorted(route.methods)
                            if method != "HEAD")

    return list(walk(app.routes))


# Routes anyone may use (signing in and out, at the identity provider too, health and
# readiness, metrics (their own token), the API's description), and the home page.
OPEN_TO_ALL = {("GET", "/sign-in"), ("POST", "/sign-in"), ("POST", "/sign-out"),
               ("GET", "/sign-in/oidc"), ("GET", "/sign-in/oidc/callback"),
               ("GET", "/sign-in/oidc/signed-out"),
               ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
               ("GET", "/openapi.json"), ("GET", "/")}


def test_the_partnership_is_refused_every_record_list_request_queue_and_log_route(
        world, anonymous, session):
    from sqlmodel import select

    from app.auth.models import AuditEvent
    from app.demo import _school_request
    from app.requests import service as requests
    from app.requests.models import RequestData

    users, records = world
    made = requests.submit(session, users["school"], RequestData.model_validate(_school_request()))
    client = as_user(anonymous, session, users["partnership"])
    final = records["central_final"]
    child_key = service.get_record(session, final).content.children[0].key
    values = {"record_id": final, "slug": "header", "position": 0, "child_key": child_key,
              "version": 1, "request_id": made.id, "name": "awaiting-authorisation",
              "figure_id": "returned", "notification_id": 1,
              "organisation_id": STANDARD_ORGANISATIONS["police"], "link_id": 1, "contact_id": 1}
    # Valid bodies, so each answer is the access decision, not the body's validation.
    bodies = {"/api/requests": _school_request(),
              "/api/requests/{request_id}/decline": {"reason": "Not needed"},
              "/api/strategies/{record_id}/amend": {"reason": "A wrong date", "revision": 1},
              "/api/strategies/{record_id}/actions/{position}": {
                  "outcome": "done", "note": "Done", "revision": 1},
              "/api/strategies/{record_id}/return": {"comments": "Add the reasons",
                                                    "reasons": ["decision"]},
              "/api/strategies/{record_id}/finalise": {"revision": 1},
              "/api/strategies/{record_id}/versions/{version}/withdrawals": {
                  "organisation_id": STANDARD_ORGANISATIONS["police"], "reason": "Wrong one"},
              "/api/strategies/{record_id}": {**_current(session, final), "revision": 1}}
    answers = {}
    for method, path in _routes():
        if (method, path) in OPEN_TO_ALL or path in REPORT_FIGURES:
            continue  # checked below: the figures are what the partnership is for
        if path.startswith("/r/"):
            continue  # a personal link's pages: nothing without its session (test_who_sees_what)
        url = path.format(**values)
        kwargs = ({"json": bodies.get(path, {})} if path.startswith("/api/") and method != "GET"
                  else {})
        # Redirects are followed (/review-queue is /queues/awaiting-authorisation).
        answers[(method, path)] = client.request(method, url, **kwargs).status_code
    allowed = {route: code for route, code in answers.items() if code not in (403, 404)}
    assert allowed == {}
    # The records behind a figure are records: refused too.
    assert answers[("GET", "/reports/audit/figures/{figure_id}/records")] == 403
    for path in REPORT_FIGURES:
        assert client.get(path.format(**values)).status_code == 200, path
    # A record answers 404, exactly like one that does not exist.
    assert answers[("GET", "/strategies/{record_id}")] == 404
    assert answers[("GET", "/strategies/{record_id}/record.pdf")] == 404
    assert answers[("GET", "/api/strategies/{record_id}")] == 404
    assert len(answers) > 40
    refusals = session.exec(select(AuditEvent).where(AuditEvent.action == "refused",
                                                     AuditEvent.username == "partnership")).all()
    assert refusals
    # Home sends the partnership to the reports.
    home = client.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (303, "/reports/audit")


def test_the_partnership_navigation_offers_only_the_reports_and_sign_out(world, anonymous,
                                                                         session):
    from tests.html import soup

    users, _ = world
    client = as_user(anonymous, session, users["partnership"])
    page = soup(client.get("/strategies"))  # a 403 page still carries the header
    header = page.select_one(".app-header__user")
    assert [a["href"] for a in header.select("a")] == ["/reports/audit"]
    assert [b.get_text(strip=True) for b in header.select("button")] == ["Sign out"]
    manager = soup(as_user(anonymous, session, users["central_manager"]).get("/strategies"))
    assert "/reports/audit" in [a["href"] for a in manager.select(".app-header__user a")]
    police = soup(as_user(anonymous, session, users["police"]).get("/strategies"))
    assert "/reports/audit" not in [a["href"] for a in police.select(".app-header__user a")]


REPORT_FIGURES = {"/reports/audit", "/reports/audit.csv", "/reports/audit.pdf",
                  "/reports/audit/figures/{figure_id}", "/api/reports/audit"}


def test_who_sees_the_reports():
    from app.auth.models import User
    from app.auth.roles import Role, can_see_reports

    assert {role for role in Role if can_see_reports(User(role=role.value))} == {
        Role.MANAGER, Role.PARTNERSHIP}


def test_the_cli_creates_a_partnership_user_who_can_sign_in(anonymous, session, monkeypatch,
                                                            capsys):
    from app.__main__ import main as cli
    from app.auth import service as auth_service

    monkeypatch.setenv("STRATEGY_PASSWORD", "a long enough password")
    cli(["user", "create", "lscp", "--name", "Safeguarding Partnership", "--role", "partnership"])
    assert capsys.readouterr().out.strip() == "Created lscp (partnership)."
    user = auth_service.get_user(session, "lscp")
    assert (user.role, user.agency, user.team) == ("partnership", None, None)
    signed = anonymous.post("/sign-in", data={"username": "lscp",
                                              "password": "a long enough password"},
                            follow_redirects=False)
    assert signed.status_code == 303
    assert anonymous.get("/", follow_redirects=False).headers["location"] == "/reports/audit"
    assert anonymous.get("/api/strategies").status_code == 403
