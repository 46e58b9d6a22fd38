"""The public surface: typed rendering, render_all, evaluate, truthy, is_template, caching, Masker."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import legato.expressions as expressions
from legato.expressions import ExpressionError, Limits, Masker, Renderer, is_template, truthy

from .conftest import LazyOutputs


def test_public_names() -> None:
    assert sorted(expressions.__all__) == [
        "ExpressionError", "LimitExceeded", "Limits", "Masker", "Renderer", "UndefinedError", "configure",
        "default_limits", "is_template", "to_text", "truthy"]


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ inputs.count }}", 3),
    ("  {{ inputs.count }}\n", 3),
    ("{{ inputs.flag }}", True),
    ("{{ inputs.items }}", [3, 1, 2]),
    ("{{ inputs.data }}", {"k1": "v1", "k2": "v2"}),
    ("{{ inputs.nothing }}", None),
    ("{{ inputs.ratio * 2 }}", 1.0),
    ("{{ inputs.count > 2 }}", True),
    ("{{ 0..2 }}", [0, 1, 2]),
    ("{{ inputs.json | fromJson }}", {"x": 1, "y": [1, 2]}),
    ("{{ execution.startDate }}", datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
    ("n={{ inputs.count }}", "n=3"),
    ("{{ inputs.count }}{{ inputs.count }}", "33"),
    ("{% if true %}{{ inputs.count }}{% endif %}", "3"),
    ("plain", "plain"),
])
def test_render_typed(renderer: Renderer, ctx: dict[str, Any], template: str, expected: Any) -> None:
    assert renderer.render_typed(template, ctx) == expected


def test_render_typed_keeps_the_type_exactly(renderer: Renderer, ctx: dict[str, Any]) -> None:
    assert type(renderer.render_typed("{{ inputs.count }}", ctx)) is int
    assert type(renderer.render_typed("{{ inputs.flag }}", ctx)) is bool


def test_render_all_walks_structures(renderer: Renderer, ctx: dict[str, Any]) -> None:
    value = {
        "{{ flow.id }}-key": "{{ inputs.name }}",
        "count": "{{ inputs.count }}",
        "list": ["{{ inputs.count + 1 }}", 7, None, ("{{ flow.namespace }}",)],
        "nested": {"deep": ["{{ inputs.items }}"]},
    }
    assert renderer.render_all(value, ctx) == {
        "hello-key": "World", "count": "3", "list": ["4", 7, None, ("company.team",)],
        "nested": {"deep": ["[3,1,2]"]},
    }
    typed = renderer.render_all(value, ctx, typed=True)
    assert typed["count"] == 3
    assert typed["list"][0] == 4
    assert typed["nested"]["deep"] == [[3, 1, 2]]
    assert "hello-key" in typed


@pytest.mark.parametrize(("expression", "expected"), [
    ("inputs.count > 2", True),
    ("inputs.count + 1", 4),
    ("inputs.name | upper", "WORLD"),
    ("inputs.items", [3, 1, 2]),
    ("inputs.missing ?? 'd'", "d"),
    ("outputs.t1.rows * 2", 20),
    ("[1, 2] contains 2 and not inputs.off", True),
    ("{'a': 1}", {"a": 1}),
])
def test_evaluate(renderer: Renderer, ctx: dict[str, Any], expression: str, expected: Any) -> None:
    assert renderer.evaluate(expression, ctx) == expected


def test_evaluate_rejects_trailing_tokens(renderer: Renderer) -> None:
    with pytest.raises(ExpressionError, match="after the expression"):
        renderer.evaluate("1 2", {})


@pytest.mark.parametrize(("value", "expected"), [
    (None, False), (False, False), ("", False), ("false", False), ("FALSE", False), ("False", False),
    ("0", False), (0, False), (0.0, False), ([], False), ({}, False), ((), False),
    (True, True), ("true", True), ("no", True), ("1", True), (1, True), (-1, True), (0.5, True),
    ([0], True), ({"a": None}, True), ("  ", False), (" false ", False),
])
def test_truthy(value: Any, expected: bool) -> None:
    assert truthy(value) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("{{ x }}", True), ("a {% if %}", True), ("plain", False), ("{ x }", False), ("{# c #}", False),
    ("}}{{", True),
])
def test_is_template(text: str, expected: bool) -> None:
    assert is_template(text) is expected


def test_parse_cache_reuses_compiled_templates() -> None:
    renderer = Renderer()
    first = renderer.compile("{{ a }}")
    assert renderer.compile("{{ a }}") is first
    assert renderer.compile("{{ b }}") is not first


def test_parse_cache_is_bounded() -> None:
    renderer = Renderer(limits=Limits(cache_size=3))
    first = renderer.compile("{{ 0 }}")
    for i in range(1, 5):
        renderer.compile(f"{{{{ {i} }}}}")
    assert renderer.compile("{{ 0 }}") is not first


def test_lazy_outputs_are_only_read_where_referenced(renderer: Renderer) -> None:
    outputs = LazyOutputs({"a": {"v": 1}, "b": {"v": 2}, "c": {"v": 3}})
    assert renderer.render("{{ outputs.b.v }}", {"outputs": outputs}) == "2"
    assert outputs.loaded == ["b"]


def test_renderer_is_reentrant_across_contexts(renderer: Renderer) -> None:
    template = "{{ x }}"
    assert [renderer.render(template, {"x": i}) for i in range(3)] == ["0", "1", "2"]


class TestMasker:
    def test_placeholder_reveal_and_mask(self) -> None:
        masker = Masker()
        ph = masker.placeholder("s3cr3t")
        assert "s3cr3t" not in ph
        assert masker.placeholder("s3cr3t") == ph
        rendered = Renderer().render("token={{ secret('API') }}", {},
                                     functions={"secret": lambda name: masker.placeholder("s3cr3t")})
        assert rendered == f"token={ph}"
        assert masker.reveal(rendered) == "token=s3cr3t"
        assert masker.mask("leaked s3cr3t and " + ph) == "leaked ****** and ******"

    def test_longest_secret_masked_whole(self) -> None:
        masker = Masker()
        masker.placeholder("abcd")
        masker.placeholder("abcdefgh")
        assert masker.mask("x abcdefgh y abcd") == "x ****** y ******"

    def test_masker_placeholders_are_private_to_one_masker(self) -> None:
        one, two = Masker(), Masker()
        ph = one.placeholder("v")
        assert two.reveal(ph) == ph

    def test_error_messages_never_contain_a_revealed_secret(self) -> None:
        masker = Masker()
        renderer = Renderer(masker=masker, functions={"secret": lambda name: masker.placeholder("hunter2")})
        with pytest.raises(ExpressionError) as info:
            renderer.render("{{ secret('PW') | number }}", {})
        assert "hunter2" not in str(info.value)
        # Even when a caller revealed the secret into data that then fails, the message is masked.
        with pytest.raises(ExpressionError) as info:
            renderer.render("{{ data | number }}", {"data": masker.reveal(masker.placeholder("hunter2"))})
        assert "hunter2" not in str(info.value)
        assert "******" in str(info.value)


def test_per_call_masker_masks_error_messages() -> None:
    masker = Masker()
    masker.placeholder("topsecret")
    with pytest.raises(ExpressionError) as info:
        Renderer().render("{{ v | number }}", {"v": "topsecret"}, masker=masker)
    assert "topsecret" not in str(info.value)
    with pytest.raises(ExpressionError) as info:
        Renderer().evaluate("v | number", {"v": "topsecret"}, masker=masker)
    assert "topsecret" not in str(info.value)


def test_string_interpolation_in_double_quotes(renderer: Renderer, ctx: dict[str, Any]) -> None:
    assert renderer.render('{{ "Hello #{inputs.name | upper}, #{inputs.count + 1}!" }}', ctx) == "Hello WORLD, 4!"
    assert renderer.render("{{ 'single #{inputs.name}' }}", ctx) == "single #{inputs.name}"


def test_text_filters_apply_to_the_secret_value_and_stay_secret() -> None:
    import base64

    masker = Masker()
    renderer = Renderer(masker=masker, functions={"secret": lambda name: masker.placeholder("user:pw")})
    rendered = renderer.render("Basic {{ secret('AUTH') | base64encode }}", {})
    expected = "Basic " + base64.b64encode(b"user:pw").decode()
    assert "dXNlcjpwdw" not in rendered  # still opaque after rendering
    assert masker.reveal(rendered) == expected
    assert masker.mask(expected) == "Basic ******"
    assert masker.reveal(renderer.render("{{ secret('A') | upper }}", {})) == "USER:PW"


def test_secret_filters_without_a_masker_see_the_placeholder() -> None:
    masker = Masker()
    ph = masker.placeholder("pw")
    assert Renderer().render("{{ s | upper }}", {"s": ph}) == ph.upper()
