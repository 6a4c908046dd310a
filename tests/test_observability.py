"""Metrics (/metrics), request ids and JSON log lines, and the readiness check (/readyz)."""

import json
import logging
import socket
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, text, update
from sqlmodel import select

from app import db, logs
from app.auth.models import AuditEvent, User
from app.domain.schema import StrategyRecordData
from app.followup import lifecycle as service
from app.pdf import slots
from app.sending import worker
from app.sending.models import Notification, WorkerHeartbeat
from app.web.observability import head_revision
from tests.builders import complete_record
from tests.conftest import make_user

TOKEN = "scrape-secret-123"


def _scrape(client) -> dict[tuple[str, tuple], float]:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text) for sample in family.samples}


def _value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def metrics_on(settings_env):
    settings_env(metrics_token=TOKEN)


def test_metrics_are_off_without_a_token_setting_and_refused_without_the_token(anonymous, settings_env):
    assert anonymous.get("/metrics").status_code == 404
    settings_env(metrics_token=TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Bearer {TOKEN} "}, {"Authorization": "Bearer é".encode()}):
        answer = anonymous.get("/metrics", headers=headers)
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
        assert "strategy_record" not in answer.text


def test_requests_are_counted_and_timed_per_route_template_not_per_path(client, metrics_on):
    route = "/strategies/{record_id}"
    before = _value("strategy_record_http_requests_total", method="GET", route=route, status="404")
    timed = _value("strategy_record_http_request_duration_seconds_count", method="GET", route=route)
    for record_id in (424242, 424243, 424244):
        assert client.get(f"/strategies/{record_id}").status_code == 404
    client.get("/no/such/page/98765")
    scraped = _scrape(client)
    assert scraped[("strategy_record_http_requests_total",
                    (("method", "GET"), ("route", route), ("status", "404")))] == before + 3
    assert scraped[("strategy_record_http_request_duration_seconds_count",
                    (("method", "GET"), ("route", route)))] == timed + 3
    routes = {dict(labels).get("route") for (_, labels) in scraped}
    assert "unmatched" in routes
    assert not any(r and ("424242" in r or "98765" in r) for r in routes)


def test_unknown_methods_share_one_label(anonymous, metrics_on):
    before = _value("strategy_record_http_requests_total", method="OTHER", route="/sign-in", status="405")
    anonymous.request("BREW", "/sign-in")
    assert _value("strategy_record_http_requests_total", method="OTHER", route="/sign-in",
                  status="405") == before + 1


def test_outbox_depth_and_oldest_age(client, session, metrics_on):
    scraped = _scrape(client)
    assert scraped[("strategy_record_outbox_depth", ())] == 0
    assert scraped[("strategy_record_outbox_oldest_age_seconds", ())] == 0
    sw = make_user(session, "sw1")
    for name in ("pc", "pc2", "pc3"):
        make_user(session, name, "partner", agency="police", email=f"{name}@police.example")
    record = service.create_record(session, data=StrategyRecordData.model_validate(complete_record()),
                                   team="Central", created_by_id=sw.id)
    service.finalise_record(session, record=record, expected_revision=record.revision, finalised_by=sw)
    notes = list(session.exec(select(Notification).order_by(Notification.id)))
    assert len(notes) >= 3
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    session.execute(update(Notification).where(Notification.id == notes[0].id).values(created_at=long_ago))
    session.execute(update(Notification).where(Notification.id == notes[1].id)
                    .values(status="sent", created_at=long_ago - timedelta(hours=1)))
    session.commit()
    scraped = _scrape(client)
    assert scraped[("strategy_record_outbox_depth", ())] == len(notes) - 1
    assert 600 <= scraped[("strategy_record_outbox_oldest_age_seconds", ())] < 900
    assert scraped[("strategy_record_metrics_database_up", ())] == 1


def test_database_pool_use(client, metrics_on):
    scraped = _scrape(client)
    assert scraped[("strategy_record_db_pool_size", ())] == 10
    assert 0 <= scraped[("strategy_record_db_pool_checked_out", ())] <= 2  # the scrape's own
    assert scraped[("strategy_record_db_pool_overflow", ())] == 0


def test_sign_in_failures_are_counted(anonymous, session, metrics_on):
    make_user(session, "jo")
    before = _value("strategy_record_sign_in_failures_total", method="password")
    anonymous.post("/sign-in", data={"username": "jo", "password": "not the password"})
    anonymous.post("/sign-in", data={"username": "nobody", "password": "not the password"})
    assert _scrape(anonymous)[("strategy_record_sign_in_failures_total",
                               (("method", "password"),))] == before + 2


def test_renders_are_timed_and_their_queue_is_seen(tmp_path):
    rendered = _value("strategy_record_pdf_render_seconds_count")
    with slots.render_slot(tmp_path, 1, wait=1):
        assert _value("strategy_record_pdf_renders_running") == 1
        waiting, got = threading.Event(), threading.Event()

        def second():
            waiting.set()
            with slots.render_slot(tmp_path, 1, wait=30):
                got.set()

        thread = threading.Thread(target=second)
        thread.start()
        waiting.wait(5)
        for _ in range(200):  # until the second render has started waiting (at most 10 s)
            if _value("strategy_record_pdf_renders_waiting") == 1:
                break
            threading.Event().wait(0.05)
        assert _value("strategy_record_pdf_renders_waiting") == 1 and not got.is_set()
    thread.join(30)
    assert got.is_set()
    assert _value("strategy_record_pdf_renders_waiting") == 0
    assert _value("strategy_record_pdf_renders_running") == 0
    assert _value("strategy_record_pdf_render_seconds_count") == rendered + 2


def test_every_answer_has_a_request_id_and_a_sane_one_is_kept(anonymous):
    made = anonymous.get("/healthz").headers["x-request-id"]
    assert len(made) == 32 and int(made, 16) >= 0
    assert anonymous.get("/healthz", headers={"X-Request-Id": "lb-7f3a.2:1"}).headers["x-request-id"] == "lb-7f3a.2:1"
    for insane in ("x" * 65, "a b", "<script>", "-leading", "é".encode(), ""):
        kept = anonymous.get("/healthz", headers={"X-Request-Id": insane}).headers["x-request-id"]
        assert kept != insane and len(kept) == 32


def test_the_request_id_is_in_the_audit_log(anonymous, session):
    make_user(session, "jo")
    answer = anonymous.post("/sign-in", data={"username": "jo", "password": "wrong password!"},
                            headers={"X-Request-Id": "req-42"})
    assert answer.headers["x-request-id"] == "req-42"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).one()
    assert event.request_id == "req-42"


