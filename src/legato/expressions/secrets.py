"""Secrets travel through rendering as opaque placeholders, revealed only at the point of use."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from urllib.parse import quote, quote_plus

MASK = "******"
# A secret shorter than this is masked only where a text is the secret itself (an input's value, an output, a
# log line holding nothing else), never inside other text nor in its encoded forms: a value of one to three
# characters occurs in almost every text, and masking it there would wreck every log line while hiding nothing.
MIN_IN_TEXT = 4
# The scheme of internal storage URIs, which Legato writes into outputs: a secret that happens to be "kestra" (a
# default user name) is masked everywhere but there, or every file URI after it would point nowhere.
STORAGE_SCHEME = "kestra://"


def encoded_forms(value: str) -> set[str]:
    """The forms a secret takes when a task or a script encodes it: base64 (standard and URL-safe, padded or
    not), URL-encoded (path and form style), and JSON-escaped (as inside a JSON string, ASCII or not)."""
    if len(value) < MIN_IN_TEXT:
        return set()
    raw = value.encode()
    forms = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(), quote(value, safe=""),
             quote_plus(value), quote(value), json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    forms |= {f.rstrip("=") for f in forms}
    forms.discard(value)
    forms.discard("")
    return forms


class Masker:
    """Issues placeholders for secret values, reveals them, and masks real values in any text.

    One Masker per execution (or per task run): its placeholders mean nothing to another one.
    """

    def __init__(self) -> None:
        self._token = secrets.token_hex(6)
        self._by_placeholder: dict[str, str] = {}
        self._by_value: dict[str, str] = {}
        self._encoded: set[str] = set()  # encoded forms of the values, masked too
        self._short: set[str] = set()  # values shorter than MIN_IN_TEXT, masked only as a whole text
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        self._mask_pattern: re.Pattern[str] | None = None

    def placeholder(self, value: str) -> str:
        """An opaque stand-in for `value`; the same value always gets the same placeholder."""
        with self._lock:
            existing = self._by_value.get(value)
            if existing is not None:
                return existing
            ph = f"[secret:{self._token}:{len(self._by_value)}]"
            self._by_value[value] = ph
            self._by_placeholder[ph] = value
            self._encoded |= encoded_forms(value)
            if 0 < len(value) < MIN_IN_TEXT:
                self._short.add(value)
            self._pattern = None
            self._mask_pattern = None
            return ph

    def holds_placeholder(self, text: str) -> bool:
        """True when `text` contains a placeholder issued by this Masker."""
        return bool(self._by_placeholder) and f"[secret:{self._token}:" in text

    def reveal(self, text: str) -> str:
        """Replace placeholders with the real values, just before the text is used."""
        if not self._by_placeholder or "[secret:" not in text:
            return text
        pattern = self._pattern
        if pattern is None:
            pattern = self._pattern = re.compile(rf"\[secret:{self._token}:\d+\]")
        return pattern.sub(lambda m: self._by_placeholder.get(m.group(), m.group()), text)

    def mask(self, text: str) -> str:
        """Replace every real secret value, its encoded forms (`encoded_forms`) and every placeholder with
        ******; a secret shorter than MIN_IN_TEXT only when it is the whole text (surrounding blanks aside).
        Callers holding structured data mask its string values one by one, never its keys."""
        if not self._by_value:
            return text
        if self._short and text.strip() in self._short:
            return MASK
        pattern = self._mask_pattern
        if pattern is None:
            # Longest first, so a secret that contains another is masked whole.
            # A secret longer than the storage scheme is tried before it, so one that holds the scheme is masked whole.
            long = {v for v in self._by_value if len(v) >= MIN_IN_TEXT}
            values = sorted(long | self._encoded, key=len, reverse=True)
            alternatives = [re.escape(v) for v in values if len(v) > len(STORAGE_SCHEME)]
            alternatives += [f"(?P<scheme>{re.escape(STORAGE_SCHEME)})"]
            alternatives += [re.escape(v) for v in values if len(v) <= len(STORAGE_SCHEME)]
            alternatives += [rf"\[secret:{self._token}:\d+\]"]
            pattern = self._mask_pattern = re.compile("|".join(alternatives))
        return pattern.sub(_masked, text)

    @property
    def values(self) -> frozenset[str]:
        """The secret values issued so far (for callers that mask structured data)."""
        return frozenset(self._by_value)


def _masked(match: re.Match[str]) -> str:
    return match.group() if match.lastgroup == "scheme" else MASK
