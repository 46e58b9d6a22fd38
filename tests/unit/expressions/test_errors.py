"""Failures: each bad template raises ExpressionError with a message naming the problem."""

from __future__ import annotations

from typing import Any

import pytest

from legato.expressions import ExpressionError, Renderer

CASES: list[tuple[str, str]] = [
    # strict variables
    ("{{ outputs.t9.value }}", "Undefined variable 'outputs.t9' in \"{{ outputs.t9.value }}\""),
    ("{{ nope }}", "Undefined variable 'nope'"),
    ("{{ inputs.nested.a.zz }}", "Undefined variable 'inputs.nested.a.zz'"),
    ("{{ outputs['no-task'].value }}", "Undefined variable 'outputs['no-task']'"),
    ("{{ inputs.items[7] }}", "Undefined variable 'inputs.items[7]'"),
    ("{{ inputs.nothing.field }}", "Undefined variable 'inputs.nothing.field': its parent is null"),
    ("{{ inputs.name.length }}", "Cannot access 'inputs.name.length': string values have no attributes"),
    ("{{ inputs.missing | upper }}", "Undefined variable 'inputs.missing'"),
    ("{{ inputs.missing ~ 'x' }}", "Undefined variable 'inputs.missing'"),
    ("{% for x in inputs.missing %}{% endfor %}", "Undefined variable 'inputs.missing'"),
    ("{% if inputs.missing %}{% endif %}", "Undefined variable 'inputs.missing'"),
    ("{{ 'a' ?? nope }}x{{ nope2 }}", "Undefined variable 'nope2'"),
    # syntax
    ("{{ 1 + }}", "Unexpected '}}'"),
    ("{{ inputs.name", "Unclosed '{{'"),
    ("{% if true %}x", "Missing '{% endif %}'"),
    ("{% for x in [1] %}x", "Missing '{% endfor %}'"),
    ("{% endif %}", "Unexpected '{% endif %}' without a matching opening tag"),
    ("{% unknown %}", "Unknown tag 'unknown'"),
    ("{{ 'unclosed }}", "Unclosed string literal"),
    ("{# never closed", "Unclosed comment"),
    ("{% raw %}x", "Unclosed '{% raw %}' block"),
    ("{{ a ] }}", "Unexpected ']'"),
    ("{{ @ }}", "Unexpected character '@'"),
    ("{{ 2 ** 3 }}", "Unexpected '*'"),
    ("{{ f(a=1, 2) }}", "Positional argument after a named argument"),
    ("{{ x.y() }}", "Method calls are not allowed"),
    ("{{ (1)(2) }}", "Only named functions and macros can be called"),
    # types and operators
    ("{{ 'a' * 3 }}", "Operator '*' needs numbers, got string and integer"),
    ("{{ 'a' - 1 }}", "Cannot subtract integer from string"),
    ("{{ 1 / 0 }}", "Division by zero"),
    ("{{ 5 % 0 }}", "Division by zero"),
    ("{{ 1 < 'a' }}", "Cannot compare integer and string with '<'"),
    ("{{ true + 1 }}", "Cannot add boolean and integer"),
    ("{{ -'a' }}", "Unary '-' needs a number, got string"),
    ("{{ 9223372036854775807 + 1 }}", "Integer overflow"),
    ("{{ 5 contains 1 }}", "'contains' needs a string, list or map"),
    ("{% for x in 5 %}{% endfor %}", "Cannot loop over integer values"),
    ("{{ 'a'..5 }}", "A range needs integers"),
    # filters, tests, functions
    ("{{ 'x' | nofilter }}", "Unknown filter 'nofilter'"),
    ("{{ 1 is purple }}", "Unknown test 'purple'"),
    ("{{ nofn() }}", "Unknown function 'nofn'"),
    ("{{ kv('k') }}", "function 'kv' is not available here"),
    ("{{ 'x' | abbreviate }}", "Filter 'abbreviate' is missing argument(s) 'length'"),
    ("{{ 'x' | upper(1) }}", "Filter 'upper' was given too many arguments"),
    ("{{ 'x' | date('yyyy', zone='UTC') }}", "Filter 'date' has no argument named 'zone'"),
    ("{{ 'x' | abs }}", "Filter 'abs' needs a number, got string"),
    ("{{ 5 | length }}", "Filter 'length' needs a string, list or map, got integer"),
    ("{{ 5 | keys }}", "Filter 'keys' needs a map, got integer"),
    ("{{ [1, 'a'] | sort }}", "Cannot compare integer and string"),
    ("{{ 'zz' | number }}", "Filter 'number': 'zz' is not a number"),
    ("{{ 'nope' | fromJson }}", "Invalid JSON"),
    ("{{ '%%%' | base64decode }}", "not valid base64"),
    ("{{ [1] | slice(0, 5) }}", "indexes 0..5 are outside 0..1"),
    ("{{ 'a' is even }}", "Test 'even' needs a number, got string"),
    ("{{ 'x' | date('yyyy') }}", "Cannot read 'x' as a date"),
    ("{{ '2024' | date('yyyy', existingFormat='dd/MM') }}", "does not match the format"),
    ("{{ now() | date('yyyy ppp') }}", "Unknown pattern letter 'p'"),
    ("{{ now() | date('yyyy', timeZone='Mars/Olympus') }}", "Unknown time zone 'Mars/Olympus'"),
    ("{{ now() | dateAdd(1, 'EONS') }}", "Unknown unit 'EONS'"),
    ("{{ {} | jq('.[') }}", "Invalid jq program"),
    ("{{ {} | jq('env') }}", "jq 'env' is not allowed"),
    ("{{ {} | jq('$ENV.HOME') }}", "jq '$ENV' is not allowed"),
    ("{{ 'x' | escapeChar('weird') }}", "escapeChar type must be"),
    ("{{ 'x' | replace(1) }}", "Filter 'replace' needs a map of replacements"),
    ("{{ 'x' | replace({'(': ''}, regexp=true) }}", "Invalid regular expression"),
    ("{{ randomInt(5, 1) }}", "randomInt(lower, upper) needs integers with lower < upper"),
    ("{{ max() }}", "max() needs at least one value"),
    ("{{ currentEachOutput('x') }}", "currentEachOutput() needs the outputs map"),
    ("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", "Macro 'm' takes 1 argument(s), got 2"),
    ("{% macro m(a) %}{% endmacro %}{{ m(b=1) }}", "Macro 'm' has no argument named 'b'"),
]


