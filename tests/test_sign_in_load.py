"""Sign-in under load: the throttle holds when attempts arrive at once, and only a bounded
number of password hashes (64 MiB each) run at a time, for known and unknown names alike."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from app import config
from app.auth import passwords
from app.auth.models import AuditEvent, SignInAttempt
from tests.conftest import TEST_PASSWORD, make_user
from tests.html import soup


def _sign_in(client, username, password="wrong password!"):
    return client.post("/sign-in", data={"username": username, "password": password},
                       follow_redirects=False)


def _at_once(client, usernames: list[str]) -> list[int]:
    """Every sign-in posted at the same moment (each thread waits at a barrier first)."""
    start = threading.Barrier(len(usernames))

    def one(username):
        start.wait()
        return _sign_in(client, username).status_code

    with ThreadPoolExecutor(len(usernames)) as pool:
        return list(pool.map(one, usernames))


@pytest.fixture
def checks(monkeypatch):
    """Counts the passwords checked (the real Argon2 check still runs)."""
    counted = []
    real = passwords.verify

    def counting(password, password_hash):
        counted.append(password_hash is not None)
        return real(password, password_hash)

    monkeypatch.setattr(passwords, "verify", counting)
    return counted


def test_thirty_attempts_at_once_on_one_account_check_at_most_its_limit(anonymous, session,
                                                                       checks, settings_env):
    settings_env(password_hash_wait_seconds=60)  # every attempt let through gets its check
    make_user(session, "jo")
    limit = config.get_settings().sign_in_max_failures_per_account
    answers = _at_once(anonymous, ["jo"] * 30)
    checked = len(checks)
    # How many get through depends on the order they arrive in (all 30 may find the others
    # already written down, and be refused): never more than the limit.
    assert checked <= limit
    assert sorted(answers) == sorted([401] * checked + [429] * (30 - checked))
    failed = session.exec(select(SignInAttempt).where(SignInAttempt.outcome == "failed")).all()
    assert len(failed) == checked
    # Only checked passwords count as failures: refused attempts do not lock the account.
    right = _sign_in(anonymous, "jo", TEST_PASSWORD).status_code
    assert right == (303 if checked < limit else 429)


def test_forty_attempts_at_once_from_one_address_check_at_most_its_limit(anonymous, session,
                                                                        checks, settings_env):
    settings_env(password_hash_wait_seconds=60)
    limit = config.get_settings().sign_in_max_failures_per_address
    answers = _at_once(anonymous, [f"user{n}" for n in range(40)])  # no account reaches 5
    assert len(checks) <= limit
    assert answers.count(401) == len(checks)
    assert answers.count(429) == 40 - len(checks)


class Gate:
    """A stand-in for Argon2 that records how many checks run at once and holds each one
    until released."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = self.most = self.calls = 0
        self.arrived = threading.Condition(self.lock)
        self.release = threading.Event()

    def verify(self, password, password_hash):
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
            self.arrived.notify_all()
        self.release.wait(30)
        with self.lock:
            self.running -= 1
        return False

    def hash(self, password):
        return "$argon2id$stand-in"


@pytest.fixture
def gate(monkeypatch):
    gate = Gate()
    passwords._dummy_hash.cache_clear()
    monkeypatch.setattr(passwords, "_hasher", lambda: gate)
    yield gate
    gate.release.set()
    passwords._dummy_hash.cache_clear()  # never keep the stand-in's dummy hash


def test_at_most_the_configured_number_of_hashes_run_at_once(engine, settings_env, gate):
    from sqlmodel import Session

    from app.auth import service

    settings_env(password_hash_concurrency=3, password_hash_wait_seconds=60,
             sign_in_max_failures_per_account=100)

    def attempt(n):
        with Session(engine) as own:
            return service.authenticate(own, f"user{n}", "wrong password!")

    with ThreadPoolExecutor(40) as pool:
        results = [pool.submit(attempt, n) for n in range(40)]
        with gate.arrived:
            assert gate.arrived.wait_for(lambda: gate.running == 3, timeout=30)
            # The other 37 are all waiting for a turn by now, or soon: give them the chance
            # to (wrongly) start a hash of their own before counting.
            gate.arrived.wait_for(lambda: gate.running > 3, timeout=1)
            assert gate.running == 3
        gate.release.set()
        assert [result.result(60) for result in results] == [None] * 40
    assert gate.calls == 40
    assert gate.most == 3


def test_no_turn_free_in_time_answers_429_with_retry_after(anonymous, session, settings_env, gate):
    settings_env(password_hash_concurrency=2, password_hash_wait_seconds=0)
    make_user(session, "jo")
    turns = passwords._turns(2)
    assert turns.acquire(blocking=False) and turns.acquire(blocking=False)  # both taken
    try:
        answer = _sign_in(anonymous, "jo")
    finally:
        turns.release()
        turns.release()
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "1"
    assert soup(answer).select_one("#username-error").get_text(strip=True).endswith(
        "Too many people are signing in at this moment. Try again in a few seconds.")
    assert gate.calls == 0
    # Not a failed password: it does not count against the account.
    (attempt,) = session.exec(select(SignInAttempt)).all()
    assert attempt.outcome == "busy"
    events = session.exec(select(AuditEvent.action, AuditEvent.detail)).all()
    assert events == [("sign_in_throttled", "password checks busy")]


def test_a_known_and_an_unknown_username_each_take_one_turn_and_one_check(anonymous, session,
                                                                          gate, monkeypatch):
    make_user(session, "jo")
    gate.release.set()
    turns = []
    real_turn = passwords._turn

    def counted_turn():
        turns.append(1)
        return real_turn()

    monkeypatch.setattr(passwords, "_turn", counted_turn)
    assert _sign_in(anonymous, "jo").status_code == 401
    assert (len(turns), gate.calls) == (1, 1)
    assert _sign_in(anonymous, "nobody-by-this-name").status_code == 401
    assert (len(turns), gate.calls) == (2, 2)
