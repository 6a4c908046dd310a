"""The JSON API: round trip, completeness, finalise, and clear 4xx answers for bad input."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.auth.models import AuditEvent, User
from app.domain.schema import StrategyRecordData
from app.rules.completeness import RULES
from tests.builders import complete_record


def _paths(answer) -> set[tuple[str, ...]]:
    return {tuple(str(p) for p in e["loc"]) for e in answer.json()["detail"]}


def _holds(document, sent, path="") -> None:
    """Every value sent is in the document as sent (the document may add defaults)."""
    if isinstance(sent, dict):
        for key, value in sent.items():
            _holds(document[key], value, f"{path}.{key}")
    elif isinstance(sent, list):
        assert len(document) == len(sent), path
        for index, (read, value) in enumerate(zip(document, sent, strict=True)):
            _holds(read, value, f"{path}[{index}]")
    else:
        assert document == sent, (path, document, sent)


def test_create_read_round_trip(client):
    body = complete_record()
    created = client.post("/api/strategies", json=body)
    assert created.status_code == 201
    record = created.json()
    read = client.get(f"/api/strategies/{record['id']}")
    assert read.status_code == 200
    # The whole document reads back as created, and holds everything sent, as sent.
    assert read.json() == record
    _holds(record, body)
    # Every section field the schema has is there, defaults included, and nothing else.
    sections = StrategyRecordData.model_validate(body).model_dump(mode="json")
    assert {key: record[key] for key in sections} == sections
    assert set(record) - set(sections) == {"id", "reference", "status", "revision", "version",
                                           "created_at", "updated_at", "finalised_at",
                                           "further_discussion_cancelled"}
    assert record["further_discussion_cancelled"] is None
    assert re.fullmatch(r"SR-\d{4}-\d{5}", record["reference"])
    assert (record["status"], record["revision"], record["version"], record["finalised_at"]) == (
        "draft", 1, 1, None)
    assert record["created_at"] == record["updated_at"]
    assert read.headers["ETag"] == created.headers["ETag"] == '"1"'


def test_new_record_holds_update_all_agencies_action(client):
    record = client.post("/api/strategies", json={}).json()
    kinds = [a["kind"] for a in record["actions"]]
    assert kinds == ["update_agencies"]
    assert record["actions"][0]["description"].startswith("CSC will update all agencies")


def test_put_cannot_delete_update_action(client):
    record = client.post("/api/strategies", json=complete_record()).json()
    body = {**record, "actions": []}
    replaced = client.put(f"/api/strategies/{record['id']}", json=body)
    assert replaced.status_code == 200
    actions = replaced.json()["actions"]
    assert [a["kind"] for a in actions] == ["update_agencies"]
    assert actions[0]["due_date"] == record["actions"][0]["due_date"]


def test_stale_put_is_refused(client):
    record = client.post("/api/strategies", json={}).json()
    first = client.put(f"/api/strategies/{record['id']}",
                       json={**record, "analysis": {"risks": "mine"}})
    assert first.status_code == 200
    second = client.put(f"/api/strategies/{record['id']}",
                        json={**record, "analysis": {"risks": "theirs"}})
    assert second.status_code == 409
    assert second.json()["detail"] == "Someone else changed this record since you read it: read it again"
    assert client.get(f"/api/strategies/{record['id']}").json()["analysis"]["risks"] == "mine"


def test_if_match_header_checks_revision(client):
    record = client.post("/api/strategies", json={}).json()
    url = f"/api/strategies/{record['id']}"
    stale = client.put(url, json={}, headers={"If-Match": '"999"'})
    assert stale.status_code == 409
    fresh = client.put(url, json={}, headers={"If-Match": client.get(url).headers["ETag"]})
    assert fresh.status_code == 200


def test_completeness_lists_every_rule(client):
    record = client.post("/api/strategies", json={}).json()
    results = client.get(f"/api/strategies/{record['id']}/completeness").json()
    # Every registered rule, once, in the registry's order, as the registry states it.
    assert [(r["id"], r["severity"], r["section"], r["message"]) for r in results] == [
        (rule.id, rule.severity.value, rule.section, rule.message) for rule in RULES]
    by_id = {r["id"]: r for r in results}
    assert by_id["header.required"]["passed"] is False
    assert by_id["header.required"]["severity"] == "blocking"
    assert by_id["next.icpc-date"]["severity"] == "warning"
    # A complete record passes every one of them.
    complete = client.post("/api/strategies", json=complete_record()).json()
    results = client.get(f"/api/strategies/{complete['id']}/completeness").json()
    assert [(r["id"], r["passed"], r["failures"]) for r in results] == [
        (rule.id, True, []) for rule in RULES]


def test_finalise_refused_then_accepted(client):
    record = client.post("/api/strategies", json={}).json()
    url = f"/api/strategies/{record['id']}"
    refused = client.post(f"{url}/finalise", json={"revision": record["revision"]})
    assert refused.status_code == 422
    failing = {r["id"] for r in refused.json()["detail"]}
    assert "decision.required" in failing
    assert {r["severity"] for r in refused.json()["detail"]} == {"blocking"}
    saved = client.put(url, json={**complete_record(), "revision": record["revision"]}).json()
    accepted = client.post(f"{url}/finalise", json={"revision": saved["revision"]})
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "finalised"
    assert accepted.headers["ETag"] == f'"{accepted.json()["revision"]}"'
    again = client.put(url, json={**complete_record(), "revision": accepted.json()["revision"]})
    assert again.status_code == 409
    assert again.json()["detail"] == "This record is finalised and can no longer be changed"


# --- every write names the revision it was based on --------------------------------------------


def test_put_without_a_revision_is_refused_with_428_and_saves_nothing(client):
    record = client.post("/api/strategies", json={}).json()
    url = f"/api/strategies/{record['id']}"
    answer = client.put(url, json={"analysis": {"risks": "blind overwrite"}})
    assert answer.status_code == 428
    assert "Send the revision you read" in answer.json()["detail"]
    stored = client.get(url).json()
    assert stored["analysis"]["risks"] is None and stored["revision"] == record["revision"]


def test_put_with_revision_in_the_body_saves(client):
    record = client.post("/api/strategies", json={}).json()
    url = f"/api/strategies/{record['id']}"
    answer = client.put(url, json={"analysis": {"risks": "mine"}, "revision": record["revision"]})
    assert answer.status_code == 200
    assert answer.json()["revision"] == record["revision"] + 1
    assert client.get(url).json()["analysis"]["risks"] == "mine"


def test_put_with_a_stale_if_match_and_a_fresh_body_revision_is_refused(client):
    record = client.post("/api/strategies", json={}).json()
    answer = client.put(f"/api/strategies/{record['id']}",
                        json={"revision": record["revision"]}, headers={"If-Match": '"999"'})
    assert answer.status_code == 409


@pytest.mark.parametrize("if_match", ["abc", "*", '"1", "2"', '""'])
def test_malformed_if_match_is_422_naming_the_header(client, if_match):
    record = client.post("/api/strategies", json={}).json()
    answer = client.put(f"/api/strategies/{record['id']}", json={},
                        headers={"If-Match": if_match})
    assert answer.status_code == 422
    assert _paths(answer) == {("header", "if-match")}


@pytest.mark.parametrize("revision", ["1", 1.0, True, 0, None])
def test_put_revision_must_be_a_whole_number(client, revision):
    record = client.post("/api/strategies", json={}).json()
    answer = client.put(f"/api/strategies/{record['id']}", json={"revision": revision})
    if revision is None:  # null is "not sent"
        assert answer.status_code == 428
    else:
        assert answer.status_code == 422
        assert _paths(answer) == {("body", "revision")}


def test_finalise_without_a_revision_is_refused_with_428(client):
    record = client.post("/api/strategies", json=complete_record()).json()
    url = f"/api/strategies/{record['id']}"
    missing = client.post(f"{url}/finalise")
    assert missing.status_code == 428
    assert "Send the revision you read" in missing.json()["detail"]
    empty = client.post(f"{url}/finalise", json={})  # a body without its one field
    assert empty.status_code == 422
    assert _paths(empty) == {("body", "revision")}
    assert client.get(url).json()["status"] == "draft"


def test_finalise_from_a_stale_read_is_refused_with_409(client):
    record = client.post("/api/strategies", json=complete_record()).json()
    url = f"/api/strategies/{record['id']}"
    client.put(url, json={"analysis": {"risks": "changed"}, "revision": record["revision"]})
    for stale in ({"json": {"revision": record["revision"]}},
                  {"headers": {"If-Match": f'"{record["revision"]}"'}}):
        answer = client.post(f"{url}/finalise", **stale)
        assert answer.status_code == 409
        assert answer.json()["detail"] == "Someone else changed this record since you read it: read it again"
    assert client.get(url).json()["status"] == "draft"


def test_finalise_with_if_match_is_accepted(client):
    created = client.post("/api/strategies", json=complete_record())
    url = created.headers["Location"]
    answer = client.post(f"{url}/finalise", headers={"If-Match": created.headers["ETag"]})
    assert answer.status_code == 200
    assert answer.json()["status"] == "finalised"


def test_finalise_refuses_unknown_body_fields(client):
    record = client.post("/api/strategies", json=complete_record()).json()
    answer = client.post(f"/api/strategies/{record['id']}/finalise",
                         json={"revision": record["revision"], "force": True})
    assert answer.status_code == 422
    assert _paths(answer) == {("body", "force")}


# --- input and output models ---------------------------------------------------------------------


def test_a_record_read_and_sent_back_whole_is_accepted(client):
    record = client.post("/api/strategies", json=complete_record()).json()
    read = client.get(f"/api/strategies/{record['id']}").json()
    answer = client.put(f"/api/strategies/{record['id']}",
                        json={**read, "analysis": {"risks": "edited"}})
    assert answer.status_code == 200
    assert answer.json()["analysis"]["risks"] == "edited"


def test_read_only_fields_sent_as_null_are_not_claims(client):
    record = client.post("/api/strategies", json={}).json()
    body = {"revision": record["revision"], "id": None, "status": None, "finalised_at": None}
    assert client.put(f"/api/strategies/{record['id']}", json=body).status_code == 200


@pytest.mark.parametrize("field, value", [
    ("status", "finalised"), ("reference", "SR-1999-00001"), ("version", 7), ("id", 999),
    ("created_at", "2001-01-01T00:00:00Z"), ("finalised_at", "2001-01-01T00:00:00Z"),
])
def test_a_changed_read_only_field_is_422_naming_it(client, field, value):
    record = client.post("/api/strategies", json=complete_record()).json()
    url = f"/api/strategies/{record['id']}"
    answer = client.put(url, json={**record, field: value, "analysis": {"risks": "no"}})
    assert answer.status_code == 422
    assert _paths(answer) == {("body", field)}
    assert "read-only" in answer.json()["detail"][0]["msg"]
    assert client.get(url).json()["analysis"] == record["analysis"]


def test_read_only_timestamps_compare_as_instants(client):
    record = client.post("/api/strategies", json={}).json()
    created = datetime.fromisoformat(record["created_at"])
    same_instant = created.astimezone(UTC).replace(tzinfo=None).isoformat()  # naive = UTC
    answer = client.put(f"/api/strategies/{record['id']}",
                        json={"revision": record["revision"], "created_at": same_instant})
    assert answer.status_code == 200


@pytest.mark.parametrize("field", ["id", "revision", "status", "updated_at", "surprise"])
def test_create_refuses_read_only_and_unknown_fields(client, field):
    answer = client.post("/api/strategies", json={field: 1})
    assert answer.status_code == 422
    assert _paths(answer) == {("body", field)}
    assert answer.json()["detail"][0]["type"] == "extra_forbidden"


def test_timestamps_carry_a_utc_offset(client):
    before = datetime.now(UTC) - timedelta(seconds=5)
    created = client.post("/api/strategies", json=complete_record()).json()
    assert created["finalised_at"] is None
    final = client.post(f"/api/strategies/{created['id']}/finalise",
                        json={"revision": created["revision"]}).json()
    for name in ("created_at", "updated_at", "finalised_at"):
        assert final[name].endswith(("Z", "+00:00")), (name, final[name])
        moment = datetime.fromisoformat(final[name].replace("Z", "+00:00"))
        assert before <= moment <= datetime.now(UTC) + timedelta(seconds=5)
    # The discussion's own times are UK local wall-clock times, sent back as typed.
    assert final["header"]["discussion_at"] == complete_record()["header"]["discussion_at"]


# --- strict numbers and booleans ---------------------------------------------------------------


@pytest.mark.parametrize("field, value", [
    ("gestation_weeks", 24.5), ("gestation_weeks", True), ("gestation_weeks", "24"),
    ("gestation_weeks", 24.0), ("unborn", "yes"), ("unborn", 1), ("unborn", "true"),
])
def test_numbers_and_booleans_are_strict(client, field, value):
    body = complete_record()
    body["children"][0] = {"key": "baby", "name": "Baby", "unborn": True, field: value}
    answer = client.post("/api/strategies", json=body)
    assert answer.status_code == 422
    assert _paths(answer) == {("body", "children", "0", field)}


def test_a_whole_number_and_a_boolean_are_stored_as_sent(client):
    body = {"children": [{"key": "baby", "unborn": True, "gestation_weeks": 24}]}
    child = client.post("/api/strategies", json=body).json()["children"][0]
    assert child["gestation_weeks"] == 24 and child["unborn"] is True


def test_openapi_describes_enums_and_every_refusal(client):
    schema = client.get("/openapi.json").json()
    parts = schema["components"]["schemas"]
    out = parts["StrategyRecordOut"]["properties"]
    assert out["status"]["$ref"].endswith("/RecordStatus")
    assert parts["RecordStatus"]["enum"] == ["draft", "finalised", "authorised", "amended"]
    assert parts["RuleResultOut"]["properties"]["severity"]["$ref"].endswith("/Severity")
    assert parts["StrategyRecordIn"]["additionalProperties"] is False
    assert parts["StrategyRecordReplace"]["additionalProperties"] is False
    paths = schema["paths"]
    for method, path in (("put", "/api/strategies/{record_id}"),
                         ("post", "/api/strategies/{record_id}/finalise")):
        assert set(paths[path][method]["responses"]) == {
            "200", "400", "401", "403", "404", "409", "413", "422", "428"}, (method, path)
    problem = paths["/api/strategies/{record_id}"]["put"]["responses"]["428"]
    assert problem["content"]["application/json"]["schema"]["$ref"].endswith("/Problem")


def test_bad_input_answers_422_with_the_field_path(client):
    body = complete_record()
    body["participants"][0]["email"] = "not-an-email"
    body["header"]["discussion_at"] = "2999-01-01T10:00:00"
    body["children"][0]["communication"] = "telepathy"
    answer = client.post("/api/strategies", json=body)
    assert answer.status_code == 422
    paths = {tuple(str(p) for p in e["loc"]) for e in answer.json()["detail"]}
    assert ("body", "participants", "0", "email") in paths
    assert ("body", "header", "discussion_at") in paths
    assert ("body", "children", "0", "communication") in paths


def test_malformed_bodies_never_500(client):
    for body in ([], "text", 5, {"children": "x"}, {"unknown": 1}, {"children": [None]}):
        assert client.post("/api/strategies", json=body).status_code == 422
    raw = client.post("/api/strategies", content=b"{not json",
                      headers={"Content-Type": "application/json"})
    assert raw.status_code == 422


def test_missing_record_is_404(client):
    assert client.get("/api/strategies/424242").status_code == 404
    assert client.get("/api/strategies/424242/completeness").status_code == 404


def test_healthz_reports_database(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["database"] == "ok"


def test_finalising_twice_is_refused_with_409(client, session):
    record = client.post("/api/strategies", json=complete_record()).json()
    url = f"/api/strategies/{record['id']}/finalise"
    first = client.post(url, json={"revision": record["revision"]})
    assert first.status_code == 200
    final = first.json()
    # Again, naming the finalised revision (the body, or If-Match): finalised records are read-only.
    for again in ({"json": {"revision": final["revision"]}},
                  {"headers": {"If-Match": first.headers["ETag"]}}):
        answer = client.post(url, **again)
        assert answer.status_code == 409
        assert answer.json() == {"detail": "This record is finalised and can no longer be changed"}
    assert client.get(f"/api/strategies/{record['id']}").json() == final
    finalised = session.exec(select(AuditEvent).where(AuditEvent.action == "finalised")).all()
    assert len(finalised) == 1


def test_a_cross_site_api_write_is_refused_with_403_and_logged(client, session):
    record = client.post("/api/strategies", json={}).json()
    url = f"/api/strategies/{record['id']}"
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        answer = client.put(url, json={"revision": record["revision"], "analysis": {"risks": "forged"}},
                            headers=headers)
        assert answer.status_code == 403, headers
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == {
            "detail": "This request came from another site, so it was refused. Nothing was changed."}
    created = client.post("/api/strategies", json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert created.status_code == 403
    assert client.get(url).json() == record
    assert [item["id"] for item in client.get("/api/strategies").json()["items"]] == [record["id"]]
    refused = session.exec(select(AuditEvent).where(AuditEvent.action == "refused")
                           .order_by(AuditEvent.id)).all()
    # Repeats of the same refusal are counted on one row, with whose session it carried (a
    # forged request rides on someone's sign-in: the log says whose).
    sam = session.exec(select(User).where(User.username == "sam")).one()
    assert [(e.detail, e.count, e.user_id) for e in refused] == [
        (f"PUT {url}: sent from another site", 2, sam.id),
        ("POST /api/strategies: sent from another site", 1, sam.id)]