@pytest.mark.parametrize(("template", "message"), CASES)
def test_error(renderer: Renderer, ctx: dict[str, Any], template: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        renderer.render(template, ctx)
    assert message in str(info.value)


def test_error_carries_line_and_column(renderer: Renderer, ctx: dict[str, Any]) -> None:
    with pytest.raises(ExpressionError) as info:
        renderer.render("line one\nline two {{ outputs.t9.value }}", ctx)
    assert (info.value.line, info.value.column) == (2, 10)
    assert "(line 2, column 10)" in str(info.value)


def test_syntax_error_position(renderer: Renderer) -> None:
    with pytest.raises(ExpressionError) as info:
        renderer.render("ok\n  {{ 1 + }}", {})
    assert (info.value.line, info.value.column) == (2, 10)


def test_error_inside_render_names_the_inner_template(renderer: Renderer) -> None:
    with pytest.raises(ExpressionError, match=r"Undefined variable 'ghost' in \"\{\{ ghost \}\}\""):
        renderer.render("{{ render(t) }}", {"t": "{{ ghost }}"})


def test_evaluate_errors_name_the_expression(renderer: Renderer) -> None:
    with pytest.raises(ExpressionError, match=r"Undefined variable 'inputs.x' in \"inputs.x > 3\""):
        renderer.evaluate("inputs.x > 3", {"inputs": {}})


def test_evaluate_syntax_error_column_counts_from_the_expression(renderer: Renderer) -> None:
    with pytest.raises(ExpressionError) as info:
        renderer.evaluate("1 + @", {})
    assert info.value.column == 5
    assert '"1 + @"' in str(info.value)
