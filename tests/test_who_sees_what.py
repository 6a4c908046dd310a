"""Who sees what, proved against an oracle written apart from the rules (app/visibility.py).

A population of people (two teams, EDT, their managers, an administrator, the partnership, and
partners of the police, two schools, two GP practices and a hospital) and records in every
state. What each person may read is stated here by hand, from what was sent to whom, not
computed from receipts; every record route, the list, its CSV and the record routes of the
OpenAPI schema are then walked as every person against every record and version, and each
answer compared with it.
"""

import csv
import io

import pytest
from sqlmodel import select

from app.auth.models import AuditEvent
from app.followup import lifecycle
from app.followup import service as followup
from app.organisations.models import Organisation
from app.records import service
from app.sending import service as sending
from app.sending.models import RecordReceipt
from tests.builders import STANDARD_ORGANISATIONS, record_with
from tests.conftest import as_user, make_user

SOCIAL_CARE = {
    # username: (role, team)
    "central_sw": ("social_worker", "Central"), "north_sw": ("social_worker", "North"),
    "edt": ("edt_worker", "EDT"), "central_manager": ("manager", "Central"),
    "north_manager": ("manager", "North"),
}
OTHERS = {"admin": "admin", "partnership": "partnership"}
# Partners by organisation: two schools and two GP practices, so "a school" is never enough.
PARTNERS = ["police", "school1", "school2", "gp1", "gp2", "hospital"]

# The oracle. Each record: its team, whether EDT led it, its versions and, per version, the
# organisations it was sent to and kept (a withdrawal removes one), and the version that is
# the record as it stands (None: a draft that was never finalised).
RECORDS = {
    "draft": {"team": "Central", "edt": False, "finalised": [], "sent": {}},
    "finalised": {"team": "Central", "edt": False, "finalised": [1],
                  "sent": {1: {"police", "school1", "gp1"}}},
    # Sent, then returned by a manager: a correction (version 2) is drafted; version 1 stays.
    "returned": {"team": "Central", "edt": False, "finalised": [1],
                 "sent": {1: {"police", "school1"}}},
    "authorised": {"team": "North", "edt": False, "finalised": [1],
                   "sent": {1: {"hospital", "gp2"}}},
    "being_amended": {"team": "Central", "edt": False, "finalised": [1],
                      "sent": {1: {"police", "school2"}}},
    # Version 2 dropped school1 and added gp2: school1 keeps version 1, superseded.
    "amended": {"team": "Central", "edt": False, "finalised": [1, 2],
                "sent": {1: {"police", "school1"}, 2: {"police", "gp2"}}},
    # Sent to police and school2; withdrawn from school2 (sent in error).
    "withdrawn": {"team": "Central", "edt": False, "finalised": [1],
                  "sent": {1: {"police"}}},
    "edt_final": {"team": "EDT", "edt": True, "finalised": [1], "sent": {1: {"police"}}},
}


def oracle_sees(person: str, name: str) -> bool:
    record = RECORDS[name]
    if person in SOCIAL_CARE:
        return record["edt"] or SOCIAL_CARE[person][1] == record["team"]
    if person in PARTNERS:
        return any(person in orgs for orgs in record["sent"].values())
    return False


def oracle_versions(person: str, name: str) -> set[int]:
    """The finalised versions the person may download."""
    record = RECORDS[name]
    if not oracle_sees(person, name):
        return set()
    if person in SOCIAL_CARE:
        return set(record["finalised"])
    return {v for v, orgs in record["sent"].items() if person in orgs}


def oracle_shown(person: str, name: str) -> int | None:
    """The version a partner is shown as "the record" (None for social care: the record itself)."""
    versions = oracle_versions(person, name)
    return max(versions) if person in PARTNERS and versions else None