def test_one_json_log_line_per_request_without_the_raw_path_or_query(client, caplog):
    with caplog.at_level(logging.INFO, logger="app.access"):
        client.get("/strategies/424242?search=Leo+Carter", headers={"X-Request-Id": "trace-1"})
    lines = [r for r in caplog.records if r.name == "app.access"]
    assert len(lines) == 1
    entry = json.loads(logs.JsonFormatter().format(lines[0]))
    assert {k: entry[k] for k in ("level", "logger", "event", "request_id", "method", "route", "status")} == {
        "level": "INFO", "logger": "app.access", "event": "request", "request_id": "trace-1",
        "method": "GET", "route": "/strategies/{record_id}", "status": 404}
    assert entry["duration_ms"] >= 0 and isinstance(entry["user_id"], int)
    assert "Leo" not in json.dumps(entry) and "424242" not in json.dumps(entry)


def test_the_log_line_counts_the_requests_sql_statements(client, caplog):
    """Every statement the request ran, in whichever worker thread, and no other request's."""
    seen: list[str] = []

    def watch(_conn, _cursor, statement, *_rest):
        seen.append(statement)

    event.listen(db.get_engine(), "before_cursor_execute", watch)
    try:
        with caplog.at_level(logging.INFO, logger="app.access"):
            client.get("/strategies")
            during_first = len(seen)
            client.get("/strategies/424242")
    finally:
        event.remove(db.get_engine(), "before_cursor_execute", watch)
    first, second = (json.loads(logs.JsonFormatter().format(r))["statements"]
                     for r in caplog.records if r.name == "app.access")
    assert first == during_first >= 2  # at least the session and the page
    assert second == len(seen) - during_first


def test_other_log_lines_carry_the_request_id_and_exceptions():
    token = logs.set_request_id("abc-1")
    try:
        try:
            raise ValueError("broken")
        except ValueError:
            record = logging.LogRecord("app.x", logging.ERROR, __file__, 1, "failed %s", ("here",),
                                       exc_info=sys.exc_info())
        entry = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.reset_request_id(token)
    assert (entry["message"], entry["request_id"], entry["level"]) == ("failed here", "abc-1", "ERROR")
    assert "ValueError: broken" in entry["exception"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ready(anonymous):
    answer = anonymous.get("/readyz")
    return answer.status_code, answer.json()


def test_ready_when_the_database_is_at_head_and_the_worker_beats(anonymous, session):
    assert _ready(anonymous) == (503, {"status": "not ready", "database": "ok", "migration": head_revision(),
                                       "migrations": "at head", "worker": "never ran"})
    worker.beat()
    status, body = _ready(anonymous)
    assert (status, body["status"], body["worker"], body["migration"]) == (200, "ready", "ok", head_revision())
    worker.beat(datetime.now(UTC) - timedelta(minutes=5))  # the second beat updates the one row
    assert len(session.exec(select(WorkerHeartbeat)).all()) == 1
    status, body = _ready(anonymous)
    assert (status, body["worker"]) == (503, "late") and body["worker_heartbeat_age_seconds"] >= 300
    assert anonymous.get("/healthz").status_code == 200  # alive, all the same


def test_not_ready_when_migrations_are_behind(anonymous, session):
    worker.beat()
    session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    session.commit()
    try:
        status, body = _ready(anonymous)
    finally:
        session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()})
        session.commit()
    assert (status, body["migrations"]) == (503, f"behind (head is {head_revision()})")


def test_the_worker_beats_after_each_round(session, monkeypatch):
    stop = threading.Event()
    original = worker.run_once

    def once(settings=None):
        stop.set()  # one round only
        return original(settings)

    monkeypatch.setattr(worker, "run_once", once)
    worker.run_forever(stop)
    beat = session.exec(select(WorkerHeartbeat)).one()
    beat_at = beat.beat_at if beat.beat_at.tzinfo else beat.beat_at.replace(tzinfo=UTC)
    assert datetime.now(UTC) - beat_at < timedelta(minutes=1)


def test_not_ready_when_the_database_does_not_answer(anonymous, settings_env):
    settings_env(database_url=f"postgresql+psycopg://nobody@127.0.0.1:{_free_port()}/none",
                 health_check_timeout_seconds=1)
    assert _ready(anonymous) == (503, {"status": "not ready", "database": "unavailable"})


def test_signed_in_requests_log_who_asked(client, session, caplog):
    with caplog.at_level(logging.INFO, logger="app.access"):
        client.get("/strategies")
    line = [r for r in caplog.records if r.name == "app.access"][-1]
    assert line.user_id == session.exec(select(User.id).where(User.username == "sam")).one()

