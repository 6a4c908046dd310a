"""Signing in at the council's identity provider: a real OpenID provider (oidc-provider-mock:
Authlib's authorization server in Flask, over HTTP, with its own RSA key and JWKS) runs in a
thread for these tests. Its users' claims are set through its API; claims such as `aud`, `exp`
or `nonce` set there go into the ID token it signs, which is how a wrong audience, an expired
token and a nonce that is not ours are made. A tampered signature is made by a proxy in front
of it that changes one character of each ID token's signature on the way back."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import oidc_provider_mock
import pytest
from sqlmodel import select

from app.auth.models import AuditEvent, User, UserSession
from app.identity import oidc
from tests.builders import STANDARD_ORGANISATIONS
from tests.conftest import TEST_PASSWORD, make_user
from tests.html import soup

CLIENT_ID = "strategy-record"
GROUP_MAP = {
    "csc-central": {"role": "social_worker", "team": "Central"},
    "csc-managers": {"role": "manager", "team": "Central"},
    "police-staff": {"role": "partner", "organisation_id": STANDARD_ORGANISATIONS["police"]},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread(port=0, require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


class _Tamper(BaseHTTPRequestHandler):
    """Passes everything on to the provider (keeping the Host header, so the provider names
    the proxy as its issuer) and spoils each ID token's signature."""

    upstream = ""

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("content-length", "connection", "accept-encoding")}
        answer = httpx.request(self.command, self.upstream + self.path, headers=headers, content=body)
        content = answer.content
        if self.path.startswith("/oauth2/token") and answer.status_code == 200:
            tokens = answer.json()
            head, payload, signature = tokens["id_token"].split(".")
            spoilt = signature[:20] + ("A" if signature[20] != "A" else "B") + signature[21:]
            tokens["id_token"] = f"{head}.{payload}.{spoilt}"
            content = json.dumps(tokens).encode()
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = _forward

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def tampering_proxy(provider) -> Iterator[str]:
    handler = type("Tamper", (_Tamper,), {"upstream": provider})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def identity(provider, settings_env, engine) -> Iterator[None]:
    """The app set up to sign people in at the provider."""
    settings_env(oidc_issuer=provider, oidc_client_id=CLIENT_ID, oidc_client_secret="not-checked",
                 oidc_group_map=json.dumps(GROUP_MAP), public_base_url="http://testserver")
    oidc._cache.clear()
    yield
    oidc._cache.clear()


def _person(provider: str, sub: str, **claims) -> None:
    answer = httpx.put(f"{provider}/users/{quote(sub, safe='')}", json=claims)
    assert answer.status_code == 204


def _at_provider(client, provider: str, sub: str, start: str = "/sign-in/oidc?next=/strategies") -> str:
    """Start signing in, and sign in as `sub` on the provider's form: the callback address
    the provider sends the browser back to."""
    start = client.get(start, follow_redirects=False)
    assert start.status_code == 303
    authorize = start.headers["location"]
    assert authorize.startswith(f"{provider}/oauth2/authorize?")
    answer = httpx.post(authorize, data={"sub": sub})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def _sign_in(client, provider: str, sub: str, **claims):
    _person(provider, sub, **claims)
    return client.get(_at_provider(client, provider, sub), follow_redirects=False)


def _failures(session) -> list[str]:
    session.expire_all()
    return [event.detail for event in session.exec(
        select(AuditEvent).where(AuditEvent.action == "sign_in_failed").order_by(AuditEvent.id))]


def _refused(answer, status: int = 400) -> str:
    assert answer.status_code == status
    page = soup(answer)
    assert page.select_one("h1").text == "You could not be signed in"
    assert "sr_session" not in answer.headers.get("set-cookie", "")
    return page.select_one("main p.govuk-body").text


