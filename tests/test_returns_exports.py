"""The returns' exports (issue 24), against rows worked out by hand: a sibling group, an
unborn child, a further discussion after an earlier section 47 start, an amended record, NFA
and a conference held late, every exported field compared, in every format; who may export;
each export audited with its rows and failed rows.

March 2026 has no bank holiday (Good Friday is 3 April), so each start's conference target,
15 working days on, is three weeks later to the day: 2 March -> 23 March, 3 -> 24, 4 -> 25,
5 -> 26, 6 (a Friday) -> 27, 9 -> 30."""

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from app.auth.models import AuditEvent
from app.followup import lifecycle as service
from app.followup import section47
from app.followup import service as followup
from app.returns import ssd
from tests.builders import complete_record
from tests.conftest import make_user, signed_in
from tests.html import soup, table_rows
from tests.report_world import dated

PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 10, 0)


def child(name, person_id, **more):
    base = {k: v for k, v in complete_record()["children"][0].items() if k != "seen_at"}
    return {**base, "key": person_id.lower(), "name": name, "person_id": person_id,
            "date_of_birth": "2019-05-01", "seen_at": "2026-03-01T09:00:00", **more}


def finalised(session, user, when, children, **changes):
    record = service.create_record(session, data=dated(when, children=children, **changes),
                                   team=user.team, created_by_id=user.id)
    return service.finalise_record(session, record=record, expected_revision=record.revision,
                                   finalised_by=user)


def course(session, user, record, **values):
    return section47.record_course(session, record, user, record.revision, values)


@pytest.fixture
def world(session):
    """The records of the module docstring, and a few that must not be exported."""
    sw = make_user(session, "sam")
    siblings = finalised(session, sw, at(2),
                         [child("Leo Carter", "LCS1001"), child("Mia Carter", "LCS1002")])
    course(session, sw, siblings, icpc="held", icpc_on="2026-03-20", completed_on="2026-03-20",
           outcome="icpc")
    unborn = {**child("Unborn baby of Kim Lowe", "LCS2001"), "date_of_birth": None,
              "communication": None, "unborn": True, "expected_delivery_date": "2026-06-01",
              "gestation_weeks": 27, "midwife": "Ann Bell", "maternity_unit": "Anytown General",
              "observations": "Mother attends antenatal care; a cot is ready"}
    positions = [*complete_record()["agency_positions"],
                 {"agency": "midwifery", "position": "no_concerns"}]
    unborn = finalised(session, sw, at(3), [unborn], agency_positions=positions)
    first = finalised(session, sw, at(4), [child("Sam Green", "LCS3001")])
    further = finalised(session, sw, at(11), [child("Sam Green", "LCS3001")],
                        header={"sequence": "further", "previous_reference": first.reference,
                                "s47_started_on": "2026-03-04"})
    course(session, sw, further, icpc="held", icpc_on="2026-03-25")
    amended = finalised(session, sw, at(5), [child("Ava Hart", "LCS4000")])
    amended = followup.amend(session, amended, sw, amended.revision, "The person ID was wrong")
    corrected = amended.content.model_copy(update={"children": [
        amended.content.children[0].model_copy(update={"person_id": "LCS4001"})]})
    amended = service.save_record(session, record=amended, data=corrected,
                                  expected_revision=amended.revision)
    amended = service.finalise_record(session, record=amended,
                                      expected_revision=amended.revision, finalised_by=sw)
    nfa = finalised(session, sw, at(6), [child("Zak Moss", "LCS5001")])
    course(session, sw, nfa, completed_on="2026-03-13", outcome="nfa")
    late = finalised(session, sw, at(9), [child("Ivy Rose", "LCS6001")])
    course(session, sw, late, icpc="held", icpc_on="2026-04-01")
    # Not exported: before the period, no section 47 enquiry, a draft, another team's.
    finalised(session, sw, at(2) - timedelta(days=30), [child("Old Case", "LCS9001")])
    finalised(session, sw, at(10), [child("Early Help", "LCS9002")],
              decision={"outcome": "early_help"})
    service.create_record(session, data=dated(at(10), children=[child("Draft", "LCS9003")]),
                          team=sw.team, created_by_id=sw.id)
    finalised(session, make_user(session, "nia", team="North"), at(10),
              [child("North Child", "LCS9004")])
    return {"siblings": siblings.reference, "first": first.reference,
            "further": further.id, "amended": amended.reference, "nfa": nfa.reference,
            "late": late.reference, "late_id": late.id, "unborn": unborn.reference}


