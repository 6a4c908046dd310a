"""The child's identifiers (issue 24): checked as typed, a warning when the person ID is
missing, printed on the PDF's first page, found in the list by exact match."""

import pytest
from pydantic import ValidationError

from app.config import get_settings
from app.domain.identifiers import nhs_number_valid, upn_valid
from app.domain.schema import Child
from app.followup import lifecycle as service
from app.rules.completeness import evaluate
from tests.builders import complete_record, record_with
from tests.conftest import make_user, signed_in
from tests.html import error_summary, form_data, replaced, soup
from tests.pdf_helpers import pages_text

# Worked by hand. NHS 943 476 5919: 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 % 11 = 2;
# 11 - 2 = 9, the last digit. UPN A123456789012: 1*2+2*3+3*4+4*5+5*6+6*7+7*8+8*9+9*10+0*11
# +1*12+2*13 = 368; 368 % 23 = 0: A.
NHS = "9434765919"
UPN = "A123456789012"


@pytest.mark.parametrize(("number", "valid"), [
    (NHS, True), ("9434765918", False), ("943476591", False), ("94347659190", False),
    # 1*10+...: the check works out as 10, which no number may have.
    ("0000000060", False), ("4010232137", True),
])
def test_nhs_numbers_are_checked_with_their_modulus_11_digit(number, valid):
    assert nhs_number_valid(number) is valid


@pytest.mark.parametrize(("upn", "valid"), [
    (UPN, True), ("B123456789012", False), ("A12345678901", False), ("I123456789012", False),
    # A temporary UPN ends in a letter: A (0) for 2 weighs nothing, so the check is 368 - 26
    # = 342; 342 % 23 = 20: X.
    ("X12345678901A", True), ("A12345678901A", False),
])
def test_upns_are_checked_with_their_check_letter(upn, valid):
    assert upn_valid(upn) is valid


def test_identifiers_are_stored_in_one_spelling_and_refused_when_wrong():
    child = Child(name="Leo", nhs_number="943 476 5919", upn="a123456789012",
                  person_id=" LCS-1001 ")
    assert (child.nhs_number, child.upn, child.person_id) == (NHS, UPN, "LCS-1001")
    with pytest.raises(ValidationError, match="Enter a real NHS number"):
        Child(nhs_number="943 476 5918")
    with pytest.raises(ValidationError, match="real unique pupil number"):
        Child(upn="B123456789012")
    with pytest.raises(ValidationError, match="case-system ID"):
        Child(person_id="LCS 1001; drop")
    with pytest.raises(ValidationError, match="An unborn child has no unique pupil number"):
        Child(unborn=True, upn=UPN)


def test_a_missing_person_id_is_a_warning_not_a_block(settings_env):
    settings_env(PERSON_ID_LABEL="Mosaic ID")
    data = record_with(children=[{**complete_record()["children"][0], "person_id": None}])
    results = {r.rule.id: r for r in evaluate(data, get_settings())}
    found = results["children.person-id"]
    assert found.rule.severity == "warning"
    assert [(f.message, f.path) for f in found.failures] == [
        ("Enter Leo Carter's Mosaic ID", ("children", 0, "person_id"))]
    assert results["children.person-id"].passed is False
    assert all(r.passed for r in results.values() if r.rule.severity == "blocking")
    assert results["children.person-id"].rule.id not in {
        r.rule.id for r in evaluate(record_with(), get_settings()) if not r.passed}


def test_a_wrong_nhs_number_reshows_the_children_form_with_the_summary(client, settings_env):
    settings_env(PERSON_ID_LABEL="Mosaic ID")
    record_id = client.post("/api/strategies", json=complete_record()).json()["id"]
    url = f"/strategies/{record_id}/sections/children"
    page = soup(client.get(url))
    assert page.select_one("label[for=children-0-person_id]").get_text(strip=True) == "Mosaic ID"
    typed = {"children-0-nhs_number": "943 476 5918", "children-0-upn": "A123456789012"}
    posted: dict = {}
    for key, value in replaced(form_data(page), typed):
        posted.setdefault(key, []).append(value)
    answer = client.post(url, data=posted)
    assert answer.status_code == 422
    page = soup(answer)
    assert error_summary(page) == {"#children-0-nhs_number": (
        "Enter a real NHS number: 10 digits, like 943 476 5919 (the last digit is a check "
        "digit)")}
    assert page.select_one("#children-0-nhs_number")["value"] == "943 476 5918"
    assert page.select_one("#children-0-upn")["value"] == "A123456789012"


def test_the_list_finds_a_child_by_an_identifier_exactly(session, anonymous):
    sw = make_user(session, "sam")
    child = {**complete_record()["children"][0], "nhs_number": NHS, "upn": UPN}
    found = service.create_record(session, data=record_with(children=[child]),
                                  team=sw.team, created_by_id=sw.id)
    service.create_record(session, data=record_with(), team=sw.team, created_by_id=sw.id)
    client = signed_in(anonymous, session, sw)

    def listed(q):
        answer = client.get("/api/strategies", params={"q": q})
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert listed("943 476 5919") == [found.id]
    assert listed("a123456789012") == [found.id]
    assert listed("943476591") == []  # part of a number finds nothing
    assert len(listed("lcs1001")) == 2  # both children carry the builders' person ID


def test_the_identifiers_are_on_the_pdfs_first_page(session, anonymous, settings_env):
    settings_env(PERSON_ID_LABEL="Mosaic ID")
    sw = make_user(session, "sam")
    child = {**complete_record()["children"][0], "nhs_number": NHS, "upn": UPN}
    record = service.create_record(session, data=record_with(children=[child]),
                                   team=sw.team, created_by_id=sw.id)
    client = signed_in(anonymous, session, sw)
    answer = client.get(f"/strategies/{record.id}/record.pdf")
    assert answer.status_code == 200
    first = pages_text(answer.content)[0]
    assert ("Leo Carter: Mosaic ID LCS1001, NHS number 943 476 5919, UPN A123456789012."
            in first)
