"""Password hashing with Argon2 (pwdlib)."""

from functools import lru_cache

from pwdlib import PasswordHash

MIN_LENGTH = 12


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache
def _dummy_hash() -> str:
    return _hasher().hash("not-a-real-password-used-for-timing")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify(password: str, password_hash: str | None) -> bool:
    """Check a password. With no user, check against a dummy hash so timing reveals nothing."""
    if password_hash is None:
        _hasher().verify(password, _dummy_hash())
        return False
    return _hasher().verify(password, password_hash)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return f"A password must be at least {MIN_LENGTH} characters"
    return None
