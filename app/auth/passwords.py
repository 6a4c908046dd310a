"""Password hashing with Argon2 (pwdlib), a bounded number at a time.

Each hash or check takes about 64 MiB while it runs. At most PASSWORD_HASH_CONCURRENCY run at
once in a process; another waits up to PASSWORD_HASH_WAIT_SECONDS for a turn, then gives up
with `Busy` (sign-in answers 429 with Retry-After). An unknown username is checked against a
dummy hash through the same turns, so it costs what a wrong password does.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from pwdlib import PasswordHash

from app.config import get_settings

MIN_LENGTH = 12


class Busy(Exception):
    """Too many password checks at once: none was free within the wait."""


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache
def _turns(concurrency: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(concurrency)


@contextmanager
def _turn() -> Iterator[None]:
    settings = get_settings()
    turns = _turns(settings.password_hash_concurrency)
    if not turns.acquire(timeout=settings.password_hash_wait_seconds):
        raise Busy
    try:
        yield
    finally:
        turns.release()


@lru_cache
def _dummy_hash() -> str:
    return _hasher().hash("not-a-real-password-used-for-timing")


def hash_password(password: str) -> str:
    with _turn():
        return _hasher().hash(password)


def verify(password: str, password_hash: str | None) -> bool:
    """Check a password. With no user, check against a dummy hash so timing reveals nothing.
    Raises Busy if no turn came free in time."""
    with _turn():
        if password_hash is None:
            _hasher().verify(password, _dummy_hash())
            return False
        return _hasher().verify(password, password_hash)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return f"A password must be at least {MIN_LENGTH} characters"
    return None
