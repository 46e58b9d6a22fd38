"""The Masker masks a secret's encoded forms too: base64 (standard and URL-safe, padded or not), URL-encoded
and JSON-escaped; a very short secret only as it is (its encodings would hide unrelated text)."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from legato.expressions import Masker
from legato.expressions.secrets import MASK

SECRET = 'p@ss w/rd+"é"'


@pytest.mark.parametrize("form", [
    SECRET,
    base64.b64encode(SECRET.encode()).decode(),
    base64.b64encode(SECRET.encode()).decode().rstrip("="),
    base64.urlsafe_b64encode(SECRET.encode()).decode(),
    quote(SECRET, safe=""),
    quote_plus(SECRET),
    json.dumps(SECRET)[1:-1],
    json.dumps(SECRET, ensure_ascii=False)[1:-1],
])
def test_each_form_is_masked_inside_text(form: str) -> None:
    masker = Masker()
    masker.placeholder(SECRET)
    assert masker.mask(f"before {form} after") == f"before {MASK} after"


def test_a_json_document_holding_the_secret_is_masked() -> None:
    masker = Masker()
    masker.placeholder(SECRET)
    assert SECRET not in masker.mask(json.dumps({"token": SECRET}))
    assert "\\u00e9" not in masker.mask(json.dumps({"token": SECRET}))


def test_short_secrets_are_masked_only_as_they_are() -> None:
    masker = Masker()
    masker.placeholder("abc")
    assert masker.mask("abc YWJj") == f"{MASK} YWJj"