@pytest.fixture
def world(anonymous, session):
    orgs = {"police": STANDARD_ORGANISATIONS["police"], "school1": STANDARD_ORGANISATIONS["school"],
            "gp1": STANDARD_ORGANISATIONS["gp"], "hospital": STANDARD_ORGANISATIONS["hospital"]}
    for key, name, agency in (("school2", "Hillside Academy", "school"),
                              ("gp2", "Parkview Medical Centre", "gp")):
        org = Organisation(name=name, agency=agency, created_at=session.get(
            Organisation, orgs["police"]).created_at)
        session.add(org)
        session.commit()
        orgs[key] = org.id
    # The police and the hospital have secure addresses, so sending them writes notices.
    for key in ("police", "hospital"):
        session.get(Organisation, orgs[key]).email = f"{key}@secure.example"
    session.commit()
    users = {name: make_user(session, name, role, team=team)
             for name, (role, team) in SOCIAL_CARE.items()}
    users |= {name: make_user(session, name, role) for name, role in OTHERS.items()}
    users |= {name: make_user(session, name, "partner", organisation_id=orgs[name])
              for name in PARTNERS}
    sw, manager = users["central_sw"], users["central_manager"]

    def to(*names):
        return [orgs[n] for n in names]

    def made(sent_to, team="Central", edt=False, finalise=True):
        header = {"led_by": "edt"} if edt else {}
        data = record_with(distribution=to(*sent_to), header=header)
        record = lifecycle.create_record(session, data=data, team=team, created_by_id=sw.id)
        if finalise:
            record = lifecycle.finalise_record(session, record=record, expected_revision=None,
                                               finalised_by=sw)
        return record

    ids = {"draft": made(["police", "school1"], finalise=False).id,
           "finalised": made(["police", "school1", "gp1"]).id}
    returned = made(["police", "school1"])
    followup.return_record(session, returned, manager, returned.revision, "Add the GP's view",
                           reasons=["other"])
    ids["returned"] = returned.id
    north = made(["hospital", "gp2"], team="North")
    followup.authorise(session, north, users["north_manager"], north.revision)
    ids["authorised"] = north.id
    amending = made(["police", "school2"])
    followup.amend(session, amending, sw, amending.revision, "A date was wrong")
    ids["being_amended"] = amending.id
    amended = made(["police", "school1"])
    amended = followup.amend(session, amended, sw, amended.revision, "Sent to the wrong school")
    data = amended.content.model_copy(update={"distribution": []}).model_dump()
    data["distribution"] = to("police", "gp2")
    lifecycle.save_record(session, record=amended, data=type(amended.content).model_validate(data),
                          expected_revision=None)
    lifecycle.finalise_record(session, record=amended, expected_revision=None, finalised_by=sw)
    ids["amended"] = amended.id
    withdrawn = made(["police", "school2"])
    sending.withdraw(session, withdrawn, 1, orgs["school2"], "Wrong school", manager)
    ids["withdrawn"] = withdrawn.id
    ids["edt_final"] = made(["police"], team="EDT", edt=True).id
    return users, ids



PEOPLE = [*SOCIAL_CARE, *OTHERS, *PARTNERS]


@pytest.mark.parametrize("person", PEOPLE)
def test_every_record_route_answers_as_the_oracle_says(world, anonymous, session, person):
    users, ids = world
    client = as_user(anonymous, session, users[person])
    checked = 0
    for name, record_id in ids.items():
        sees = oracle_sees(person, name)
        shown = oracle_shown(person, name)
        for url in (f"/strategies/{record_id}", f"/api/strategies/{record_id}/completeness",
                    f"/strategies/{record_id}/record.pdf"):
            assert client.get(url).status_code == (200 if sees else 404), (person, name, url)
            checked += 1
        api = client.get(f"/api/strategies/{record_id}")
        assert api.status_code == (200 if sees else 404), (person, name)
        if sees and person in PARTNERS:
            # A partner's answer is the version sent to them: never a draft, nor its number.
            body = api.json()
            assert (body["version"], body["status"] != "draft") == (shown, True), (person, name)
        for version in (1, 2):
            allowed = version in oracle_versions(person, name)
            url = f"/strategies/{record_id}/versions/{version}/record.pdf"
            assert client.get(url).status_code == (200 if allowed else 404), (person, name, url)
            checked += 1
        receipts = client.get(f"/api/strategies/{record_id}/receipts").status_code
        assert receipts == (404 if not sees else 200 if person in SOCIAL_CARE else 403), (
            person, name)
        checked += 2
    assert checked == len(ids) * 7


