"""Password hashing: argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile)."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rules.errors import DossierError

MIN_LENGTH = 10  # a pass phrase of a few words; long beats complex
MAX_LENGTH = 1024  # argon2 takes any length; this only bounds the work a request can ask

_hasher = PasswordHasher()


def check_strength(password: str, field: str = "password") -> None:
    if len(password) < MIN_LENGTH:
        raise DossierError(f"the password needs at least {MIN_LENGTH} characters", field)
    if len(password) > MAX_LENGTH:
        raise DossierError(f"the password is longer than {MAX_LENGTH} characters", field)
    if not password.strip():
        raise DossierError("the password is blank", field)


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify(stored_hash: str, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("not a password of anyone")


def spend_like_a_verify(password: str) -> None:
    """The work of one verification, for a user name that does not exist: the answer's
    timing then does not say whether the account exists."""
    verify(_dummy_hash(), password)
