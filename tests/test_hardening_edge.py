"""The edge: body size, credentials before the body, short 422s, text the database refuses."""

import json

import pytest
from sqlmodel import select

from app import config
from app.auth.models import AuditEvent
from app.records.models import StrategyRecord
from tests.conftest import make_user
from tests.html import soup

UNSTORABLE = "cannot be stored"


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setenv("MAX_BODY_BYTES", "2000")
    config.get_settings.cache_clear()
    yield 2000
    monkeypatch.delenv("MAX_BODY_BYTES")
    config.get_settings.cache_clear()


def _records(session) -> list:
    session.expire_all()
    return session.exec(select(StrategyRecord)).all()


def _body_of(size: int) -> bytes:
    return json.dumps({"analysis": {"risks": "x" * size}}).encode()


def test_an_api_body_over_the_limit_is_refused_with_413(client, session, small_limit):
    answer = client.post("/api/strategies", content=_body_of(small_limit),
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert "larger than the 1 KB" in answer.json()["detail"]
    assert _records(session) == []
    # Just under the limit is accepted.
    assert client.post("/api/strategies", content=_body_of(small_limit - 100),
                       headers={"Content-Type": "application/json"}).status_code == 201


def test_a_streamed_body_is_counted_and_refused_once_it_passes_the_limit(client, session,
                                                                          small_limit):
    chunks = iter([b'{"analysis": {"risks": "', b"x" * 1500, b"y" * 1500, b'"}}'])
    answer = client.post("/api/strategies", content=chunks,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert _records(session) == []


def test_a_form_over_the_limit_gets_the_error_page(client, session, small_limit):
    record_id = client.post("/api/strategies", json={}).json()["id"]
    answer = client.post(f"/strategies/{record_id}/sections/analysis",
                         data={"analysis-risks": "x" * small_limit, "revision": "1"})
    assert answer.status_code == 413
    assert soup(answer).select_one("h1").text == "That was too large to send"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_api_refuses_a_request_without_credentials_before_reading_its_body(engine):
    import anyio

    from app.main import app

    reads, sent = [], []

    async def receive():
        reads.append(1)
        return {"type": "http.request", "body": _body_of(1000), "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/api/strategies", "raw_path": b"/api/strategies",
             "query_string": b"", "root_path": "", "server": ("testserver", 80),
             "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"content-length", b"1027")]}
    anyio.run(app, scope, receive, send)
    assert reads == []
    start = sent[0]
    assert start["status"] == 401
    assert (b"www-authenticate", b"Bearer") in start["headers"]
    assert b"Sign in" in sent[1]["body"]


def test_a_422_names_the_field_but_repeats_only_an_excerpt_of_the_input(client):
    answer = client.post("/api/strategies", json={"analysis": "x" * 50_000})
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", "analysis"]
    assert problem["type"] == "model_attributes_type"
    assert problem["input"] == "x" * 100 + "…"
    assert len(answer.content) < 1000


def test_a_422_never_repeats_an_object_it_was_sent(client):
    answer = client.post("/api/strategies", json={"analysis": ["y" * 5000]})
    assert answer.status_code == 422
    assert "y" * 200 not in answer.text
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", "analysis"] and "input" not in problem


def test_a_nul_in_the_path_is_refused_with_400_and_logged(client, session):
    record_id = client.post("/api/strategies", json={}).json()["id"]
    answer = client.get(f"/strategies/{record_id}/sections/%00")
    assert answer.status_code == 400
    assert UNSTORABLE in soup(answer).select_one("main p").text
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all()
    assert (event.detail, event.username) == (
        f"GET /strategies/{record_id}/sections/: text that cannot be stored", "sam")


def test_a_nul_in_the_query_string_is_refused(client):
    answer = client.get("/audit?username=jo%00")
    assert answer.status_code == 400
    assert UNSTORABLE in answer.text


def test_a_nul_in_a_posted_form_is_refused_and_nothing_is_saved(client):
    record_id = client.post("/api/strategies", json={}).json()["id"]
    answer = client.post(f"/strategies/{record_id}/sections/analysis",
                         data={"analysis-risks": "before\x00after", "revision": "1"})
    assert answer.status_code == 400
    assert client.get(f"/api/strategies/{record_id}").json()["analysis"]["risks"] is None


@pytest.mark.parametrize("text", [r"\ud800", r"a\u0000b", r"\udc00 alone"])
def test_json_the_database_cannot_store_is_refused_with_400(client, session, text):
    body = '{"analysis": {"risks": "' + text + '"}}'
    answer = client.post("/api/strategies", content=body.encode(),
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert UNSTORABLE in answer.json()["detail"]
    assert _records(session) == []


def test_json_naming_those_characters_as_text_is_accepted(client):
    # An escaped backslash: the text "\u0000", and a properly paired surrogate (an emoji).
    body = r'{"analysis": {"risks": "\\u0000 and \ud83d\ude00"}}'
    answer = client.post("/api/strategies", content=body.encode(),
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 201
    assert answer.json()["analysis"]["risks"] == "\\u0000 and \U0001F600"


def test_a_lone_surrogate_in_a_json_key_is_refused(client):
    answer = client.post("/api/strategies", content=b'{"\\ud800": 1}',
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 400


def test_an_address_longer_than_its_column_is_cut_to_fit_at_sign_in(engine, session):
    from fastapi.testclient import TestClient

    from app.main import app

    make_user(session, "jo")
    # Behind a proxy the client's address is its X-Forwarded-For, which it chooses.
    with TestClient(app, client=("203.0.113.9, " * 20, 50000)) as forwarded:
        answer = forwarded.post("/sign-in", data={"username": "jo", "password": "wrong one!"})
    assert answer.status_code == 401
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).all()
    assert len(event.ip) == 64 and event.ip.startswith("203.0.113.9, 203.0.113.9")