@pytest.mark.parametrize("person", PEOPLE)
def test_the_list_its_api_and_csv_hold_exactly_what_the_oracle_says(world, anonymous, session,
                                                                     person):
    users, ids = world
    client = as_user(anonymous, session, users[person])
    expected = {ids[name] for name in ids if oracle_sees(person, name)}
    api = client.get("/api/strategies")
    if person == "partnership":
        assert api.status_code == 403
        return
    items = api.json()["items"]
    assert {item["id"] for item in items} == expected
    for item in items:
        name = next(n for n, i in ids.items() if i == item["id"])
        if person in PARTNERS:
            assert (item["version"], item["status"]) != (2, "draft")
            assert item["version"] == oracle_shown(person, name), (person, name)
    rows = list(csv.DictReader(io.StringIO(client.get("/strategies.csv").content.decode(
        "utf-8-sig"), newline="")))
    references = {service.get_record(session, ids[n]).reference for n in ids
                  if oracle_sees(person, n)}
    assert {row["Reference"] for row in rows} == references


def test_the_sql_filter_and_the_per_record_rule_agree_on_the_population(world, session):
    from app.records.models import StrategyRecord
    from app.visibility import record_filter, sight

    users, ids = world
    for person, user in users.items():
        by_query = set(session.exec(select(StrategyRecord.id).where(record_filter(user))))
        one_by_one = {i for i in ids.values() if sight(session, user, i) is not None}
        assert by_query == one_by_one == {ids[n] for n in ids if oracle_sees(person, n)}, person


def test_a_withdrawal_is_logged_and_the_organisation_told(world, session):
    users, ids = world
    receipt = session.exec(select(RecordReceipt).where(
        RecordReceipt.record_id == ids["withdrawn"], RecordReceipt.withdrawn_at.is_not(None))).one()
    assert (receipt.withdrawn_reason, receipt.withdrawn_by_id) == (
        "Wrong school", users["central_manager"].id)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "withdrawn")).one()
    assert event.detail == "version 1 withdrawn from Hillside Academy (sent in error): Wrong school"


def test_only_a_manager_who_may_see_it_withdraws_and_a_reason_is_required(world, anonymous,
                                                                         session):
    users, ids = world
    url = f"/api/strategies/{ids['finalised']}/versions/1/withdrawals"
    school = STANDARD_ORGANISATIONS["school"]
    body = {"organisation_id": school, "reason": "Sent to the wrong school"}
    assert as_user(anonymous, session, users["central_sw"]).post(url, json=body).status_code == 403
    assert as_user(anonymous, session, users["north_manager"]).post(url, json=body).status_code == 404
    manager = as_user(anonymous, session, users["central_manager"])
    assert manager.post(url, json={**body, "reason": ""}).status_code == 422
    assert manager.post(url, json={**body, "organisation_id": 424242}).status_code == 404
    assert manager.post(url, json=body).status_code == 204
    assert manager.post(url, json=body).status_code == 404  # already withdrawn
    school1 = as_user(anonymous, session, users["school1"])
    assert school1.get(f"/strategies/{ids['finalised']}").status_code == 404
    assert as_user(anonymous, session, users["police"]).get(
        f"/strategies/{ids['finalised']}").status_code == 200


def test_every_refusal_is_logged_once_with_the_user_and_why(world, anonymous, session):
    users, ids = world
    client = as_user(anonymous, session, users["central_sw"])
    # A stale write (409), a missing revision (428), a body refused (422), a workflow refusal.
    record = service.get_record(session, ids["draft"])
    body = record.content.model_dump(mode="json")
    assert client.put(f"/api/strategies/{record.id}", json=body).status_code == 428
    assert client.put(f"/api/strategies/{record.id}",
                      json={**body, "revision": record.revision + 5}).status_code == 409
    assert client.put(f"/api/strategies/{record.id}",
                      json={**body, "revision": record.revision, "nonsense": 1}).status_code == 422
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "refused",
                                                   AuditEvent.username == "central_sw")).all()
    details = sorted(e.detail for e in events)
    assert len(details) == 3
    assert all(d.startswith(f"PUT /api/strategies/{record.id}: 4") for d in details)
    assert [d.split(": ", 1)[1][:3] for d in details] == ["409", "422", "428"]


