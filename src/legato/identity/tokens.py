"""API tokens and session ids: high-entropy random strings, stored only as their SHA-256.

A token reads `lgt_<id>_<secret>`: the id finds the row, the secret's hash is compared in constant time. Being
random with 256 bits of entropy, a token needs no slow hash (unlike a password)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX = "lgt_"


@dataclass(frozen=True)
class NewToken:
    id: str
    secret_hash: str
    text: str  # shown once to its owner, never stored

    @property
    def prefix(self) -> str:
        """What lists show to tell tokens apart (the id part)."""
        return self.text[: len(PREFIX) + len(self.id)]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> NewToken:
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return NewToken(token_id, digest(secret), f"{PREFIX}{token_id}_{secret}")


def split(text: str) -> tuple[str, str] | None:
    """(id, secret) of a token's text; None when it is not shaped like one."""
    if not text.startswith(PREFIX):
        return None
    token_id, sep, secret = text[len(PREFIX):].partition("_")
    if not sep or len(token_id) != 16 or not secret:
        return None
    return token_id, secret


def matches(secret_hash: str, secret: str) -> bool:
    return hmac.compare_digest(secret_hash, digest(secret))


def new_secret() -> str:
    """A session id or CSRF token."""
    return secrets.token_urlsafe(32)
