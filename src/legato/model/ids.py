"""Identifiers: Kestra-style 22-character base62 ids, random for new executions, derived for everything
the engine creates (so replaying the same event produces the same ids)."""

from __future__ import annotations

import hashlib
import secrets

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # two digits at a time: half the divisions


def _base62(number: int, width: int = 22) -> str:
    chars = []
    for _ in range(width // 2):
        number, rem = divmod(number, 62 * 62)
        chars.append(_PAIRS[rem])
    if width % 2:
        chars.append(_ALPHABET[number % 62])
    return "".join(reversed(chars))


def new_id() -> str:
    """A random id (for executions and other rows created from outside the engine)."""
    return _base62(secrets.randbits(128))


def derived_id(*parts: object) -> str:
    """A deterministic id from `parts` (the engine's task runs: same inputs, same id)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return _base62(int.from_bytes(digest[:16], "big"))
