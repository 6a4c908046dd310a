"""Role requirements are dependencies (app/web/roles.py): each route declares who may use it in
its signature, and the one factory refuses everyone else with 403 and one audit row. No module
of app/web writes a role refusal by hand."""

import ast
import re
from pathlib import Path

import pytest
from fastapi.dependencies.utils import get_dependant
from sqlmodel import select

from app.auth.models import AuditEvent, User
from app.auth.roles import Role
from app.main import app
from app.web import roles
from tests.conftest import as_user, make_user
from tests.html import soup

WEB = Path(__file__).resolve().parent.parent / "app" / "web"
# access.py refuses what depends on the record (may see it but not change it); roles.py refuses
# by role. Only these two answer 403 through `refuse`, and nothing builds a 403 by hand.
REFUSERS = {"access.py", "roles.py"}


def _is_403(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and node.value == 403) or (
        isinstance(node, ast.Attribute) and node.attr == "HTTP_403_FORBIDDEN")


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(
        func, ast.Attribute) else ""


def hand_written_403s(source: str, may_refuse: bool = False) -> list[int]:
    """The lines where `source` builds a 403 itself: an HTTPException(403, ...) (positional or
    `status_code=`), or, unless it `may_refuse`, a call of `refuse` with 403."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _called(node)
        if name == "HTTPException":
            status = node.args[:1] + [k.value for k in node.keywords if k.arg == "status_code"]
        elif name == "refuse" and not may_refuse:
            status = list(node.args) + [k.value for k in node.keywords if k.arg == "status"]
        else:
            continue
        if any(_is_403(value) for value in status):
            found.append(node.lineno)
    return found


def test_no_module_of_the_web_layer_writes_a_403_by_hand():
    offenders = {path.name: lines for path in sorted(WEB.glob("*.py"))
                 if (lines := hand_written_403s(path.read_text(), path.name in REFUSERS))}
    assert offenders == {}


def test_the_scan_sees_each_way_of_writing_a_403():
    source = ("raise HTTPException(403, 'no')\n"
              "raise fastapi.HTTPException(status_code=403, detail='no')\n"
              "raise HTTPException(status.HTTP_403_FORBIDDEN, 'no')\n"
              "raise refuse(session, user, request, 403, 'why', 'no')\n"
              "raise HTTPException(404, 'not found')\n"
              "raise refuse(session, user, request, 404, 'why', 'no')\n")
    assert hand_written_403s(source) == [1, 2, 3, 4]
    assert hand_written_403s(source, may_refuse=True) == [1, 2, 3]


# --- every requirement, on every route that declares it ---------------------------------------


def _requirements(dependant) -> list:
    """The role requirements a route's dependencies hold, innermost (first checked) first."""
    found = []
    for sub in dependant.dependencies:
        found += _requirements(sub)
        if hasattr(sub.call, "allowed"):
            found.append(sub.call)
    return found


def _required_routes(routes) -> list[tuple[str, str, list]]:
    found = []
    for route in routes:
        if hasattr(route, "original_router"):  # an included router
            found += _required_routes(route.original_router.routes)
        elif required := _requirements(route.dependant) if hasattr(route, "dependant") else []:
            found += [(method, route.path, required) for method in sorted(route.methods)
                      if method != "HEAD"]
    return found


ROUTES = _required_routes(app.routes)
ALIASES = {name: depends.dependency for name in dir(roles)
           for depends in getattr(getattr(roles, name), "__metadata__", ())
           if hasattr(depends.dependency, "allowed")}
PEOPLE = {Role.SOCIAL_WORKER: {}, Role.EDT_WORKER: {}, Role.MANAGER: {},
          Role.PARTNER: {"agency": "police"}, Role.ADMIN: {}, Role.PARTNERSHIP: {}}