CENSUS = [
    ["LCS1001", "2026-03-02", "2026-03-23", "2026-03-20", "false"],
    ["LCS1002", "2026-03-02", "2026-03-23", "2026-03-20", "false"],
    ["LCS2001", "2026-03-03", "2026-03-24", "", "false"],
    ["LCS3001", "2026-03-04", "2026-03-25", "2026-03-25", "false"],
    ["LCS4001", "2026-03-05", "2026-03-26", "", "false"],
    ["LCS5001", "2026-03-06", "2026-03-27", "", "true"],
    ["LCS6001", "2026-03-09", "2026-03-30", "2026-04-01", "false"],
]


def manager_client(session, anonymous):
    return signed_in(anonymous, session, make_user(session, "meg", "manager"))


def read_csv(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_the_census_csv_and_xml_hold_the_hand_worked_items(session, anonymous, world):
    client = manager_client(session, anonymous)
    answer = client.get("/returns/census.csv", params=PERIOD)
    assert read_csv(answer) == [["LAchildID", "S47ActualStartDate", "InitialCPCtarget",
                                 "DateOfInitialCPC", "ICPCnotRequired"], *CENSUS]
    assert (answer.headers["x-rows"], answer.headers["x-rows-failed"]) == ("7", "1")
    answer = client.get("/returns/census.xml", params=PERIOD)
    assert answer.status_code == 200
    children = ET.fromstring(answer.content).findall("Child")
    found = []
    for element in children:
        s47 = element.find("CINdetails/Section47")
        found.append([element.findtext("ChildIdentifiers/LAchildID"),
                      *(s47.findtext(name, "") for name in (
                          "S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC",
                          "ICPCnotRequired"))])
    assert found == CENSUS
    # An element with nothing to say is left out, as the census leaves it out.
    assert children[2].find("CINdetails/Section47/DateOfInitialCPC") is None


def test_the_ssd_tables_use_its_names_and_conventions(session, anonymous, world):
    client = manager_client(session, anonymous)
    s47 = read_csv(client.get("/returns/ssd-s47.csv", params=PERIOD))
    assert s47[0] == list(ssd.S47_HEADER)

    def outcome(flag):
        flags = {f: "Y" if f == flag else "N" for f in ssd.FLAGS}
        return json.dumps({**flags, "TOTAL_NO_OF_OUTCOMES": 1, "OUTCOME_COMMENTS": ""},
                          separators=(",", ":"))

    ids = {name: f"{world[name]}-1" for name in ("first", "amended", "nfa", "late", "unborn")}
    sib = world["siblings"]
    assert s47[1:] == [
        [f"{sib}-1", "", "LCS1001", "2026-03-02", "2026-03-20", "N",
         outcome("CP_CONFERENCE_FLAG"), "Central", ""],
        [f"{sib}-2", "", "LCS1002", "2026-03-02", "2026-03-20", "N",
         outcome("CP_CONFERENCE_FLAG"), "Central", ""],
        [ids["unborn"], "", "LCS2001", "2026-03-03", "", "", "", "Central", ""],
        [ids["first"], "", "LCS3001", "2026-03-04", "", "", "", "Central", ""],
        [ids["amended"], "", "LCS4001", "2026-03-05", "", "", "", "Central", ""],
        [ids["nfa"], "", "LCS5001", "2026-03-06", "2026-03-13", "Y", outcome("NFA_FLAG"),
         "Central", ""],
        [ids["late"], "", "LCS6001", "2026-03-09", "", "", "", "Central", ""],
    ]
    icpc = read_csv(client.get("/returns/ssd-icpc.csv", params=PERIOD))
    assert icpc[0] == list(ssd.ICPC_HEADER)
    assert icpc[1:] == [
        [f"{sib}-1-ICPC", "", f"{sib}-1", "LCS1001", "", "", "N", "2026-03-23", "2026-03-20",
         "", "", "Central", ""],
        [f"{sib}-2-ICPC", "", f"{sib}-2", "LCS1002", "", "", "N", "2026-03-23", "2026-03-20",
         "", "", "Central", ""],
        [f"{ids['first']}-ICPC", "", ids["first"], "LCS3001", "", "", "N", "2026-03-25",
         "2026-03-25", "", "", "Central", ""],
        [f"{ids['late']}-ICPC", "", ids["late"], "LCS6001", "", "", "N", "2026-03-30",
         "2026-04-01", "", "", "Central", ""],
    ]


def test_the_json_api_has_the_same_rows_and_the_failures(session, anonymous, world):
    client = manager_client(session, anonymous)
    answer = client.get("/api/exports/section47", params=PERIOD)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from"], body["to"], body["rows"], body["failed_rows"]) == (
        "2026-03-01", "2026-03-31", 7, 1)
    assert [[i["LAchildID"], i["S47ActualStartDate"], i["InitialCPCtarget"],
             i["DateOfInitialCPC"] or "", "true" if i["ICPCnotRequired"] else "false"]
            for i in body["items"]] == CENSUS
    merged = body["items"][3]
    assert merged["reference"] == world["first"] and merged["records"][-1] == world["further"]
    assert [p["code"] for i in body["items"] for p in i["problems"]] == ["InitialCPCtarget"]
    assert body["items"][6]["problems"][0]["severity"] == "query"


