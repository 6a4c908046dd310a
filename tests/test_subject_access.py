"""Subject access: a manager finds a person across the records and versions they may see,
marks passages to redact, and downloads the bundle (zip: PDFs, index CSV, cover PDF)."""

import csv
import io
import zipfile

from sqlalchemy import select

from app.auth.models import AuditEvent
from app.domain.schema import StrategyRecordData
from app.followup import lifecycle as service
from tests.builders import complete_record
from tests.conftest import make_user, signed_in
from tests.html import soup
from tests.pdf_helpers import pages_text

CHILDREN = "Children"
PR = "Child 1: Who holds parental responsibility"
HOUSEHOLD = "Child 1: Household members, including fathers and male carers"


def _child(name: str, **more) -> dict:
    return complete_record()["children"][0] | {"name": name, **more}


def _record(session, user, child: dict, *, finalise: bool):
    data = StrategyRecordData.model_validate(complete_record() | {"children": [child]})
    record = service.create_record(session, data=data, team=user.team, created_by_id=user.id)
    if finalise:
        record = service.finalise_record(session, record=record,
                                         expected_revision=record.revision, finalised_by=user)
    return record.id, record.reference


def _world(session):
    sw = make_user(session, "sam")
    north = make_user(session, "nat", team="North")
    final = _record(session, sw, _child("Zoë Marsh", parental_responsibility="Kim Marsh (mother)"),
                    finalise=True)
    draft = _record(session, sw, _child("Amy Stone", household="<i>Kim</i> Marsh & partner"),
                    finalise=False)
    _record(session, north, _child("Ted Marsh"), finalise=True)  # another team's: never found
    return final, draft


def _manager(anonymous, session):
    return signed_in(anonymous, session, make_user(session, "mo", "manager"))


def _rows(page) -> list[list[str]]:
    return [[" ".join(td.get_text().split()) for td in tr.select("td")[:5]]
            for tr in soup(page).select("#passages tbody tr")]


def test_a_manager_finds_the_person_in_every_record_and_version_they_may_see(session, anonymous):
    (_, final), (_, draft) = _world(session)
    page = _manager(anonymous, session).get("/subject-access", params={"name": "  marsh "})
    assert page.status_code == 200
    assert soup(page).select_one("#summary").get_text() == "2 records, 3 passages name “marsh”"
    assert _rows(page) == [
        [final, "Version 1", CHILDREN, "Child 1: Name", "Zoë Marsh"],
        [final, "Version 1", CHILDREN, PR, "Kim Marsh (mother)"],
        [draft, "Working copy (draft)", CHILDREN, HOUSEHOLD, "<i>Kim</i> Marsh & partner"],
    ]
    note = soup(page).select_one("#redaction-note").get_text()
    assert "printed again with that field's text replaced by “[Redacted]”" in " ".join(note.split())
    searched = session.execute(select(AuditEvent).where(
        AuditEvent.action == "subject_access_searched")).scalar_one()
    assert searched.detail == "2 record(s), 3 passage(s)"  # never the name


def test_names_beyond_ascii_are_found_on_both_databases(session, anonymous):
    (_, final), _ = _world(session)
    page = _manager(anonymous, session).get("/subject-access", params={"name": "Zoë"})
    assert _rows(page) == [[final, "Version 1", CHILDREN, "Child 1: Name", "Zoë Marsh"]]


def _bundle(client, **form):
    answer = client.post("/subject-access/bundle", data={"name": "Marsh", **form})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(answer.content))