def test_first_sign_in_creates_the_person_from_their_groups(anonymous, session, identity, provider):
    start = anonymous.get("/sign-in/oidc?next=/strategies", follow_redirects=False)
    asked = parse_qs(urlsplit(start.headers["location"]).query)
    assert asked["client_id"] == [CLIENT_ID] and asked["response_type"] == ["code"]
    assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) == 43
    assert asked["redirect_uri"] == ["http://testserver/sign-in/oidc/callback"]
    assert asked["state"][0] and asked["nonce"][0] and "openid" in asked["scope"][0].split()

    answer = _sign_in(anonymous, provider, "a1b2-c3", groups=["staff", "csc-central"],
                      name="Alice Ahmed", preferred_username="Alice.Ahmed", email="alice@example.org")
    assert answer.status_code == 303 and answer.headers["location"] == "/strategies"
    assert anonymous.get("/strategies").status_code == 200
    user = session.exec(select(User).where(User.oidc_subject == "a1b2-c3")).one()
    assert (user.oidc_issuer, user.username, user.display_name, user.role, user.team, user.email) == (
        provider, "alice.ahmed", "Alice Ahmed", "social_worker", "Central", "alice@example.org")
    events = session.exec(select(AuditEvent).where(AuditEvent.user_id == user.id)
                          .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["user_created", "signed_in"]
    assert events[1].detail == "at the identity provider" and events[1].request_id


def test_the_person_lands_where_they_were_going_with_their_held_form(anonymous, identity, provider):
    _person(provider, "jay-1", groups=["csc-central"])
    for start, landing in (("/sign-in/oidc?next=/strategies/7/sections/header&held=tok-1",
                            "/strategies/7/sections/header?held=tok-1"),
                           ("/sign-in/oidc", "/strategies"),
                           ("/sign-in/oidc?next=//elsewhere.example/x", "/strategies"),
                           ("/sign-in/oidc?next=https://elsewhere.example/", "/strategies")):
        callback = _at_provider(anonymous, provider, "jay-1", start)
        assert anonymous.get(callback, follow_redirects=False).headers["location"] == landing


def test_a_partner_group_makes_a_partner_of_its_organisation(anonymous, session, identity, provider):
    assert _sign_in(anonymous, provider, "pc-1", groups=["police-staff"], name="PC Jones").status_code == 303
    user = session.exec(select(User).where(User.oidc_subject == "pc-1")).one()
    assert (user.role, user.organisation_id, user.agency, user.team) == (
        "partner", STANDARD_ORGANISATIONS["police"], "police", None)


def test_the_next_sign_in_finds_the_same_person_and_follows_a_group_change(
        anonymous, session, identity, provider):
    _sign_in(anonymous, provider, "bob-1", groups=["csc-central"], name="Bob", preferred_username="bob")
    answer = _sign_in(anonymous, provider, "bob-1", groups=["csc-managers"], name="Bob Brown",
                      preferred_username="bob")
    assert answer.status_code == 303
    session.expire_all()
    users = session.exec(select(User).where(User.oidc_subject == "bob-1")).all()
    assert len(users) == 1 and (users[0].role, users[0].display_name) == ("manager", "Bob Brown")
    changed = session.exec(select(AuditEvent).where(AuditEvent.action == "user_changed")).one()
    assert changed.user_id == users[0].id and "role manager" in changed.detail


def test_a_local_account_with_the_same_name_is_never_taken_over(anonymous, session, identity, provider):
    local = make_user(session, "carol")
    assert _sign_in(anonymous, provider, "carol-idp", groups=["csc-central"],
                    preferred_username="carol").status_code == 303
    user = session.exec(select(User).where(User.oidc_subject == "carol-idp")).one()
    assert user.id != local.id and user.username.startswith("carol-")
    # The person from the identity provider has no password here.
    answer = anonymous.post("/sign-in", data={"username": user.username, "password": TEST_PASSWORD},
                            follow_redirects=False)
    assert answer.status_code == 401


def test_groups_that_map_to_nothing_are_refused_with_a_clear_page(anonymous, session, identity, provider):
    message = _refused(_sign_in(anonymous, provider, "dan-1", groups=["finance"], name="Dan"), 403)
    assert "not in any group that may use Strategy Record" in message
    assert session.exec(select(User).where(User.oidc_subject == "dan-1")).first() is None
    assert _failures(session) == ["identity provider: Dan (dan-1): no group in OIDC_GROUP_MAP"]
    assert anonymous.get("/strategies", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("entry", [{"role": "wizard"}, {"role": "social_worker"},
                                   {"role": "partner", "organisation_id": 424242},
                                   {"role": "partner", "organisation_id": "police"}])
def test_a_group_map_entry_set_up_wrongly_refuses_clearly(anonymous, session, settings_env, identity,
                                                          provider, entry):
    settings_env(oidc_group_map=json.dumps({"csc-central": entry}))
    message = _refused(_sign_in(anonymous, provider, "kim-1", groups=["csc-central"]), 403)
    assert "set up wrongly" in message
    assert session.exec(select(User)).first() is None


def test_an_account_switched_off_here_stays_off(anonymous, session, identity, provider):
    _sign_in(anonymous, provider, "lee-1", groups=["csc-central"])
    user = session.exec(select(User).where(User.oidc_subject == "lee-1")).one()
    user.is_active = False
    session.add(user)
    session.commit()
    anonymous.post("/sign-out")
    message = _refused(_sign_in(anonymous, provider, "lee-1", groups=["csc-managers"]), 403)
    assert "switched off" in message
    session.expire_all()
    assert session.get(User, user.id).role == "social_worker"


def test_a_token_for_another_audience_is_refused(anonymous, session, identity, provider):
    _refused(_sign_in(anonymous, provider, "eve-1", groups=["csc-central"], aud="another-service"))
    assert "aud" in _failures(session)[0]
    assert session.exec(select(User)).first() is None


def test_an_expired_token_is_refused(anonymous, session, identity, provider):
    now = int(time.time())
    _refused(_sign_in(anonymous, provider, "eve-2", groups=["csc-central"], exp=now - 600, iat=now - 4000))
    assert "ExpiredTokenError" in _failures(session)[0]


def test_a_nonce_that_is_not_ours_is_refused(anonymous, session, identity, provider):
    _refused(_sign_in(anonymous, provider, "eve-3", groups=["csc-central"], nonce="replayed"))
    assert "nonce" in _failures(session)[0]


def test_a_tampered_signature_is_refused(anonymous, session, settings_env, identity, tampering_proxy):
    settings_env(oidc_issuer=tampering_proxy)
    oidc._cache.clear()
    _refused(_sign_in(anonymous, tampering_proxy, "eve-4", groups=["csc-central"]))
    assert "BadSignatureError" in _failures(session)[0]
    assert session.exec(select(User)).first() is None


def test_a_callback_from_another_browser_or_used_twice_is_refused(anonymous, session, identity, provider):
    from fastapi.testclient import TestClient

    from app.main import app

    _person(provider, "frank-1", groups=["csc-central"])
    callback = _at_provider(anonymous, provider, "frank-1")
    with TestClient(app) as other:  # has no state cookie: a login forced on someone else
        _refused(other.get(callback, follow_redirects=False))
    assert "state missing" in _failures(session)[0]
    # The state was only ever for one browser and one use.
    callback = _at_provider(anonymous, provider, "frank-1")
    assert anonymous.get(callback, follow_redirects=False).status_code == 303
    state = parse_qs(urlsplit(callback).query)["state"][0]
    anonymous.cookies.set("sr_oidc_state", state, path="/sign-in/oidc/callback")
    _refused(anonymous.get(callback, follow_redirects=False))
    assert "already used" in _failures(session)[-1]


def test_forged_callbacks_are_refused_never_a_500(anonymous, session, identity, provider):
    anonymous.cookies.set("sr_oidc_state", "abc", path="/sign-in/oidc/callback")
    for query in ("", "?code=x", "?state=abc", "?state=abc&code=", "?state=abc&code=" + "x" * 5000,
                  "?state=" + "\u2603" * 300 + "&code=1", "?state=abc&error=access_denied",
                  "?state=%ff%fe&code=%ff", "?state=abc&state=def&code=1"):
        answer = anonymous.get("/sign-in/oidc/callback" + query, follow_redirects=False)
        assert answer.status_code == 400, query
    assert anonymous.get("/sign-in/oidc/callback?state=a%00b").status_code == 400


def test_sign_out_ends_the_session_here_and_at_the_provider(anonymous, session, identity, provider):
    _sign_in(anonymous, provider, "gail-1", groups=["csc-central"])
    answer = anonymous.post("/sign-out", follow_redirects=False)
    # Via a page of ours: a form's redirect to another site breaks CSP's form-action 'self'.
    assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in/oidc/signed-out")
    page = soup(anonymous.get("/sign-in/oidc/signed-out"))
    end_session = page.select_one("#end-session")["href"]
    assert page.select_one('meta[http-equiv="refresh"]')["content"] == f"0;url={end_session}"
    ends = urlsplit(end_session)
    assert f"{ends.scheme}://{ends.netloc}{ends.path}" == f"{provider}/oauth2/end_session"
    assert parse_qs(ends.query) == {"client_id": [CLIENT_ID],
                                    "post_logout_redirect_uri": ["http://testserver/sign-in"]}
    assert httpx.get(end_session).status_code == 200  # the provider's own page
    assert anonymous.get("/strategies", follow_redirects=False).status_code == 303
    assert session.exec(select(UserSession).where(UserSession.revoked_at.is_(None))).first() is None


def test_a_password_user_signs_out_to_the_sign_in_page(anonymous, session, identity):
    make_user(session, "hal")
    anonymous.post("/sign-in", data={"username": "hal", "password": TEST_PASSWORD})
    assert anonymous.post("/sign-out", follow_redirects=False).headers["location"] == "/sign-in"


def test_passwords_can_be_switched_off(anonymous, session, settings_env, identity):
    make_user(session, "ivy")
    settings_env(local_passwords="false")
    page = soup(anonymous.get("/sign-in"))
    assert page.select_one("#oidc-sign-in").text == "Sign in with your council account"
    assert page.select_one("#password") is None
    answer = anonymous.post("/sign-in", data={"username": "ivy", "password": TEST_PASSWORD},
                            follow_redirects=False)
    assert answer.status_code == 403
    assert "passwords are switched off" in soup(answer).select_one("#username-error").text
    assert anonymous.get("/strategies", follow_redirects=False).status_code == 303


def test_the_sign_in_page_offers_both_while_passwords_are_on(anonymous, identity):
    page = soup(anonymous.get("/sign-in?next=/strategies"))
    assert page.select_one("#oidc-sign-in")["href"] == "/sign-in/oidc?next=/strategies"
    assert page.select_one("#password") is not None


def test_without_an_issuer_there_is_no_identity_provider_sign_in(anonymous):
    assert soup(anonymous.get("/sign-in")).select_one("#oidc-sign-in") is None
    assert anonymous.get("/sign-in/oidc/signed-out", follow_redirects=False).headers["location"] == "/sign-in"
    assert anonymous.get("/sign-in/oidc", follow_redirects=False).status_code == 404
    assert anonymous.get("/sign-in/oidc/callback?code=1&state=2").status_code == 404


def test_a_provider_that_does_not_answer_gives_a_clear_page(anonymous, settings_env, identity):
    settings_env(oidc_issuer=f"http://127.0.0.1:{_free_port()}")  # nothing listens there
    oidc._cache.clear()
    answer = anonymous.get("/sign-in/oidc", follow_redirects=False)
    assert answer.status_code == 503
    assert "did not answer" in soup(answer).select_one("main p.govuk-body").text