def test_the_audit_log_shows_a_manager_only_records_they_may_see_and_admin_no_names(
        world, anonymous, session):
    from tests.html import soup

    users, ids = world
    central = service.get_record(session, ids["finalised"])
    north = service.get_record(session, ids["authorised"])
    for person, sees_central, sees_north in (("central_manager", True, False),
                                             ("north_manager", False, True),
                                             ("admin", True, True)):
        page = soup(as_user(anonymous, session, users[person]).get("/audit"))
        text = page.select_one("#events").get_text(" ")
        assert (central.reference in text, north.reference in text) == (
            sees_central, sees_north), person
        # Children's names beside the records: managers, for theirs; the administrator never.
        assert ("Leo Carter" in text) == (person != "admin"), person
    # Asking for another team's record by reference is as if it did not exist.
    page = soup(as_user(anonymous, session, users["north_manager"]).get(
        f"/audit?reference={central.reference}"))
    assert page.select_one("#no-record") is not None
    assert page.select("#events tbody tr") == []


def test_the_outbox_shows_a_manager_only_notices_of_records_they_may_see(
        world, anonymous, session):
    from tests.html import soup

    users, ids = world
    for person, team in (("central_manager", "Central"), ("north_manager", "North")):
        page = soup(as_user(anonymous, session, users[person]).get("/outbox"))
        references = {a.get_text() for a in page.select("#outbox a")}
        sent_to_addresses = {name for name in ids
                             if any(org in orgs for orgs in RECORDS[name]["sent"].values()
                                    for org in ("police", "hospital"))}
        expected = {service.get_record(session, ids[name]).reference
                    for name in sent_to_addresses if oracle_sees(person, name)}
        assert references == expected, (person, team)
    admin = soup(as_user(anonymous, session, users["admin"]).get("/outbox"))
    assert {a.get_text() for a in admin.select("#outbox a")} == {
        service.get_record(session, ids[name]).reference for name in ids if name != "draft"}


def test_a_manager_withdraws_from_the_record_page_without_javascript(world, anonymous, session):
    from tests.html import soup

    users, ids = world
    record_id = ids["finalised"]
    manager = as_user(anonymous, session, users["central_manager"])
    forms = soup(manager.get(f"/strategies/{record_id}")).select("#sent form")
    school = STANDARD_ORGANISATIONS["school"]
    action = f"/strategies/{record_id}/versions/1/organisations/{school}/withdraw"
    assert action in [form["action"] for form in forms]
    assert manager.post(action, data={"reason": "  "}).status_code == 422
    answer = manager.post(action, data={"reason": "Leo goes to Hillside"}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, f"/strategies/{record_id}#sent")
    row = next(tr for tr in soup(manager.get(f"/strategies/{record_id}")).select("#sent tbody tr")
               if "School or college" in tr.get_text())
    assert "Withdrawn" in row.get_text() and "Leo goes to Hillside" in row.get_text()
    assert row.select_one("form") is None
    assert as_user(anonymous, session, users["school1"]).get(
        f"/strategies/{record_id}").status_code == 404
    # A social worker is shown no withdraw form, and may not post one.
    sw = as_user(anonymous, session, users["central_sw"])
    assert soup(sw.get(f"/strategies/{record_id}")).select("#sent form") == []
    gp = STANDARD_ORGANISATIONS["gp"]
    assert sw.post(f"/strategies/{record_id}/versions/1/organisations/{gp}/withdraw",
                   data={"reason": "x"}).status_code == 403


def _record_routes():
    from app.main import app

    def walk(routes):
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            elif (getattr(route, "methods", None) and "{record_id}" in route.path
                  and not route.path.startswith(LINK_ROUTES)):
                yield from ((m, route.path) for m in sorted(route.methods) if m != "HEAD")

    return list(walk(app.routes))


# Read with a personal link's session only (tests/test_links_journey.py): every account
# gets the same 401 there, for a record that exists or not, so they reveal nothing.
LINK_ROUTES = "/r/"


@pytest.mark.parametrize("person", ["police", "north_manager", "admin"])
def test_the_link_routes_answer_every_account_alike(world, anonymous, session, person):
    users, ids = world
    client = as_user(anonymous, session, users[person])
    for record_id in (*ids.values(), 999999):
        for path in (f"/r/records/{record_id}/versions/1",
                     f"/r/records/{record_id}/versions/1/record.pdf"):
            assert client.get(path, follow_redirects=False).status_code == 401, (person, path)


# What a partner who may read the record gets from each record route: reading is theirs,
# changing anything, social care's follow-up and other organisations' receipts are not.
PARTNER_READS = {("GET", "/strategies/{record_id}"), ("GET", "/api/strategies/{record_id}"),
                 ("GET", "/api/strategies/{record_id}/completeness"),
                 ("GET", "/strategies/{record_id}/record.pdf"),
                 ("GET", "/strategies/{record_id}/children/{child_key}/record.pdf"),
                 ("GET", "/strategies/{record_id}/versions/{version}/record.pdf")}


