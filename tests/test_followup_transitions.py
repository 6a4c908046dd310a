"""After the meeting: every transition through the API and the pages, including the refused
ones (authorise a draft, return an authorised record, authorise one's own, amend a draft,
record follow-up as a partner), and each in the audit log."""

import pytest
from sqlmodel import select

from app.auth.models import AuditEvent
from app.clock import as_utc
from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.followup import service as followup
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.records.models import StrategyRecord
from app.sending.models import RecordReceipt
from tests.builders import complete_record, finalised_record
from tests.conftest import as_user, make_user
from tests.html import soup


@pytest.fixture
def people(session):
    return {
        "sw": make_user(session, "sam"),
        "manager": make_user(session, "mo", "manager"),
        "police": make_user(session, "pc", "partner", agency="police"),
    }



def _finalised(client, **header) -> dict:
    body = complete_record()
    body["header"] |= header
    created = client.post("/api/strategies", json=body).json()
    done = client.post(f"/api/strategies/{created['id']}/finalise",
                       json={"revision": created["revision"]})
    assert done.status_code == 200, done.text
    return done.json()


def _audited(session, action: str, record_id: int) -> int:
    return len(session.exec(select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.record_id == record_id)).all())


def test_authorise_names_the_manager_and_is_audited(anonymous, session, people):
    record = _finalised(as_user(anonymous, session, people["sw"]))
    client = as_user(anonymous, session, people["manager"])
    answer = client.post(f"/api/strategies/{record['id']}/authorise",
                         json={"revision": record["revision"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "authorised"
    assert answer.json()["revision"] == record["revision"] + 1
    snapshot = session.exec(select(RecordVersion)).one()
    assert (snapshot.version, snapshot.authorised_by_name) == (1, "Mo")
    assert _audited(session, "authorised", record["id"]) == 1
    page = soup(client.get(f"/strategies/{record['id']}"))
    assert page.select_one("#authorised").get_text(" ", strip=True).startswith(
        "Authorised by Mo on")


def test_authorise_a_draft_is_refused_409_with_the_reason(anonymous, session, people):
    draft = as_user(anonymous, session, people["sw"]).post(
        "/api/strategies", json=complete_record()).json()
    client = as_user(anonymous, session, people["manager"])
    answer = client.post(f"/api/strategies/{draft['id']}/authorise",
                         json={"revision": draft["revision"]})
    assert answer.status_code == 409
    assert answer.json()["detail"] == ("Only a finalised record can be authorised: this one is "
                                       "a draft. Its author finalises it first")
    assert session.get(StrategyRecord, draft["id"]).status == "draft"


def test_authorise_without_a_revision_is_428_and_a_stale_one_409(anonymous, session, people):
    record = _finalised(as_user(anonymous, session, people["sw"]))
    client = as_user(anonymous, session, people["manager"])
    url = f"/api/strategies/{record['id']}/authorise"
    assert client.post(url).status_code == 428
    assert client.post(url, json={"revision": record["revision"] - 1}).status_code == 409
    assert client.post(url, headers={"If-Match": f'"{record["revision"]}"'}).status_code == 200


def test_authorising_a_record_one_chaired_is_refused(anonymous, session, people):
    record = _finalised(as_user(anonymous, session, people["sw"]), chair="Mo")
    client = as_user(anonymous, session, people["manager"])
    answer = client.post(f"/api/strategies/{record['id']}/authorise",
                         json={"revision": record["revision"]})
    assert answer.status_code == 409
    assert answer.json()["detail"] == ("You chaired the discussion, so another manager must "
                                       "authorise it")


def test_authorising_a_record_one_wrote_is_refused_unless_configured(anonymous, session, people,
                                                                     monkeypatch):
    client = as_user(anonymous, session, people["manager"])
    record = _finalised(client)  # the manager started and finalised it
    url = f"/api/strategies/{record['id']}/authorise"
    refused = client.post(url, json={"revision": record["revision"]})
    assert refused.status_code == 409
    assert refused.json()["detail"] == ("You started the record, so another manager must "
                                        "authorise it")
    monkeypatch.setenv("AUTHORISER_MAY_HAVE_TAKEN_PART", "true")
    from app.config import get_settings
    get_settings.cache_clear()
    try:
        assert client.post(url, json={"revision": record["revision"]}).status_code == 200
    finally:
        monkeypatch.delenv("AUTHORISER_MAY_HAVE_TAKEN_PART")
        get_settings.cache_clear()


def test_only_managers_authorise_or_return(anonymous, session, people):
    client = as_user(anonymous, session, people["sw"])
    record = _finalised(client)
    for path, body in (("authorise", {}), ("return", {"comments": "x", "reasons": ["other"]})):
        answer = client.post(f"/api/strategies/{record['id']}/{path}",
                             json={"revision": record["revision"], **body})
        assert answer.status_code == 403
    assert session.get(StrategyRecord, record["id"]).status == "finalised"


def test_return_goes_back_to_draft_with_comments_the_author_sees(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _finalised(sw)
    client = as_user(anonymous, session, people["manager"])
    answer = client.post(f"/api/strategies/{record['id']}/return",
                         json={"revision": record["revision"],
                               "reasons": ["agency_position"],
                               "comments": "Say <why> the school was not asked"})
    assert answer.status_code == 200, answer.text
    # Version 1 was sent to its agencies on finalising: it never changes under them, so the
    # return starts a correction, version 2, and version 1 stays in force meanwhile.
    assert (answer.json()["status"], answer.json()["version"]) == ("draft", 2)
    assert answer.json()["revision"] == record["revision"] + 1
    assert [v.version for v in session.exec(select(RecordVersion))] == [1]
    assert _audited(session, "returned", record["id"]) == 1
    sw = as_user(anonymous, session, people["sw"])
    page = soup(sw.get(f"/strategies/{record['id']}"))
    assert "Say <why> the school was not asked" in page.select_one("#returned").get_text()
    listing = soup(sw.get("/strategies"))
    assert listing.select_one("#records .app-returned").get_text(strip=True) == "Returned"
    kinds = [e.kind for e in session.exec(select(FollowUpEntry).order_by(FollowUpEntry.id))]
    assert kinds == ["finalised", "returned"]
    # Resubmitted: finalised as version 2, no longer "returned"; version 1 is superseded.
    again = sw.post(f"/api/strategies/{record['id']}/finalise",
                    json={"revision": answer.json()["revision"]})
    assert again.status_code == 200
    assert again.json()["version"] == 2
    assert session.get(StrategyRecord, record["id"]).returned_at is None
    session.expire_all()
    assert [(v.version, v.superseded_by) for v in session.exec(
        select(RecordVersion).order_by(RecordVersion.version))] == [(1, 2), (2, None)]


def test_return_needs_comments_422_naming_the_field(anonymous, session, people):
    record = _finalised(as_user(anonymous, session, people["sw"]))
    client = as_user(anonymous, session, people["manager"])
    answer = client.post(f"/api/strategies/{record['id']}/return",
                         json={"revision": record["revision"], "comments": "  ",
                               "reasons": ["other"]})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "comments"]


def test_return_an_authorised_record_is_refused(anonymous, session, people):
    record = _finalised(as_user(anonymous, session, people["sw"]))
    client = as_user(anonymous, session, people["manager"])
    authorised = client.post(f"/api/strategies/{record['id']}/authorise",
                             json={"revision": record["revision"]}).json()
    answer = client.post(f"/api/strategies/{record['id']}/return",
                         json={"revision": authorised["revision"], "comments": "Too late",
                               "reasons": ["other"]})
    assert answer.status_code == 409
    assert answer.json()["detail"] == ("This record is authorised and cannot be returned: "
                                       "amend it instead")


def test_amend_makes_a_new_draft_version_and_keeps_the_first(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _finalised(sw)
    answer = sw.post(f"/api/strategies/{record['id']}/amend",
                     json={"revision": record["revision"], "reason": "Wrong date of birth"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["version"]) == ("draft", 2)
    assert _audited(session, "amended", record["id"]) == 1
    # Finalise version 2: version 1 is superseded by it, both kept.
    final = sw.post(f"/api/strategies/{record['id']}/finalise",
                    json={"revision": answer.json()["revision"]})
    assert final.status_code == 200
    snapshots = session.exec(select(RecordVersion).order_by(RecordVersion.version)).all()
    assert [(s.version, s.superseded_by) for s in snapshots] == [(1, 2), (2, None)]
    entry = session.exec(select(FollowUpEntry).where(FollowUpEntry.kind == "amended")).one()
    assert entry.details["reason"] == "Wrong date of birth"
    assert (entry.version, entry.details["amends"]) == (2, 1)


def test_amend_a_draft_is_refused(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    draft = sw.post("/api/strategies", json=complete_record()).json()
    answer = sw.post(f"/api/strategies/{draft['id']}/amend",
                     json={"revision": draft["revision"], "reason": "x"})
    assert answer.status_code == 409
    assert answer.json()["detail"] == ("Only a finalised or authorised record can have an "
                                       "amendment: this record is a draft")


def test_amend_needs_a_reason(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _finalised(sw)
    answer = sw.post(f"/api/strategies/{record['id']}/amend",
                     json={"revision": record["revision"], "reason": ""})
    assert answer.status_code == 422
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        (["body", "reason"], "Enter the reason for the amendment: what was wrong or missing")]


def test_partner_cannot_record_follow_up_or_amend(anonymous, session, people):
    record = _finalised(as_user(anonymous, session, people["sw"]))  # sent to the police
    police = as_user(anonymous, session, people["police"])
    assert police.post(f"/api/strategies/{record['id']}/amend",
                       json={"revision": record["revision"], "reason": "x"}).status_code == 403
    page = police.post(f"/strategies/{record['id']}/actions/1",
                       data={"revision": record["revision"], "outcome": "done", "note": "x",
                             "done_on": "2026-01-05"})
    assert page.status_code == 403
    assert police.get(f"/strategies/{record['id']}/follow-up").status_code == 403
    assert police.get("/api/actions").status_code == 403
    assert session.exec(select(TrackedAction).where(TrackedAction.status != "open")).all() == []


def test_partner_sees_the_sent_version_while_an_amendment_is_drafted(anonymous, session, people):
    sw = as_user(anonymous, session, people["sw"])
    record = _finalised(sw)
    amended = sw.post(f"/api/strategies/{record['id']}/amend",
                      json={"revision": record["revision"], "reason": "Correct a name"}).json()
    changed = {**complete_record(), "revision": amended["revision"]}
    changed["children"][0]["name"] = "Draft Name"
    assert sw.put(f"/api/strategies/{record['id']}", json=changed).status_code == 200
    police = as_user(anonymous, session, people["police"])
    page = police.get(f"/strategies/{record['id']}")
    assert page.status_code == 200
    text = soup(page).get_text()
    assert "Leo Carter" in text and "Draft Name" not in text
    assert "version 1" in soup(page).select_one(".govuk-caption-l").get_text()
    # Nor does the list, HTML or JSON, show anything of the draft.
    listed = soup(police.get("/strategies")).select_one("#records tbody").get_text(" ")
    assert "Draft Name" not in listed and record["reference"] in listed
    # The partner's row is the version sent to them, as it was sent.
    (item,) = police.get("/api/strategies").json()["items"]
    assert (item["status"], item["version"], item["children"], item["outcome"]) == (
        "finalised", 1, ["Leo Carter"], "s47_joint")
    # Social care, whose draft it is, sees it as it stands.
    sw = as_user(anonymous, session, people["sw"])
    assert "Draft Name" in soup(sw.get("/strategies")).select_one("#records tbody").get_text(" ")


def test_the_service_refuses_each_workflow_step_out_of_turn_saying_why(session, people):
    """The reasons the pages and the API show, word for word."""
    manager = people["manager"]
    draft = lifecycle.create_record(session, data=StrategyRecordData.model_validate(
        complete_record()), team="Central", created_by_id=people["sw"].id)
    with pytest.raises(followup.Refused) as refused:
        followup.return_record(session, draft, manager, draft.revision, "Comments", ["other"])
    assert refused.value.reason == ("Only a finalised record awaiting authorisation can be "
                                    "returned: this one is a draft")
    record = finalised_record(session, people["sw"])
    record = followup.authorise(session, record, manager, record.revision)
    with pytest.raises(followup.Refused) as refused:
        followup.authorise(session, record, manager, record.revision)
    assert refused.value.reason == "This record is already authorised"


def test_an_invalid_change_reads_as_each_field_and_its_message():
    invalid = followup.Invalid({"reason": "Enter a reason", "comments": "Too long"})
    assert str(invalid) == "reason: Enter a reason; comments: Too long"


def _finalised_twice(session, sw) -> StrategyRecord:
    """Finalised, amended and finalised again: versions 1 and 2."""
    record = finalised_record(session, sw)
    record = followup.amend(session, record, sw, record.revision, "Typo")
    return lifecycle.finalise_record(session, record=record, expected_revision=record.revision,
                                     finalised_by=sw)


def test_authorising_marks_the_version_in_force_of_that_record_alone(session, people):
    sw, manager = people["sw"], people["manager"]
    other = _finalised_twice(session, sw)
    record = _finalised_twice(session, sw)
    record = followup.authorise(session, record, manager, record.revision)
    session.expire_all()
    assert [(s.record_id, s.version, s.authorised_by_id, s.authorised_by_name,
             s.authorised_at is not None) for s in session.exec(select(RecordVersion).order_by(
                 RecordVersion.record_id, RecordVersion.version))] == [
        (other.id, 1, None, None, False), (other.id, 2, None, None, False),
        (record.id, 1, None, None, False), (record.id, 2, manager.id, "Mo", True)]
    assert session.get(StrategyRecord, record.id).authorised_by_id == manager.id
    assert [e.kind for e in session.exec(select(FollowUpEntry).where(
        FollowUpEntry.record_id == record.id).order_by(FollowUpEntry.id))] == [
        "finalised", "amended", "finalised", "authorised"]


def test_with_send_on_authorise_authorising_sends_the_version_as_the_managers_act(
        session, people, settings_env):
    settings_env(send_on="authorise")
    manager = people["manager"]
    record = finalised_record(session, people["sw"])
    assert session.exec(select(RecordReceipt)).all() == []
    followup.authorise(session, record, manager, record.revision)
    session.expire_all()
    authorised_at = as_utc(session.exec(select(RecordVersion)).one().authorised_at)
    assert [(r.version, r.agency, as_utc(r.sent_at)) for r in session.exec(
        select(RecordReceipt).order_by(RecordReceipt.agency))] == [
        (1, "health_visiting", authorised_at), (1, "police", authorised_at)]
    assert {(e.user_id, e.username) for e in session.exec(select(AuditEvent).where(
        AuditEvent.action == "record_sent"))} == {(manager.id, "mo")}
