"""Password hashes: argon2id (argon2-cffi), with a re-hash when the parameters grow stronger."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults follow RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes).
_HASHER = PasswordHasher()
MIN_LENGTH = 8


class WeakPasswordError(ValueError):
    """The password is too short (or empty)."""


def check_strength(password: str) -> None:
    """WeakPasswordError when the password has fewer than MIN_LENGTH characters."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"the password must have at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string) of `password`."""
    return _HASHER.hash(password)


def verify(password_hash: str, password: str) -> bool:
    """Whether `password` matches the hash; False for a malformed hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


# Compared against when the user does not exist, so a wrong user name costs as much time as a wrong password.
DUMMY_HASH = _HASHER.hash("legato-no-such-user")