@pytest.mark.parametrize("person", [*OTHERS, *PARTNERS, "north_sw", "north_manager"])
def test_every_record_route_hides_or_refuses_as_the_oracle_says(world, anonymous, session,
                                                                 person):
    """Every route about a record, HTML and API, every method: someone who may not see the
    record gets 404, as if it did not exist; a partner who may read it reads, and is refused
    (403) everything else. (What social care may change is walked in test_permissions.)"""
    users, ids = world
    client = as_user(anonymous, session, users[person])
    routes = _record_routes()
    assert len(routes) >= 26
    before = {i: service.get_record(session, i).revision for i in ids.values()}
    checked = 0
    for name, record_id in ids.items():
        record = service.get_record(session, record_id)
        sees = oracle_sees(person, name)
        if sees and person not in PARTNERS:
            continue  # social care's own rights: test_permissions and the tests per feature
        values = {"record_id": record_id, "slug": "header", "position": 0, "version":
                  oracle_shown(person, name) or 1, "organisation_id": STANDARD_ORGANISATIONS["police"],
                  "link_id": 1,
                  "child_key": record.content.children[0].key}
        bodies = {"/api/strategies/{record_id}": {**record.content.model_dump(mode="json"),
                                                  "revision": record.revision},
                  "/api/strategies/{record_id}/return": {"comments": "x", "reasons": ["other"],
                                                         "revision": record.revision},
                  "/api/strategies/{record_id}/amend": {"reason": "x", "revision": record.revision},
                  "/api/strategies/{record_id}/actions/{position}": {
                      "outcome": "cancelled", "note": "x", "revision": record.revision},
                  "/api/strategies/{record_id}/versions/{version}/withdrawals": {
                      "organisation_id": STANDARD_ORGANISATIONS["police"], "reason": "x"}}
        for method, path in routes:
            kwargs = {"json": bodies.get(path, {"revision": record.revision})} \
                if path.startswith("/api/") and method != "GET" else {}
            if not path.startswith("/api/") and method == "POST":
                kwargs = {"data": {"revision": str(record.revision), "reason": "x"}}
            code = client.request(method, path.format(**values), follow_redirects=False,
                                  **kwargs).status_code
            expected = (404 if not sees else 200 if (method, path) in PARTNER_READS else 403)
            assert code == expected, (person, name, method, path)
            checked += 1
    assert checked > 0
    # Nothing was changed by any of it.
    session.expire_all()
    assert {i: service.get_record(session, i).revision for i in ids.values()} == before


def test_a_partner_cannot_find_a_record_by_what_only_a_newer_version_says(anonymous, session):
    """The list's filters read the record as it stands: a partner whose version is not the one
    in force finds nothing by the draft's names, outcome or status."""
    sw = make_user(session, "sw")
    police = make_user(session, "pc", "partner", agency="police")
    record = lifecycle.create_record(session, data=record_with(), team="Central")
    record = lifecycle.finalise_record(session, record=record, expected_revision=None)
    record = followup.amend(session, record, sw, record.revision, "The name was wrong")
    changed = record.content.model_dump()
    changed["children"][0]["name"] = "Zara Quill"
    changed["decision"]["outcome"] = "s47_single"
    lifecycle.save_record(session, record=record,
                          data=type(record.content).model_validate(changed), expected_revision=None)
    client = as_user(anonymous, session, police)

    def listed(query: str) -> list[int]:
        return [item["id"] for item in client.get(f"/api/strategies?{query}").json()["items"]]

    assert listed("") == [record.id]  # sent to them: listed, as their version 1
    for query in ("q=zara", "outcome=s47_single", "status=draft", "q=leo", "outcome=s47_joint",
                  "status=finalised"):
        assert listed(query) == [], query
    csv_rows = client.get("/strategies.csv?q=zara").content.decode("utf-8-sig").splitlines()
    assert len(csv_rows) == 1  # the heading only
    # Once the amendment is finalised and sent to them, it is theirs and found by what it says.
    record = service.get_record(session, record.id)
    lifecycle.finalise_record(session, record=record, expected_revision=None)
    assert listed("q=zara") == [record.id] and listed("outcome=s47_single") == [record.id]
