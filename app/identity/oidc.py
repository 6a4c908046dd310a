"""Signing in at the council's identity provider (OpenID Connect, authorization code flow with
PKCE), with Authlib.

`begin` stores the sign-in's state (hashed), nonce and PKCE verifier and gives the provider's
address to send the browser to; the browser also keeps the state in a cookie, so an answer
for a sign-in another browser started is refused. `finish` checks the state, uses the stored
row once, swaps the code (with the verifier) for tokens, and verifies the ID token's signature
against the keys the provider publishes (JWKS) and its claims: issuer, audience, times, nonce.
The person is found by issuer and subject (never by name or email, which change), or created,
and their role, team and organisation are set from their groups on every sign-in
(OIDC_GROUP_MAP). Every refusal is `Refused`: its `reason` goes to the audit log, its
`message` to the person.
"""

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import requests
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.auth import audit
from app.auth.models import OidcSignIn, User
from app.auth.roles import RECORDERS, Role
from app.clock import as_utc, utc_now
from app.config import Settings, get_settings
from app.organisations.models import Organisation

CALLBACK_PATH = "/sign-in/oidc/callback"
# A sign-in not finished within this long is refused (the person starts again).
SIGN_IN_LIFETIME = timedelta(minutes=10)
# How long the provider's discovery document and keys are used before being fetched again (a
# token signed with a key not yet seen fetches the keys at once).
METADATA_SECONDS = 3600
HTTP_TIMEOUT_SECONDS = 10
# Signatures by the provider's published public keys only: never "none", never a shared secret.
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA")
SIGN_IN_FAILED = "Signing in with your council account did not work. Start again from the sign-in page."
MISCONFIGURED = ("Your council account's group is set up wrongly in Strategy Record, so you cannot "
                 "sign in yet. Tell an administrator (the group map names an unknown role, team or "
                 "organisation).")


class Refused(Exception):
    def __init__(self, reason: str, message: str = SIGN_IN_FAILED, status_code: int = 400):
        super().__init__(reason)
        self.reason, self.message, self.status_code = reason, message, status_code


class Unavailable(Exception):
    """The provider did not answer (discovery or keys)."""


@dataclass(frozen=True)
class Mapping:
    role: Role
    team: str | None
    organisation_id: int | None


def enabled(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    return bool(settings.oidc_issuer and settings.oidc_client_id)


# --- the provider's published metadata and keys --------------------------------------------

_cache: dict[tuple[str, str], tuple[float, dict]] = {}
_cache_lock = threading.Lock()


def _fetch_json(url: str) -> dict:
    try:
        answer = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS)
        answer.raise_for_status()
        found = answer.json()
    except (requests.RequestException, ValueError) as error:
        raise Unavailable(f"{url}: {error}") from None
    if not isinstance(found, dict):
        raise Unavailable(f"{url}: not a JSON object")
    return found


def _cached(kind: str, url: str, force: bool = False) -> dict:
    key = (kind, url)
    with _cache_lock:
        hit = _cache.get(key)
    if hit and not force and time.monotonic() - hit[0] < METADATA_SECONDS:
        return hit[1]
    found = _fetch_json(url)
    with _cache_lock:
        _cache[key] = (time.monotonic(), found)
    return found


def metadata(settings: Settings, force: bool = False) -> dict:
    issuer = settings.oidc_issuer.rstrip("/")
    found = _cached("metadata", issuer + "/.well-known/openid-configuration", force)
    if str(found.get("issuer", "")).rstrip("/") != issuer:
        raise Unavailable(f"the discovery document names issuer {found.get('issuer')!r}, not {issuer!r}")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(found.get(name), str):
            raise Unavailable(f"the discovery document has no {name}")
    return found


def _client(settings: Settings) -> OAuth2Session:
    return OAuth2Session(settings.oidc_client_id, settings.oidc_client_secret,
                         scope=settings.oidc_scopes, code_challenge_method="S256",
                         redirect_uri=settings.public_base_url.rstrip("/") + CALLBACK_PATH)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- the sign-in ---------------------------------------------------------------------------