SOCIAL_CARE = {Role.SOCIAL_WORKER, Role.EDT_WORKER, Role.MANAGER}
MANAGERS = {Role.MANAGER}
# Who each requirement lets in, written out here rather than read from the code.
LET_IN = {
    "RecordListReader": set(PEOPLE) - {Role.PARTNERSHIP},
    "ApiRecordListReader": set(PEOPLE) - {Role.PARTNERSHIP},
    "Recorder": SOCIAL_CARE, "ApiRecorder": SOCIAL_CARE,
    "DamagedRecordsReader": {Role.MANAGER, Role.ADMIN},
    "ActionTracker": SOCIAL_CARE, "ApiActionTracker": SOCIAL_CARE,
    "QueueReader": MANAGERS, "ManagerPageReader": MANAGERS, "RetentionReader": MANAGERS,
    "SubjectAccessOfficer": MANAGERS,
    "ReportReader": {Role.MANAGER, Role.PARTNERSHIP},
    "ApiReportReader": {Role.MANAGER, Role.PARTNERSHIP},
    "FigureRecordsReader": MANAGERS, "ApiFigureRecordsReader": MANAGERS,
    "DirectoryAdmin": {Role.ADMIN},
    "AuditLogReader": {Role.MANAGER, Role.ADMIN}, "OutboxReader": {Role.MANAGER, Role.ADMIN},
    "ReturnsExporter": MANAGERS, "ApiReturnsExporter": MANAGERS,
    "RequestsReader": SOCIAL_CARE | {Role.PARTNER},
    "Requester": SOCIAL_CARE | {Role.PARTNER}, "ApiRequester": SOCIAL_CARE | {Role.PARTNER},
    "ApiRecipientChooser": SOCIAL_CARE | {Role.ADMIN},
}


def _let_in(requirement) -> set[Role]:
    """The roles a requirement (and those it builds on) lets in."""
    people = {role: User(username=role.value, role=role.value, organisation_id=1 if details else None)
              for role, details in PEOPLE.items()}
    chain = _requirements(get_dependant(path="/", call=requirement)) + [requirement]
    return {role for role, user in people.items() if all(r.allowed(user) for r in chain)}


def test_each_requirement_lets_in_exactly_the_roles_it_should():
    assert {name: _let_in(requirement) for name, requirement in ALIASES.items()} == LET_IN


def test_a_partner_with_no_organisation_may_not_ask_for_a_discussion():
    nowhere = User(username="p", role=Role.PARTNER.value, organisation_id=None)
    assert [name for name in ("RequestsReader", "Requester", "ApiRequester")
            if ALIASES[name].allowed(nowhere)] == []


def test_every_alias_guards_a_route_and_every_guarded_route_is_checked_here():
    used = {requirement for _, _, required in ROUTES for requirement in required}
    assert {name for name, requirement in ALIASES.items() if requirement not in used} == set()
    assert len(ROUTES) >= 30
    # The factory's own checks are the only ones: a route may not ask a role predicate
    # itself to refuse (the scan above) and each alias names one requirement.
    assert len(set(ALIASES.values())) == len(ALIASES)


@pytest.mark.parametrize("method, path, required", ROUTES,
                         ids=[f"{method} {path}" for method, path, _ in ROUTES])
def test_a_route_refuses_each_wrong_role_with_403_and_one_audit_row(
        anonymous, session, method, path, required):
    url = re.sub(r"\{[^}]+\}", "1", path)  # the role is checked before any parameter
    refused = 0
    for role, details in PEOPLE.items():
        user = make_user(session, f"u_{role.value}", role.value, **details)
        failing = next((r for r in required if not r.allowed(user)), None)
        client = as_user(anonymous, session, user)
        kwargs = {"json": {}} if path.startswith("/api") and method != "GET" else (
            {"data": {}} if method != "GET" else {})
        answer = client.request(method, url, follow_redirects=False, **kwargs)
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "refused",
                                                     AuditEvent.user_id == user.id)).all()
        if failing is None:
            assert rows == [] or answer.status_code != 403, (role, rows[0].detail)
            continue
        refused += 1
        assert answer.status_code == 403, role
        if path.startswith("/api"):
            assert answer.json() == {"detail": failing.message}
        else:
            page = soup(answer)
            assert [p.get_text() for p in page.select("main p.govuk-body")][0] == failing.message
        assert [(row.detail, row.count, row.record_id) for row in rows] == [
            (f"{method} {url}: {failing.message}", 1, None)], role
    assert refused  # every requirement refuses someone