def test_the_returns_page_lists_each_failure_with_a_link_to_fix_it(session, anonymous, world):
    client = manager_client(session, anonymous)
    page = soup(client.get("/returns", params=PERIOD))
    assert page.select_one("#counts").get_text(strip=True) == (
        "7 items; 1 failed the census checks.")
    assert table_rows(page.select_one("#problems")) == [[
        world["late"], "Ivy Rose", "InitialCPCtarget (query)",
        "The initial conference was held on 1 April 2026, more than 15 working days after "
        "the enquiry started (due by 30 March 2026)"]]
    assert page.select_one("#problems a")["href"] == (
        f"/strategies/{world['late_id']}/follow-up#section-47")
    assert len(page.select("#downloads a")) == 4


def test_every_export_is_audited_with_its_rows(session, anonymous, world):
    client = manager_client(session, anonymous)
    for name in ("census.xml", "census.csv", "ssd-s47.csv", "ssd-icpc.csv"):
        assert client.get(f"/returns/{name}", params=PERIOD).status_code == 200
    assert client.get("/api/exports/section47", params=PERIOD).status_code == 200
    session.expire_all()
    details = session.exec(select(AuditEvent.detail).where(AuditEvent.action == "exported")
                           .order_by(AuditEvent.id)).all()
    assert details == [
        f"{what}, 2026-03-01 to 2026-03-31: 7 rows, 1 failed the census checks"
        for what in ("CIN census Section47 items (XML)", "CIN census Section47 items (CSV)",
                     "Standard Safeguarding Dataset: ssd_s47_enquiry (CSV)",
                     "Standard Safeguarding Dataset: ssd_initial_cp_conference (CSV)",
                     "section 47 JSON")]


@pytest.mark.parametrize("role", ["social_worker", "partnership", "admin"])
def test_only_managers_export(session, anonymous, role):
    user = make_user(session, "someone", role)
    client = signed_in(anonymous, session, user)
    assert client.get("/returns").status_code == 403
    assert client.get("/returns/census.csv").status_code == 403
    assert client.get("/api/exports/section47").status_code == 403


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"from": "2026-04-01", "to": "2026-03-01"}, "to",
     "The period's end must be on or after its start"),
    ({"from": "31/2/2026"}, "from", "The period's start: Enter a real date, like 27 3 2026"),
    ({"from": "2020-01-01", "to": "2026-01-01"}, "to", "Choose a period of at most three years"),
    ({"from": "x\x00" * 30}, "from", None),
])
def test_a_bad_period_is_refused_clearly(session, anonymous, params, field, message):
    client = manager_client(session, anonymous)
    answer = client.get("/returns", params=params)
    assert answer.status_code in (400, 422)
    if answer.status_code == 422 and message:
        assert soup(answer).select_one(f"#{field}-error").get_text(" ", strip=True) == (
            f"Error: {message}")
    answer = client.get("/api/exports/section47", params=params)
    assert answer.status_code in (400, 422)
    if message:
        assert answer.json()["detail"][0]["msg"] == message
