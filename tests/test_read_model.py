"""The read model: what is stored always validates, and the list's columns follow every save."""

import json
from copy import deepcopy

from sqlalchemy import text
from sqlmodel import Session, select

from app import db, migrate
from app.config import get_settings
from app.domain.schema import MAX_ROWS, StrategyRecordData
from app.followup import lifecycle
from app.records.models import RecordDistribution, StrategyRecord
from app.rules.completeness import Severity, evaluate
from tests.builders import complete_record, recipients, record_with
from tests.shared_helpers import as_of_0015


def _tasks(n: int) -> list[dict]:
    return [{"description": f"Task {i}", "owner": "SW"} for i in range(n)]


def test_full_actions_list_plus_the_fixed_action_can_be_read_again(client):
    body = {**complete_record(), "actions": _tasks(MAX_ROWS)}
    created = client.post("/api/strategies", json=body)
    assert created.status_code == 201
    url = f"/api/strategies/{created.json()['id']}"
    read = client.get(url)
    assert read.status_code == 200
    assert len(read.json()["actions"]) == MAX_ROWS + 1
    replaced = client.put(url, json={**body, "revision": read.json()["revision"]})
    assert replaced.status_code == 200
    assert client.get("/strategies").status_code == 200


def test_more_tasks_than_can_be_stored_answer_422_naming_actions(client):
    body = {**complete_record(), "actions": _tasks(MAX_ROWS + 1)}
    answer = client.post("/api/strategies", json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "actions"]


def test_the_fixed_action_does_not_count_against_the_limit(client):
    body = complete_record()
    body["actions"] = [body["actions"][0], *_tasks(MAX_ROWS)]
    assert client.post("/api/strategies", json=body).status_code == 201


def test_columns_follow_create_save_and_finalise(session):
    data = record_with(header={"led_by": "edt"})
    record = lifecycle.create_record(session, data=data, team="North")
    assert record.led_by == "edt"
    assert record.team == "North"
    assert record.outcome == "s47_joint"
    assert record.discussion_at == data.header.discussion_at
    assert record.children_names == ["Leo Carter"]
    assert "leo carter" in record.search_text
    assert record.damaged is False
    agencies = set(session.exec(select(RecordDistribution.agency).where(
        RecordDistribution.record_id == record.id)))
    assert agencies == {"police", "health_visiting"}

    raw = deepcopy(complete_record())
    raw["distribution"] = recipients("school")
    raw["decision"] = {"outcome": None}
    changed = StrategyRecordData.model_validate(raw)
    record = lifecycle.save_record(session, record=record, data=changed, expected_revision=None)
    assert record.outcome is None
    assert record.blocking_failures > 0
    agencies = set(session.exec(select(RecordDistribution.agency).where(
        RecordDistribution.record_id == record.id)))
    assert agencies == {"school"}


def test_counts_and_next_due_come_from_the_rules_and_actions(session):
    data = record_with()
    record = lifecycle.create_record(session, data=data)
    assert record.blocking_failures == 0
    assert record.warnings == 0
    due = [a.due_date for a in data.actions if a.due_date]
    assert record.next_due == min(due + [data.next_steps.icpc_date])
    record = lifecycle.finalise_record(session, record=record, expected_revision=None)
    assert session.get(StrategyRecord, record.id).status == "finalised"


def test_content_is_validated_once_per_loaded_data(session, monkeypatch):
    record = lifecycle.create_record(session, data=record_with())
    calls = []
    original = StrategyRecordData.model_validate.__func__

    def counting(cls, *args, **kwargs):
        calls.append(1)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(StrategyRecordData, "model_validate", classmethod(counting))
    record.data = dict(record.data)
    first = record.content
    assert record.content is first
    assert len(calls) == 1
    record.data = {**record.data, "analysis": {"risks": "changed"}}
    assert record.content.analysis.risks == "changed"
    assert len(calls) == 2


def test_migration_backfills_existing_records(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0003")
    # Documents as they were stored before organisations: the distribution by agency type.
    old = {**as_of_0015(complete_record()), "distribution": ["csc", "police", "health_visiting"]}
    good = json.dumps(old)
    bad = json.dumps({**old, "decision": {"outcome": "banished"}})
    engine = db.make_engine(url)
    with engine.begin() as connection:
        for id_, data in ((1, good), (2, bad)):
            connection.execute(text(
                "INSERT INTO strategy_record (id, reference, status, version, revision, data, "
                "team, created_at, updated_at) VALUES (:id, :ref, 'draft', 1, 1, :data, "
                "'Central', '2026-01-05 09:00:00', '2026-01-05 09:00:00')"),
                {"id": id_, "ref": f"SR-2026-0000{id_}", "data": data})
        connection.execute(text(
            "INSERT INTO rendered_pdf (record_id, version, variant, etag, content, created_at) "
            "VALUES (1, 1, 'record', 'e', x'25', '2026-01-05 09:00:00')"))
    migrate.upgrade(url)
    with Session(engine) as session:
        first, second = session.exec(select(StrategyRecord).order_by(StrategyRecord.id)).all()
        assert (first.outcome, first.led_by, first.children_names) == (
            "s47_joint", "day_team", ["Leo Carter"])
        assert first.sort_at == first.discussion_at
        # Judged by today's rules (a rule added since may ask more of an old record).
        blocking = sum(len(r.failures) for r in evaluate(first.content, get_settings())
                       if r.rule.severity == Severity.BLOCKING)
        assert first.blocking_failures == blocking and not first.damaged
        # 0010 moved them onto one organisation per agency type, named as the type was.
        agencies = set(session.exec(select(RecordDistribution.agency).where(
            RecordDistribution.record_id == 1)))
        assert agencies == {"csc", "police", "health_visiting"}
        assert [(r.name, r.agency.value) for r in first.content.distribution] == [
            ("Children's social care", "csc"), ("Police", "police"),
            ("Health visiting", "health_visiting")]
        assert second.damaged
        assert second.damage_reason.startswith("decision.outcome: Input should be")
        assert session.exec(text("SELECT count(*) FROM rendered_pdf")).one()[0] == 1
    engine.dispose()
