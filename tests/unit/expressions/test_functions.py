"""Functions: the pure built-ins, injected I/O functions, render(), and currentEachOutput()."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from legato.expressions import ExpressionError, Renderer

CASES: list[tuple[str, str]] = [
    ("{{ range(0, 3) }}", "[0,1,2,3]"),
    ("{{ range(0, 10, 5) }}", "[0,5,10]"),
    ("{{ range(3, 1, -1) }}", "[3,2,1]"),
    ("{{ max(1, 5, 3) }}", "5"),
    ("{{ min(4, 2.5, 3) }}", "2.5"),
    ("{{ max([7, 9, 8]) }}", "9"),
    ("{{ min('b', 'a') }}", "a"),
    ("{{ fromJson('{\"a\": [1, 2]}').a[1] }}", "2"),
    ("{{ fromJson(inputs.json).x }}", "1"),
    ("{{ json('[1]') | first }}", "1"),
    ("{{ yaml('a: 1\nb: [x, y]').b[1] }}", "y"),
    ("{{ yaml('k: v') }}", '{"k":"v"}'),
    ("{{ render('{{ inputs.name }}') }}", "World"),
    ("{{ render(trigger.body.msg) }}", "49"),
    ("{{ renderOnce('{{ \"{{ 1 + 1 }}\" }}') }}", "{{ 1 + 1 }}"),
    ("{{ render('{{ \"{{ 1 + 1 }}\" }}') }}", "2"),
    ("{{ render(42) }}", "42"),
    ("{% set t = '{{ flow.id }}' %}{{ render(t) }}", "hello"),
    ("{{ currentEachOutput(outputs.each).value }}", "out-b"),
]


@pytest.mark.parametrize(("template", "expected"), CASES)
def test_function(renderer: Renderer, ctx: dict[str, Any], template: str, expected: str) -> None:
    assert renderer.render(template, ctx) == expected


def test_uuid_id_and_random_int(renderer: Renderer) -> None:
    assert uuid.UUID(renderer.render("{{ uuid() }}", {})).version == 4
    assert renderer.render("{{ uuid() }}", {}) != renderer.render("{{ uuid() }}", {})
    assert re.fullmatch(r"[0-9A-Za-z]{18,22}", renderer.render("{{ id() }}", {}))
    values = {renderer.render_typed("{{ randomInt(1, 4) }}", {}) for _ in range(200)}
    assert values == {1, 2, 3}


def test_print_context_shows_variables(renderer: Renderer) -> None:
    printed = json.loads(renderer.render("{% set y = 2 %}{{ printContext() }}", {"x": {"a": 1}}))
    assert printed == {"x": {"a": 1}, "y": 2}


def test_current_each_output_follows_parents(renderer: Renderer) -> None:
    ctx = {
        "outputs": {"inner": {"p1": {"c1": {"value": "deep"}}}},
        "parents": [{"taskrun": {"value": "p1"}}],
        "taskrun": {"value": "c1"},
    }
    assert renderer.render("{{ currentEachOutput(outputs.inner).value }}", ctx) == "deep"


def test_current_each_output_skips_parents_outside_any_loop(renderer: Renderer) -> None:
    """The ForEach task run itself (and any flowable not in a loop) has no value: it is no step of the path."""
    ctx = {
        "outputs": {"inner": {"p1": {"c1": {"value": "deep"}}}},
        "parents": [{"taskrun": {"id": "i", "value": "p1"}}, {"taskrun": {"id": "o", "value": None}}],
        "taskrun": {"value": "c1"},
    }
    assert renderer.render("{{ currentEachOutput(outputs.inner).value }}", ctx) == "deep"


def test_injected_functions_receive_arguments(ctx: dict[str, Any]) -> None:
    calls: list[tuple[Any, ...]] = []

    def kv(key: str, namespace: str | None = None) -> str:
        calls.append((key, namespace))
        return f"value-of-{key}"

    renderer = Renderer(functions={"kv": kv})
    assert renderer.render("{{ kv('my_key') }}", ctx) == "value-of-my_key"
    assert renderer.render("{{ kv('k', namespace='other.ns') }}", ctx) == "value-of-k"
    assert calls == [("my_key", None), ("k", "other.ns")]


def test_per_call_functions_override_constructor_ones(ctx: dict[str, Any]) -> None:
    renderer = Renderer(functions={"secret": lambda name: "ctor", "read": lambda p: "file"})
    assert renderer.render("{{ secret('A') }}", ctx, functions={"secret": lambda name: "call"}) == "call"
    assert renderer.render("{{ read('x') }}", ctx, functions={"secret": lambda name: "call"}) == "file"
    assert renderer.render("{{ secret('A') }}", ctx) == "ctor"


@pytest.mark.parametrize("name", ["secret", "kv", "read", "fileURI", "fileSize", "fileExists", "fileEmpty",
                                  "http", "encrypt", "decrypt", "errorLogs", "tasksWithState"])
def test_io_functions_are_not_available_unless_injected(renderer: Renderer, name: str) -> None:
    with pytest.raises(ExpressionError, match=f"function '{name}' is not available here"):
        renderer.render(f"{{{{ {name}('x') }}}}", {})


def test_injected_function_failure_is_an_expression_error(ctx: dict[str, Any]) -> None:
    def kv(key: str) -> str:
        raise KeyError(key)

    with pytest.raises(ExpressionError, match="Function 'kv' failed: KeyError"):
        Renderer(functions={"kv": kv}).render("{{ kv('gone') }}", ctx)


def test_now_uses_the_injected_clock_each_render() -> None:
    from datetime import UTC, datetime, timedelta

    moments = iter([datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=i) for i in range(2)])
    renderer = Renderer(clock=lambda: next(moments))
    assert renderer.render("{{ now('yyyy-MM-dd') }}", {}) == "2024-01-01"
    assert renderer.render("{{ now('yyyy-MM-dd') }}", {}) == "2024-01-02"
