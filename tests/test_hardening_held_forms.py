"""Only a session that expired by time holds a form; a signed-out or revoked one never does."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.auth.deps import SESSION_COOKIE
from app.auth.models import HeldForm, UserSession


def _post_section(client, record_id):
    return client.post(f"/strategies/{record_id}/sections/analysis",
                       data={"analysis-risks": "planted text", "revision": "1"},
                       follow_redirects=False)


def _held(session) -> list:
    session.expire_all()
    return session.exec(select(HeldForm)).all()


def test_a_form_posted_with_a_signed_out_cookie_is_not_held(client, session):
    record_id = client.post("/api/strategies", json={}).json()["id"]
    cookie = client.cookies.get(SESSION_COOKIE)
    assert client.post("/sign-out", follow_redirects=False).status_code == 303
    client.cookies.set(SESSION_COOKIE, cookie)  # someone kept the old cookie
    answer = _post_section(client, record_id)
    assert answer.status_code == 303
    assert answer.headers["location"] == (f"/sign-in?next=/strategies/{record_id}"
                                          "/sections/analysis&expired=1")
    assert _held(session) == []


def test_a_session_ended_by_a_password_reset_holds_nothing(client, session, monkeypatch):
    from app.__main__ import main as cli

    record_id = client.post("/api/strategies", json={}).json()["id"]
    monkeypatch.setenv("STRATEGY_PASSWORD", "another long password")
    cli(["user", "reset-password", "sam"])
    answer = _post_section(client, record_id)
    assert answer.status_code == 303 and "held=" not in answer.headers["location"]
    assert _held(session) == []


@pytest.mark.parametrize("ended", ["idle", "absolute"])
def test_a_session_that_ran_out_of_time_holds_the_form(client, session, ended):
    record_id = client.post("/api/strategies", json={}).json()["id"]
    now = datetime.now(UTC)
    for row in session.exec(select(UserSession)):
        if ended == "idle":
            row.last_seen_at = now - timedelta(hours=1)
        else:
            row.expires_at = now - timedelta(minutes=1)
        session.add(row)
    session.commit()
    answer = _post_section(client, record_id)
    assert answer.status_code == 303 and "&held=" in answer.headers["location"]
    [held] = _held(session)
    assert held.values["analysis-risks"] == "planted text"