def begin(session: Session, next_url: str) -> tuple[str, str]:
    """The provider's address to send the browser to, and the state for its cookie."""
    settings = get_settings()
    found = metadata(settings)
    state, nonce, verifier = generate_token(43), generate_token(43), generate_token(64)
    now = utc_now()
    session.execute(delete(OidcSignIn).where(OidcSignIn.created_at < now - SIGN_IN_LIFETIME))
    session.add(OidcSignIn(state_hash=_hash(state), nonce=nonce, code_verifier=verifier,
                           next_url=next_url[:300], created_at=now))
    session.commit()
    url, _ = _client(settings).create_authorization_url(
        found["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier)
    return url, state


def finish(session: Session, *, state: str | None, cookie_state: str | None, code: str | None,
           error: str | None) -> tuple[User, str]:
    """The person signed in, and where they go next; Refused otherwise."""
    settings = get_settings()
    if not state or not cookie_state or len(state) > 200 \
            or not hmac.compare_digest(state.encode(), cookie_state.encode()):
        raise Refused("state missing or not this browser's")
    row = session.exec(select(OidcSignIn).where(OidcSignIn.state_hash == _hash(state))).first()
    if row is None:
        raise Refused("state unknown or already used")
    session.delete(row)  # used once, whatever happens next
    session.commit()
    created = as_utc(row.created_at)
    if utc_now() - created > SIGN_IN_LIFETIME:
        raise Refused("sign-in started too long ago")
    if error:
        raise Refused(f"the identity provider answered {error[:100]}")
    if not code or len(code) > 2000:
        raise Refused("no authorization code")
    found = metadata(settings)
    try:
        tokens = _client(settings).fetch_token(found["token_endpoint"], code=code,
                                               code_verifier=row.code_verifier,
                                               timeout=HTTP_TIMEOUT_SECONDS)
    except Exception as failure:  # noqa: BLE001 - Authlib's and requests' errors alike refuse the sign-in
        raise Refused(f"token request failed: {type(failure).__name__}: {str(failure)[:200]}") from None
    claims = verify_id_token(settings, found, tokens, row.nonce)
    return _person(session, settings, claims), row.next_url


def verify_id_token(settings: Settings, found: dict, tokens: dict, nonce: str) -> dict:
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise Refused("no ID token in the token response")
    algorithms = [alg for alg in found.get("id_token_signing_alg_values_supported", ["RS256"])
                  if alg in ASYMMETRIC]
    registry = JWSRegistry(algorithms=algorithms, strict_check_header=False)
    try:
        try:
            token = jwt.decode(id_token, KeySet.import_key_set(_cached("jwks", found["jwks_uri"])),
                               registry=registry)
        except JoseError:  # perhaps signed with a key published since: fetch the keys again
            token = jwt.decode(id_token, KeySet.import_key_set(
                _cached("jwks", found["jwks_uri"], force=True)), registry=registry)
        options = {"iss": {"essential": True, "value": found["issuer"]},
                   "aud": {"essential": True, "value": settings.oidc_client_id},
                   "sub": {"essential": True}}
        params = {"nonce": nonce, "client_id": settings.oidc_client_id}
        if isinstance(tokens.get("access_token"), str):
            params["access_token"] = tokens["access_token"]
        claims = CodeIDToken(token.claims, token.header, options, params)
        claims.validate(leeway=settings.oidc_clock_leeway_seconds)
    except (JoseError, ValueError, TypeError, KeyError) as failure:
        raise Refused(f"ID token refused: {type(failure).__name__}: {str(failure)[:200]}") from None
    return dict(claims)


# --- who the person is here ----------------------------------------------------------------


def mapping_for(settings: Settings, groups: list[str]) -> Mapping | None:
    """What the first entry of OIDC_GROUP_MAP whose group the person is in makes them."""
    for group, entry in settings.oidc_group_map.items():
        if group in groups:
            try:
                organisation = entry.get("organisation_id")
                return Mapping(Role(str(entry.get("role"))),
                               str(entry["team"])[:80] if entry.get("team") else None,
                               int(organisation) if organisation is not None else None)
            except ValueError:
                raise Refused(f"OIDC_GROUP_MAP entry {group!r} has an unknown role or an "
                              "organisation_id that is not a number", MISCONFIGURED, 403) from None
    return None


def _groups(claims: dict, claim: str) -> list[str]:
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value] if isinstance(value, list) else []


def _person(session: Session, settings: Settings, claims: dict) -> User:
    issuer, subject = str(claims["iss"])[:300], str(claims["sub"])[:255]
    mapping = mapping_for(settings, _groups(claims, settings.oidc_groups_claim))
    name = audit.storable(str(claims.get("name") or claims.get("preferred_username")
                              or claims.get("email") or subject), 200)
    if mapping is None:
        raise Refused(f"{name} ({subject}): no group in OIDC_GROUP_MAP",
                      "Your council account is not in any group that may use Strategy Record. "
                      "Ask your manager or the service desk to add you to the right group.", 403)
    organisation = None
    if mapping.role == Role.PARTNER:
        organisation = session.get(Organisation, mapping.organisation_id) \
            if mapping.organisation_id else None
        if organisation is None or not organisation.active:
            raise Refused(f"{name}: the group's organisation is not in the directory or inactive",
                          MISCONFIGURED, 403)
    if mapping.role in RECORDERS and not mapping.team:
        raise Refused(f"{name}: the group's entry names no team", MISCONFIGURED, 403)
    user = session.exec(select(User).where(User.oidc_issuer == issuer,
                                           User.oidc_subject == subject)).first()
    fields = {"role": mapping.role.value, "team": mapping.team if mapping.role in RECORDERS else None,
              "organisation_id": organisation.id if organisation else None,
              "agency": organisation.agency if organisation else None}
    if user is None:
        user = User(username=_free_username(session, claims, issuer, subject), display_name=name,
                    password_hash="!", created_at=utc_now(), oidc_issuer=issuer,
                    oidc_subject=subject, email=_email(claims), **fields)
        session.add(user)
        try:
            session.commit()
        except IntegrityError:  # the same person's other sign-in, at the same moment, made it
            session.rollback()
            raise Refused(f"{name} ({subject}): account made by a simultaneous sign-in",
                          "You were signing in twice at once. Sign in again.", 409) from None
        session.refresh(user)
        audit.log(session, "user_created", user=user,
                  detail=f"role {user.role}, from the identity provider's groups")
        return user
    if not user.is_active:
        raise Refused(f"{user.username}: account deactivated here",
                      "Your account for Strategy Record has been switched off. Ask an "
                      "administrator.", 403)
    changed = {key: value for key, value in fields.items() if getattr(user, key) != value}
    for key, value in changed.items():
        setattr(user, key, value)
    user.display_name = name
    session.add(user)
    session.commit()
    if changed:
        audit.log(session, "user_changed", user=user, detail="from the identity provider's groups: " +
                  ", ".join(f"{key} {value}" for key, value in changed.items()))
    return user


def _email(claims: dict) -> str | None:
    email = claims.get("email")
    return email[:320] if isinstance(email, str) and "@" in email else None


def _free_username(session: Session, claims: dict, issuer: str, subject: str) -> str:
    wanted = str(claims.get("preferred_username") or claims.get("email") or subject)
    wanted = (audit.storable(wanted.strip().lower(), 70) or "user").replace(" ", "")
    for candidate in (wanted, f"{wanted}-{_hash(issuer + ' ' + subject)[:8]}"):
        if session.exec(select(User.id).where(User.username == candidate)).first() is None:
            return candidate
    raise Refused(f"no free username for {wanted!r}", MISCONFIGURED, 403)


SIGNED_OUT_PATH = "/sign-in/oidc/signed-out"


def sign_out_url(user: User | None) -> str | None:
    """Where someone who signed in at the identity provider goes once signed out here (the
    page that sends them on to the provider's end-session address)."""
    if user is None or not user.oidc_subject or not enabled():
        return None
    return SIGNED_OUT_PATH


def end_session_url() -> str | None:
    """The provider's end-session address (RP-initiated logout), if it advertises one."""
    settings = get_settings()
    if not enabled(settings):
        return None
    try:
        endpoint = metadata(settings).get("end_session_endpoint")
    except Unavailable:
        return None
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    return add_params_to_uri(endpoint, {
        "client_id": settings.oidc_client_id,
        "post_logout_redirect_uri": settings.public_base_url.rstrip("/") + "/sign-in"})
