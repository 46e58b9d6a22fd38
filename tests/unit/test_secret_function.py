"""secret(): Kestra's open-source backend, SECRET_<NAME> base64-encoded, read by name in any case."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from legato import secrets_env
from legato.expressions import Masker, Renderer


@pytest.fixture(autouse=True)
def _secrets() -> Iterator[None]:
    long = base64.b64encode(b"line one\nline two").decode()
    secrets_env.reset_for_tests(
        {
            "SECRET_MY_SECRET": base64.b64encode(b"secretValue").decode(),
            "SECRET_WRAPPED": long[:8] + "\n" + long[8:],
            "SECRET_NOT_BASE64": "%%%",
        }
    )
    yield
    secrets_env.reset_for_tests({})


def test_secret_name_is_matched_in_upper_case_like_kestra() -> None:
    assert secrets_env.decoded("my_secret") == "secretValue"
    assert secrets_env.decoded("MY_SECRET") == "secretValue"


def test_secret_value_may_be_wrapped_on_several_lines() -> None:
    assert secrets_env.decoded("wrapped") == "line one\nline two"


def test_missing_or_undecodable_secret_says_which_variable() -> None:
    with pytest.raises(ValueError, match="SECRET_NOPE"):
        secrets_env.decoded("nope")
    with pytest.raises(ValueError, match="SECRET_NOT_BASE64 is not base64"):
        secrets_env.decoded("not_base64")


def test_secret_renders_as_a_placeholder_when_the_render_has_a_masker() -> None:
    masker = Masker()
    renderer = Renderer(functions=secrets_env.FUNCTIONS)
    rendered = renderer.render("pw={{ secret('my_secret') }}", {}, masker=masker)
    assert "secretValue" not in rendered
    assert masker.reveal(rendered) == "pw=secretValue"
    assert masker.mask("pw=secretValue") == "pw=******"


def test_json_of_a_secret_gives_secret_fields() -> None:
    secrets_env.reset_for_tests({"SECRET_CREDS": base64.b64encode(b'{"user": "ada", "port": 5432}').decode()})
    masker = Masker()
    renderer = Renderer(functions=secrets_env.FUNCTIONS)
    user = renderer.render("{{ json(secret('creds')).user }}", {}, masker=masker)
    assert user != "ada" and masker.reveal(user) == "ada"
    assert renderer.render_typed("{{ json(secret('creds')).port }}", {}, masker=masker) == 5432


def test_secret_without_a_masker_is_the_value() -> None:
    assert Renderer(functions=secrets_env.FUNCTIONS).render("{{ secret('my_secret') }}", {}) == "secretValue"
