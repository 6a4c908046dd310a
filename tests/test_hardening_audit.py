"""The audit log never fails a request, never loses an event, and counts repeated refusals."""

import logging

import pytest
from sqlalchemy import event
from sqlmodel import select

from app import config
from app.auth import audit
from app.auth.models import AuditEvent
from tests.conftest import make_user


def _events(session, action) -> list[AuditEvent]:
    session.expire_all()
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)
                        .order_by(AuditEvent.id)).all()


def test_values_the_database_refuses_are_cleaned_and_cut_to_fit(session):
    audit.log(session, "refused", username="jo\x00\ud800" + "n" * 200, detail="a\x00b" + "d" * 600)
    [row] = _events(session, "refused")
    assert row.username == "jo?" + "n" * 76 + "…"
    assert row.detail.startswith("abddd") and len(row.detail) == 500 and row.detail.endswith("…")


def test_a_failed_audit_write_is_logged_and_the_request_carries_on(
        client, session, engine, caplog):
    record_id = client.post("/api/strategies", json={}).json()["id"]

    def refuse(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO audit_event"):
            raise RuntimeError("audit table unavailable")

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        with caplog.at_level(logging.ERROR, logger="app.auth.audit"):
            answer = client.get(f"/strategies/{record_id}")
    finally:
        event.remove(engine, "before_cursor_execute", refuse)
    assert answer.status_code == 200
    [logged] = [r for r in caplog.records if r.name == "app.auth.audit"]
    assert "'action': 'viewed'" in logged.getMessage()
    assert f"'record_id': {record_id}" in logged.getMessage()
    # The request's session was rolled back cleanly: the next request is normal and logged.
    assert client.get(f"/strategies/{record_id}").status_code == 200
    assert len(_events(session, "viewed")) == 1


def test_repeated_cross_site_refusals_are_counted_on_one_row(client, session):
    for _ in range(5):
        answer = client.post("/strategies", headers={"Sec-Fetch-Site": "cross-site"})
        assert answer.status_code == 403
    client.post("/strategies/1/finalise", headers={"Sec-Fetch-Site": "cross-site"})
    rows = _events(session, "refused")
    assert [(row.detail, row.count, row.username) for row in rows] == [
        ("POST /strategies: sent from another site", 5, "sam"),
        ("POST /strategies/1/finalise: sent from another site", 1, "sam")]


def test_repeated_failed_sign_ins_are_counted_and_still_throttle(anonymous, session):
    make_user(session, "jo")
    for _ in range(5):
        answer = anonymous.post("/sign-in", data={"username": "jo", "password": "wrong one!"})
        assert answer.status_code == 401
    assert [row.count for row in _events(session, "sign_in_failed")] == [5]
    answer = anonymous.post("/sign-in", data={"username": "jo", "password": "wrong one!"})
    assert answer.status_code == 429


@pytest.fixture
def no_window(monkeypatch):
    monkeypatch.setenv("AUDIT_REPEAT_WINDOW_SECONDS", "0")
    config.get_settings.cache_clear()
    yield
    monkeypatch.delenv("AUDIT_REPEAT_WINDOW_SECONDS")
    config.get_settings.cache_clear()


def test_repeats_after_the_window_get_a_row_of_their_own(client, session, no_window):
    for _ in range(3):
        client.post("/strategies", headers={"Sec-Fetch-Site": "cross-site"})
    assert [row.count for row in _events(session, "refused")] == [1, 1, 1]


def test_every_view_is_its_own_row(client, session):
    record_id = client.post("/api/strategies", json={}).json()["id"]
    for _ in range(3):
        assert client.get(f"/api/strategies/{record_id}").status_code == 200
    assert [row.count for row in _events(session, "viewed")] == [1, 1, 1]
