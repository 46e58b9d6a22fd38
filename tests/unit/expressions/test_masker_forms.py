"""The Masker masks a secret's encoded forms too: base64 (standard and URL-safe, padded or not), URL-encoded
and JSON-escaped; a secret shorter than MIN_IN_TEXT only where it is the whole text (inside other text, it and
its encodings would hide unrelated text)."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from legato.expressions import Masker
from legato.expressions.secrets import MASK, MIN_IN_TEXT

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


def test_a_secret_of_the_minimum_length_is_masked_inside_text_and_encoded() -> None:
    masker = Masker()
    masker.placeholder("abcd")
    assert MIN_IN_TEXT == 4
    assert masker.mask("abcd YWJjZA") == f"{MASK} {MASK}"


@pytest.mark.parametrize("short", ["x", "id", "abc"])
def test_a_shorter_secret_is_masked_only_as_a_whole_text(short: str) -> None:
    masker = Masker()
    placeholder = masker.placeholder(short)
    assert masker.mask(short) == MASK
    assert masker.mask(f" {short}\n") == MASK
    assert masker.mask(f"executionId {short}{short} state") == f"executionId {short}{short} state"
    assert masker.mask(f"got {placeholder}") == f"got {MASK}"
    assert masker.mask("") == ""


def test_a_secret_that_is_the_storage_scheme_leaves_file_uris_working() -> None:
    masker = Masker()
    masker.placeholder("kestra")
    uri = "kestra:///company/flow/executions/1/out.csv"
    assert masker.mask(f"user kestra wrote {uri}") == f"user {MASK} wrote {uri}"
    assert masker.mask("kestra") == MASK


def test_a_secret_holding_the_storage_scheme_is_masked_whole() -> None:
    masker = Masker()
    masker.placeholder("kestra:///private/token")
    assert masker.mask("see kestra:///private/token and kestra:///other") == f"see {MASK} and kestra:///other"
