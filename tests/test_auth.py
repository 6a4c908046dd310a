"""Signing in and out, sessions, throttling, CSRF, security headers, tokens, held forms."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app import config
from app.__main__ import main as cli
from app.auth import service as auth_service
from app.auth.deps import SESSION_COOKIE
from app.auth.models import ApiToken, AuditEvent, SignInAttempt, UserSession
from app.main import app
from app.web.security import SECURITY_HEADERS
from tests.builders import STANDARD_ORGANISATIONS, complete_record
from tests.conftest import FAILING_PATH, TEST_PASSWORD, make_user, signed_in
from tests.html import soup


def _sign_in(client, username, password=TEST_PASSWORD, **extra):
    return client.post("/sign-in", data={"username": username, "password": password, **extra},
                       follow_redirects=False)


def _actions(session, **where) -> list[str]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    for column, value in where.items():
        query = query.where(getattr(AuditEvent, column) == value)
    return [event.action for event in session.exec(query)]


def test_pages_and_api_need_sign_in(anonymous):
    answer = anonymous.get("/strategies", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in?next=")
    assert anonymous.get("/api/strategies/1").status_code == 401
    assert anonymous.get("/healthz").status_code == 200


def test_sign_in_sets_a_safe_cookie_and_a_new_session_each_time(anonymous, session):
    make_user(session, "jo")
    first = _sign_in(anonymous, "JO ", next="/strategies")
    assert first.status_code == 303 and first.headers["location"] == "/strategies"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    token = anonymous.cookies.get(SESSION_COOKIE)
    _sign_in(anonymous, "jo")
    assert anonymous.cookies.get(SESSION_COOKIE) != token
    assert anonymous.get("/strategies").status_code == 200
    assert "signed_in" in _actions(session, username="jo")


def test_wrong_password_and_unknown_user_look_the_same(anonymous, session):
    make_user(session, "jo")
    wrong = _sign_in(anonymous, "jo", "not the password")
    unknown = _sign_in(anonymous, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert soup(wrong).select_one("#username-error").text == soup(unknown).select_one("#username-error").text
    assert soup(wrong).select_one("#username")["value"] == "jo"
    assert _actions(session, action="sign_in_failed") == ["sign_in_failed", "sign_in_failed"]


def test_next_never_leaves_the_site(anonymous, session):
    make_user(session, "jo")
    for target in ["//evil.example", "https://evil.example", "/\\evil.example", "evil"]:
        answer = _sign_in(anonymous, "jo", next=target)
        assert answer.headers["location"] == "/strategies", target


def test_throttling_per_account_with_a_clear_message(anonymous, session):
    make_user(session, "jo")
    for _ in range(5):
        assert _sign_in(anonymous, "jo", "wrong password!").status_code == 401
    refused = _sign_in(anonymous, "jo")  # even the right password now waits
    assert refused.status_code == 429
    assert "too many failed attempts" in soup(refused).select_one("#username-error").text
    assert "sign_in_throttled" in _actions(session, username="jo")


def test_sign_out_revokes_the_session(client, session):
    assert client.get("/strategies").status_code == 200
    token = client.cookies.get(SESSION_COOKIE)
    assert client.post("/sign-out", follow_redirects=False).status_code == 303
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/strategies", follow_redirects=False).status_code == 303


def test_idle_and_absolute_expiry_and_tampered_cookies(client, session):
    row = session.exec(select(UserSession)).one()
    row.last_seen_at = datetime.now(UTC) - timedelta(hours=1)
    session.add(row)
    session.commit()
    assert client.get("/strategies", follow_redirects=False).status_code == 303  # idle
    row.last_seen_at = datetime.now(UTC)
    row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.add(row)
    session.commit()
    assert client.get("/strategies", follow_redirects=False).status_code == 303  # too old
    client.cookies.set(SESSION_COOKIE, "forged-" + "x" * 40)
    assert client.get("/strategies", follow_redirects=False).status_code == 303


def test_cross_site_posts_are_refused_and_logged(client, session):
    record_id = client.post("/api/strategies", json={}).json()["id"]
    url = f"/strategies/{record_id}/sections/analysis"
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "null"}, {"Sec-Fetch-Site": "same-site"}):
        answer = client.post(url, data={"analysis-risks": "forged"}, headers=headers)
        assert answer.status_code == 403, headers
        assert "another site" in answer.text
    assert client.get(f"/api/strategies/{record_id}").json()["analysis"]["risks"] is None
    assert "refused" in _actions(session)
    # The service's own pages, with JavaScript off or through htmx, still post.
    same = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    ok = client.post(url, data={"analysis-risks": "mine", "revision": "1"}, headers=same,
                     follow_redirects=False)
    assert ok.status_code == 303
    htmx = client.post(f"/strategies/{record_id}/sections/participants",
                       data={"row-action": "add", "revision": "2"},
                       headers={**same, "HX-Request": "true"})
    assert htmx.status_code == 200


BOOM = FAILING_PATH


def test_security_headers_on_every_kind_of_response(client, session, failing_routes):
    record = client.post("/api/strategies", json=complete_record()).json()
    final = client.post(f"/api/strategies/{record['id']}/finalise",
                        json={"revision": record["revision"]}).json()
    pdf = f"/strategies/{final['id']}/record.pdf"
    etag = client.get(pdf).headers["etag"]
    draft = client.post("/api/strategies", json={}).json()
    answers = {
        "page": client.get("/strategies"),
        "record page": client.get(f"/strategies/{final['id']}"),
        "API JSON": client.get(f"/api/strategies/{record['id']}"),
        "API 404": client.get("/api/strategies/999"),
        "static file": client.get("/static/app.css"),
        "404 page": client.get("/nope"),
        "health check": client.get("/healthz"),
        "redirect": client.get("/", follow_redirects=False),
        "403 page": client.get("/audit"),
        "cross-site 403": client.post("/strategies", headers={"Sec-Fetch-Site": "cross-site"}),
        "stored PDF": client.get(pdf),
        "304": client.get(pdf, headers={"If-None-Match": etag}),
        "draft PDF": client.get(f"/strategies/{draft['id']}/record.pdf"),
        "500 page": client.get(BOOM),
        "API 500": client.get("/api" + BOOM),
    }
    expected = {"page": 200, "record page": 200, "API JSON": 200, "API 404": 404, "static file": 200, "404 page": 404,
                "health check": 200, "redirect": 303, "403 page": 403, "cross-site 403": 403,
                "stored PDF": 200, "304": 304, "draft PDF": 200, "500 page": 500, "API 500": 500}
    assert {kind: answer.status_code for kind, answer in answers.items()} == expected
    for kind, answer in answers.items():
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, (kind, name)
    # Pages and PDFs about children are never kept in a cache, not even the browser's.
    cache = {kind: answer.headers.get("cache-control") for kind, answer in answers.items()}
    assert cache.pop("static file") != "no-store"
    assert set(cache.values()) == {"no-store"}, cache


def test_api_tokens_from_the_cli_work_and_can_be_revoked(anonymous, session, monkeypatch, capsys):
    monkeypatch.setenv("STRATEGY_PASSWORD", "a long enough password")
    cli(["user", "create", "jo", "--name", "Jo Bloggs", "--role", "social_worker", "--team", "Central"])
    cli(["token", "create", "jo", "--name", "case system"])
    out = capsys.readouterr().out
    secret = out.strip().splitlines()[-1]
    token_id = int(out.split("Token ")[1].split()[0])
    bearer = {"Authorization": f"Bearer {secret}"}
    created = anonymous.post("/api/strategies", json=complete_record(), headers=bearer)
    assert created.status_code == 201
    # A bearer token carries no ambient credential, so a cross-site Origin does not matter.
    assert anonymous.get(f"/api/strategies/{created.json()['id']}",
                         headers={**bearer, "Origin": "https://elsewhere"}).status_code == 200
    cli(["token", "revoke", str(token_id)])
    refused = anonymous.get(f"/api/strategies/{created.json()['id']}", headers=bearer)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    assert _actions(session, action="refused")


def test_reset_password_ends_sessions(client, session, monkeypatch):
    monkeypatch.setenv("STRATEGY_PASSWORD", "another long password")
    cli(["user", "reset-password", "sam"])
    assert client.get("/strategies", follow_redirects=False).status_code == 303


def test_a_form_posted_after_the_session_ended_is_not_lost(client, session):
    record_id = client.post("/api/strategies", json={}).json()["id"]
    for row in session.exec(select(UserSession)):
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)  # ended by time, not revoked
        session.add(row)
    session.commit()
    url = f"/strategies/{record_id}/sections/analysis"
    answer = client.post(url, data={"analysis-risks": "Typed at 2am", "revision": "1",
                                    "row-action": "save"}, follow_redirects=False)
    assert answer.status_code == 303
    sign_in_url = answer.headers["location"]
    assert sign_in_url.startswith("/sign-in?") and "held=" in sign_in_url
    page = soup(client.get(sign_in_url))
    fields = {i["name"]: i.get("value", "") for i in page.select("form input[type=hidden]")}
    back = _sign_in(client, "sam", next=fields["next"], held=fields["held"])
    assert back.headers["location"].startswith(url + "?held=")
    shown = soup(client.get(back.headers["location"]))
    assert shown.select_one("#analysis-risks").text == "Typed at 2am"
    assert "signed out" in shown.select_one(".govuk-notification-banner").text
    assert client.get(f"/api/strategies/{record_id}").json()["analysis"]["risks"] is None
    # The held copy is handed back once, and only for its own page.
    again = soup(client.get(back.headers["location"]))
    assert again.select_one("#analysis-risks").text == ""


def test_audit_log_is_for_managers_and_administrators(client, anonymous, session):
    record_id = client.post("/api/strategies", json=complete_record()).json()["id"]
    client.get(f"/strategies/{record_id}")
    assert client.get("/audit").status_code == 403
    manager = signed_in(anonymous, session, make_user(session, "boss", "manager"))
    page = soup(manager.get(f"/audit?record_id={record_id}"))
    actions = [row.select("td")[2].get_text(strip=True) for row in page.select("#events tbody tr")]
    assert actions == ["viewed", "created"]
    assert manager.get("/audit?record_id=abc&action=nonsense").status_code == 200


def test_a_held_form_goes_back_only_to_its_author(client, anonymous, session):
    record_id = client.post("/api/strategies", json={}).json()["id"]
    url = f"/strategies/{record_id}/sections/distribution"
    for row in session.exec(select(UserSession)):
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)  # ended by time, not revoked
        session.add(row)
    session.commit()
    school = STANDARD_ORGANISATIONS["school"]
    held_at = client.post(url, data={"distribution": str(school), "revision": "1"},
                          follow_redirects=False).headers["location"]
    token = held_at.split("held=")[1]
    colleague = signed_in(anonymous, session, make_user(session, "pat"))
    page = soup(colleague.get(f"{url}?held={token}"))
    assert not page.select_one(f"#distribution-{school}").has_attr("checked")
    assert page.select_one(".govuk-notification-banner") is None


def test_nobody_can_hold_a_form_without_a_session_of_their_own(anonymous, session):
    answer = anonymous.post("/strategies/1/sections/analysis", data={"analysis-risks": "x" * 1000},
                            follow_redirects=False)
    assert answer.status_code == 303 and "held=" not in answer.headers["location"]
    from app.auth.models import HeldForm
    assert session.exec(select(HeldForm)).all() == []


def test_padded_usernames_do_not_escape_the_throttle(anonymous, session):
    make_user(session, "jo")
    for _ in range(5):
        _sign_in(anonymous, "jo", "wrong password!")
    # The same name in other cases or padded is throttled; a name too long for any account
    # is simply wrong; a NUL is refused at the edge before it reaches sign-in.
    expected = {"JO": 429, " jo ": 429, "jo" + " " * 90 + "x": 401, "jo\x00": 400}
    for variant, status in expected.items():
        assert _sign_in(anonymous, variant).status_code == status, repr(variant)
        assert SESSION_COOKIE not in anonymous.cookies


def test_social_care_staff_need_a_team(session):
    from app.auth.roles import Role
    from app.organisations import accounts

    with pytest.raises(ValueError, match="team"):
        accounts.create_user(session, username="nt", display_name="No Team",
                             role=Role.SOCIAL_WORKER, password="long enough password")


def test_pages_are_not_cached_and_an_empty_bearer_header_is_refused(client):
    assert client.get("/strategies").headers["cache-control"] == "no-store"
    answer = client.post("/strategies", headers={"Authorization": "Bearer  ",
                                                 "Sec-Fetch-Site": "cross-site"})
    # A bearer header carries no ambient credential, so it is judged by its (empty) token.
    assert answer.status_code == 401
    assert client.get("/api/strategies/1", headers={"Authorization": "Bearer "}).status_code == 401


# --- inactive users, the per-address throttle, session time limits, tokens, audit filters -------


def test_an_inactive_user_cannot_sign_in_and_their_session_and_tokens_are_refused(anonymous, session):
    jo = make_user(session, "jo")
    _, secret = auth_service.create_token(session, jo, "case system")
    cookie = auth_service.start_session(session, jo)
    jo.is_active = False
    session.add(jo)
    session.commit()

    # Signing in looks exactly like a wrong password: nothing says the account exists.
    refused = _sign_in(anonymous, "jo")
    wrong = _sign_in(anonymous, "nobody", "not the password")
    assert refused.status_code == wrong.status_code == 401
    assert (soup(refused).select_one("#username-error").text
            == soup(wrong).select_one("#username-error").text)
    assert SESSION_COOKIE not in anonymous.cookies
    assert _actions(session, username="jo") == ["token_created", "sign_in_failed"]

    # A session opened while active no longer works.
    anonymous.cookies.set(SESSION_COOKIE, cookie)
    page = anonymous.get("/strategies", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in?")
    assert anonymous.get("/api/strategies").status_code == 401
    anonymous.cookies.clear()
    # Nor does their API token.
    answer = anonymous.get("/api/strategies", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401
    assert answer.json() == {"detail": "The API token is not valid or has been revoked"}


@pytest.fixture
def three_per_address(monkeypatch):
    monkeypatch.setattr(config.get_settings(), "sign_in_max_failures_per_address", 3)


def test_failures_from_one_address_throttle_every_account_from_it(anonymous, session,
                                                                   three_per_address):
    make_user(session, "jo")
    # Three names, one failure each: no account reaches its own limit of five.
    for name in ("amy", "ben", "cat"):
        assert _sign_in(anonymous, name, "wrong password!").status_code == 401
    refused = _sign_in(anonymous, "jo")  # the right password, from the same address
    assert refused.status_code == 429
    assert "too many failed attempts" in soup(refused).select_one("#username-error").text
    assert SESSION_COOKIE not in anonymous.cookies
    assert _actions(session, username="jo") == ["sign_in_throttled"]
    # From another address the same person signs in.
    with TestClient(app, client=("203.0.113.9", 50000)) as elsewhere:
        assert _sign_in(elsewhere, "jo").status_code == 303
        assert elsewhere.get("/strategies").status_code == 200


def test_failures_older_than_the_window_do_not_count_against_the_address(anonymous, session,
                                                                         three_per_address):
    make_user(session, "jo")
    for name in ("amy", "ben", "cat"):
        _sign_in(anonymous, name, "wrong password!")
    window = config.get_settings().sign_in_window_minutes
    for attempt in session.exec(select(SignInAttempt).where(SignInAttempt.outcome == "failed")):
        attempt.at = datetime.now(UTC) - timedelta(minutes=window, seconds=1)
        session.add(attempt)
    session.commit()
    assert _sign_in(anonymous, "jo").status_code == 303


def _session_row(session) -> UserSession:
    row = session.exec(select(UserSession)).one()
    session.refresh(row)
    return row


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite returns naive UTC


def test_a_session_lasts_its_hours_and_using_it_restarts_the_idle_clock(client, session):
    settings = config.get_settings()
    row = _session_row(session)
    assert _aware(row.expires_at) - _aware(row.created_at) == timedelta(hours=settings.session_max_hours)

    # Used just inside the idle limit: it still works, and the idle clock starts again.
    almost_idle = datetime.now(UTC) - timedelta(minutes=settings.session_idle_minutes - 1)
    row.last_seen_at = almost_idle
    session.add(row)
    session.commit()
    assert client.get("/strategies", follow_redirects=False).status_code == 200
    assert _aware(_session_row(session).last_seen_at) > almost_idle + timedelta(minutes=1)

    # Left alone past the idle limit: signed out.
    row = _session_row(session)
    row.last_seen_at = datetime.now(UTC) - timedelta(minutes=settings.session_idle_minutes, seconds=1)
    session.add(row)
    session.commit()
    assert client.get("/strategies", follow_redirects=False).status_code == 303


def test_a_session_in_use_still_ends_at_its_absolute_limit(client, session):
    row = _session_row(session)
    row.created_at = datetime.now(UTC) - timedelta(hours=config.get_settings().session_max_hours)
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    row.last_seen_at = datetime.now(UTC)  # in use a moment ago
    session.add(row)
    session.commit()
    page = client.get("/strategies", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in?")
    assert client.get("/api/strategies").status_code == 401


def test_a_token_records_when_it_was_last_used(anonymous, session):
    jo = make_user(session, "jo")
    token, secret = auth_service.create_token(session, jo, "case system")
    assert token.last_used_at is None
    bearer = {"Authorization": f"Bearer {secret}"}
    before = datetime.now(UTC)
    assert anonymous.get("/api/strategies", headers=bearer).status_code == 200
    session.refresh(token)
    first = _aware(token.last_used_at)
    assert before <= first <= datetime.now(UTC)
    # Within a minute it is not written again (a write per request would be wasted).
    assert anonymous.get("/api/strategies", headers=bearer).status_code == 200
    session.refresh(token)
    assert _aware(token.last_used_at) == first
    # Later use moves it on.
    token.last_used_at = first - timedelta(minutes=2)
    session.add(token)
    session.commit()
    assert anonymous.get("/api/strategies", headers=bearer).status_code == 200
    session.refresh(token)
    assert _aware(token.last_used_at) >= first
    assert session.get(ApiToken, token.id).revoked_at is None


def test_the_audit_log_filters_by_action_username_and_reference(client, anonymous, session):
    first = client.post("/api/strategies", json={}).json()
    second = client.post("/api/strategies", json=complete_record()).json()
    client.get(f"/strategies/{first['id']}")
    manager = signed_in(anonymous, session, make_user(session, "boss", "manager"))
    manager.get(f"/strategies/{second['id']}")

    def shown(query: str) -> list[tuple[str, str, str, str]]:
        """(name, username, action, record) for each row: people and records by name, not id."""
        page = soup(manager.get(f"/audit?{query}"))
        rows = []
        for row in page.select("#events tbody tr"):
            who, action, record = row.select("td")[1:4]
            hint = who.select_one(".govuk-hint")
            rows.append((who.contents[0].strip() if who.contents else "", hint.get_text() if hint else "",
                         action.get_text(strip=True), record.get_text(" ", strip=True)))
        return rows

    one, two = first["reference"], f"{second['reference']} Leo Carter"
    assert shown("action=created") == [("Sam", "sam", "created", two), ("Sam", "sam", "created", one)]
    assert shown("username=boss") == [("Boss", "boss", "viewed", two)]
    assert shown("username=+SAM+&action=viewed") == [("Sam", "sam", "viewed", one)]
    assert shown(f"username=sam&reference={second['reference'].lower()}") == [("Sam", "sam", "created", two)]
    assert shown(f"username=sam&record_id={second['id']}") == [("Sam", "sam", "created", two)]
    assert shown("username=nobody") == []
    unknown = soup(manager.get("/audit?reference=SR-1999-99999"))
    assert unknown.select_one("#no-record").get_text() == "No record has the reference SR-1999-99999."
    assert unknown.select("#events tbody tr") == []
    # The filters are shown as chosen; an action that does not exist filters nothing.
    page = soup(manager.get("/audit?action=sign_in_failed&username=sam"))
    assert page.select_one("#action option[selected]")["value"] == "sign_in_failed"
    assert page.select_one("#username")["value"] == "sam"
    page = soup(manager.get("/audit?action=nonsense"))
    assert page.select_one("#action option[selected]") is None
    assert len(page.select("#events tbody tr")) == len(
        session.exec(select(AuditEvent)).all())


def test_the_audit_log_pages_back_through_older_events(client, anonymous, session, monkeypatch):
    from app.auth import audit

    monkeypatch.setattr(audit, "AUDIT_PAGE_SIZE", 3)
    record = client.post("/api/strategies", json={}).json()
    for _ in range(6):
        client.get(f"/strategies/{record['id']}")
    manager = signed_in(anonymous, session, make_user(session, "boss", "manager"))
    ids = [e.id for e in session.exec(select(AuditEvent).where(AuditEvent.record_id == record["id"])
                                      .order_by(AuditEvent.id.desc()))]
    seen, url = [], f"/audit?reference={record['reference']}"
    while url:
        page = soup(manager.get(url))
        seen.append(len(page.select("#events tbody tr")))
        link = page.select_one(".govuk-pagination__next a")
        url = link["href"] if link else None
        assert url is None or "reference=" in url  # the filter is kept
    assert seen == [3, 3, 1] and sum(seen) == len(ids) == 7


def test_signing_in_deletes_that_users_sessions_ended_more_than_a_day_ago(session):
    from datetime import UTC, datetime, timedelta

    from sqlmodel import select

    from app.auth.models import UserSession

    user, other = make_user(session, "pruned"), make_user(session, "other")
    now = datetime.now(UTC)
    ago = {"hours": timedelta(hours=2), "days": timedelta(days=3)}

    def add(owner, label, *, expires, seen, revoked=None):
        session.add(UserSession(token_hash=label.ljust(64, "0"), user_id=owner.id, created_at=now - ago["days"],
                                last_seen_at=seen, expires_at=expires, revoked_at=revoked))

    add(user, "expired-long-ago", expires=now - ago["days"], seen=now - ago["days"])
    add(user, "revoked-long-ago", expires=now + ago["hours"], seen=now - ago["days"], revoked=now - ago["days"])
    add(user, "idle-long-ago", expires=now + ago["hours"], seen=now - ago["days"])
    add(user, "revoked-recently", expires=now + ago["hours"], seen=now - ago["hours"], revoked=now - ago["hours"])
    add(user, "in-use", expires=now + ago["hours"], seen=now)
    add(other, "other-expired-long-ago", expires=now - ago["days"], seen=now - ago["days"])
    session.commit()

    auth_service.start_session(session, user)
    left = {row.token_hash.rstrip("0") for row in session.exec(select(UserSession))}
    assert {"revoked-recently", "in-use", "other-expired-long-ago"} <= left
    assert not left & {"expired-long-ago", "revoked-long-ago", "idle-long-ago"}
    assert len(left) == 4  # the three kept and the new session


def test_the_throttled_message_quotes_the_local_window(anonymous, session, monkeypatch):
    make_user(session, "jo")
    monkeypatch.setenv("SIGN_IN_WINDOW_MINUTES", "40")
    monkeypatch.setenv("SIGN_IN_MAX_FAILURES_PER_ACCOUNT", "1")
    from app.config import get_settings

    get_settings.cache_clear()
    try:
        anonymous.post("/sign-in", data={"username": "jo", "password": "wrong password"})
        answer = anonymous.post("/sign-in", data={"username": "jo", "password": "wrong password"})
    finally:
        monkeypatch.delenv("SIGN_IN_WINDOW_MINUTES")
        monkeypatch.delenv("SIGN_IN_MAX_FAILURES_PER_ACCOUNT")
        get_settings.cache_clear()
    assert answer.status_code == 429
    assert "Wait 40 minutes and try again" in soup(answer).select_one(".govuk-error-summary").get_text()
