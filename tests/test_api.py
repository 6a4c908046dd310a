"""The JSON API: round trip, completeness, finalise, and clear 4xx answers for bad input."""

from tests.builders import complete_record


def test_create_read_round_trip(client):
    body = complete_record()
    created = client.post("/api/strategies", json=body)
    assert created.status_code == 201
    record = created.json()
    assert record["reference"].startswith("SR-")
    assert record["status"] == "draft"
    read = client.get(f"/api/strategies/{record['id']}")
    assert read.status_code == 200
    assert read.json()["participants"][2]["mode"] == "phone_outside"
    assert read.json()["header"]["discussion_at"].startswith(body["header"]["discussion_at"][:16])


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
    assert "Someone else saved" in second.json()["detail"]
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
    assert {"id", "severity", "passed", "message", "section"} <= set(results[0])
    by_id = {r["id"]: r for r in results}
    assert by_id["header.required"]["passed"] is False
    assert by_id["header.required"]["severity"] == "blocking"
    assert by_id["next.icpc-date"]["severity"] == "warning"


def test_finalise_refused_then_accepted(client):
    record = client.post("/api/strategies", json={}).json()
    refused = client.post(f"/api/strategies/{record['id']}/finalise")
    assert refused.status_code == 422
    failing = {r["id"] for r in refused.json()["detail"]}
    assert "decision.required" in failing
    client.put(f"/api/strategies/{record['id']}", json=complete_record())
    accepted = client.post(f"/api/strategies/{record['id']}/finalise")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "finalised"
    again = client.put(f"/api/strategies/{record['id']}", json=complete_record())
    assert again.status_code == 409


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