def _index(bundle) -> list[list[str]]:
    text = bundle.read("index.csv").decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_bundle_holds_each_pdf_the_index_and_a_cover(session, anonymous):
    (final_id, final), (_, draft) = _world(session)
    bundle = _bundle(_manager(anonymous, session))
    assert sorted(bundle.namelist()) == sorted([
        "cover.pdf", "index.csv", f"records/{final}-v1.pdf", f"records/{draft}-v1-DRAFT.pdf"])
    assert _index(bundle) == [
        ["reference", "version", "section", "field", "passage"],
        [final, "1", CHILDREN, "Child 1: Name", "Zoë Marsh"],
        [final, "1", CHILDREN, PR, "Kim Marsh (mother)"],
        [draft, "working copy", CHILDREN, HOUSEHOLD, "<i>Kim</i> Marsh & partner"],
    ]
    cover = " ".join(pages_text(bundle.read("cover.pdf")))
    assert "Subject access: where Marsh appears" in cover
    assert "<i>Kim</i> Marsh & partner" in cover  # the text as typed, never markup
    assert "redaction" not in cover
    assert "Kim Marsh (mother)" in " ".join(pages_text(bundle.read(f"records/{final}-v1.pdf")))
    exported = session.execute(select(AuditEvent.record_id, AuditEvent.detail).where(
        AuditEvent.action == "subject_access_exported").order_by(AuditEvent.id)).all()
    assert [tuple(row) for row in exported][0] == (
        final_id, "in a subject access bundle, 0 passage(s) redacted")
    assert len(exported) == 2


def test_a_passage_marked_for_redaction_is_left_out_and_its_pdf_printed_again(
        session, anonymous):
    (final_id, final), (_, draft) = _world(session)
    client = _manager(anonymous, session)
    page = client.get("/subject-access", params={"name": "Marsh"})
    boxes = soup(page).select("#passages input[name=redact]")
    redact = boxes[1]["value"]  # Kim Marsh (mother), version 1
    assert redact == f"{final_id}:1:children.0.parental_responsibility"
    bundle = _bundle(client, redact=[redact, "9999:1:children.0.name"])  # a forged one: ignored
    assert f"records/{final}-v1-redacted.pdf" in bundle.namelist()
    assert [row[4] for row in _index(bundle)[1:]] == ["Zoë Marsh", "<i>Kim</i> Marsh & partner"]
    cover = " ".join(pages_text(bundle.read("cover.pdf")))
    assert "Kim Marsh (mother)" not in cover
    assert "1 passage was marked for redaction" in cover
    printed = " ".join(pages_text(bundle.read(f"records/{final}-v1-redacted.pdf")))
    assert "Kim Marsh (mother)" not in printed and "[Redacted]" in printed
    assert "Zoë Marsh" in printed
    detail = session.execute(select(AuditEvent.detail).where(
        AuditEvent.action == "subject_access_exported", AuditEvent.record_id == final_id)
    ).scalar_one()
    assert detail == "in a subject access bundle, 1 passage(s) redacted"


def test_bad_names_are_refused_with_what_was_typed(session, anonymous):
    _world(session)
    client = _manager(anonymous, session)
    for typed, message in [("", "Enter the name of the person, as records would name them"),
                           ("M", "Enter at least 2 characters of the name"),
                           ("Ma\x07rsh\u200b", "The name can only have letters, spaces and punctuation"),
                           ("x" * 101, "The name must be 100 characters or fewer")]:
        page = client.get("/subject-access", params={"name": typed})
        assert page.status_code == 422
        html = soup(page)
        assert [li.get_text() for li in html.select(".govuk-error-summary li")] == [message]
        assert html.select_one("#name")["value"] == typed
    nothing = client.post("/subject-access/bundle", data={"name": "Nobody"})
    assert nothing.status_code == 422
    assert soup(nothing).select_one(".govuk-error-summary li").get_text() == \
        "Nothing to export: no record names them"
    markup = client.get("/subject-access", params={"name": "<b>Marsh"})
    assert soup(markup).select_one("#summary").get_text() == "No record you may see names “<b>Marsh”"


def test_only_managers_answer_subject_access_requests(session, anonymous):
    _world(session)
    sw = signed_in(anonymous, session, make_user(session, "sue"))
    assert sw.get("/subject-access", params={"name": "Marsh"}).status_code == 403
    assert sw.post("/subject-access/bundle", data={"name": "Marsh"}).status_code == 403
