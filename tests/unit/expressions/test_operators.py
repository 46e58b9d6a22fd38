"""Literals, lookups and operators: each case renders a template and checks the exact text."""

from __future__ import annotations

from typing import Any

import pytest

from legato.expressions import Renderer

CASES: list[tuple[str, str]] = [
    # literals
    ("{{ 'single' }}", "single"),
    ('{{ "double" }}', "double"),
    ("{{ 'it\\'s' }}", "it's"),
    ('{{ "say \\"hi\\"" }}', 'say "hi"'),
    ("{{ 'tab\\tend' }}", "tab\tend"),
    ("{{ 42 }}", "42"),
    ("{{ 4.5 }}", "4.5"),
    ("{{ 1.0 }}", "1.0"),
    ("{{ true }}", "true"),
    ("{{ false }}", "false"),
    ("{{ null }}", ""),
    ("{{ [1, 'a', true] }}", '[1,"a",true]'),
    ("{{ [] }}", "[]"),
    ("{{ {'a': 1, 'b': [2]} }}", '{"a":1,"b":[2]}'),
    ('{{ {"k": {"n": null}} }}', '{"k":{"n":null}}'),
    ("{{ {} }}", "{}"),
    # lookups
    ("{{ inputs.name }}", "World"),
    ("{{ inputs.nested.a.b }}", "42"),
    ("{{ inputs['nested']['a']['b'] }}", "42"),
    ("{{ outputs.t1.value }}", "v1"),
    ("{{ outputs['my-task'].value }}", "dash"),
    ('{{ outputs["my-task"]["value"] }}', "dash"),
    ("{{ inputs.items[0] }}", "3"),
    ("{{ inputs.items[2] }}", "2"),
    ("{{ inputs.items.1 }}", "1"),
    ("{{ inputs.data[inputs.words[2] == 'c' ? 'k1' : 'k2'] }}", "v1"),
    ("{{ flow.namespace }}.{{ flow.id }}", "company.team.hello"),
    ("{{ labels.team }}", "data"),
    ("{{ task.type }}", "io.kestra.plugin.core.log.Log"),
    ("{{ inputs.nothing }}", ""),
    ("{{ inputs.flag }}", "true"),
    ("{{ inputs.ratio }}", "0.5"),
    ("{{ execution.startDate }}", "2024-01-02T03:04:05.123456Z"),
    ("{{ taskrun.startDate }}", "2024-01-02T03:04:06Z"),
    # arithmetic
    ("{{ 1 + 2 }}", "3"),
    ("{{ 10 - 4 }}", "6"),
    ("{{ 6 * 7 }}", "42"),
    ("{{ 10 / 4 }}", "2"),
    ("{{ -7 / 2 }}", "-3"),
    ("{{ 10 / 4.0 }}", "2.5"),
    ("{{ 10 % 3 }}", "1"),
    ("{{ -7 % 3 }}", "-1"),
    ("{{ 2 + 3 * 4 }}", "14"),
    ("{{ (2 + 3) * 4 }}", "20"),
    ("{{ -inputs.count }}", "-3"),
    ("{{ +5 }}", "5"),
    ("{{ 0.1 + 0.2 }}", "0.30000000000000004"),
    ("{{ 1.5 * 2 }}", "3.0"),
    ("{{ 10000000.0 }}", "1.0E7"),
    ("{{ 0.0001 }}", "1.0E-4"),
    ("{{ inputs.count * inputs.ratio }}", "1.5"),
    ("{{ 1.0 / 0 }}", "Infinity"),
    ("{{ 'a' + 'b' }}", "ab"),
    ("{{ 'n=' + 1 }}", "n=1"),
    ("{{ [1, 2] + 3 }}", "[1,2,3]"),
    ("{{ [1, 2, 3, 2] - 2 }}", "[1,3]"),
    # concatenation
    ("{{ 'a' ~ 'b' }}", "ab"),
    ("{{ 'n' ~ 1 ~ true ~ null }}", "n1true"),
    ("{{ 'v' ~ 1.0 }}", "v1.0"),
    ("{{ inputs.name ~ '!' }}", "World!"),
    ("{{ 'x' ~ [1] }}", "x[1]"),
    ("{{ 'a' ~ 1 + 2 }}", "a12"),
    # comparison
    ("{{ 1 == 1 }}", "true"),
    ("{{ 1 == 1.0 }}", "true"),
    ("{{ '1' == 1 }}", "false"),
    ("{{ 'a' != 'b' }}", "true"),
    ("{{ 'a' equals 'a' }}", "true"),
    ("{{ 2 > 1 }}", "true"),
    ("{{ 2 < 1 }}", "false"),
    ("{{ 2 >= 2 }}", "true"),
    ("{{ 2 <= 1.5 }}", "false"),
    ("{{ 'abc' < 'abd' }}", "true"),
    ("{{ [1, 2] == [1, 2] }}", "true"),
    ("{{ {'a': 1} == {'a': 1} }}", "true"),
    ("{{ null == null }}", "true"),
    ("{{ inputs.nothing == null }}", "true"),
    ("{{ true == 1 }}", "false"),
    ("{{ execution.startDate < taskrun.startDate }}", "true"),
    # logic
    ("{{ true and false }}", "false"),
    ("{{ true or false }}", "true"),
    ("{{ not true }}", "false"),
    ("{{ not inputs.off }}", "true"),
    ("{{ not (1 == 2) }}", "true"),
    ("{{ 1 < 2 and 2 < 3 }}", "true"),
    ("{{ false or 1 > 2 }}", "false"),
    ("{{ inputs.empty or 'fallback' }}", "true"),
    ("{{ false and undefinedThing }}", "false"),
    ("{{ true or undefinedThing }}", "true"),
    # in / contains
    ("{{ 2 in [1, 2, 3] }}", "true"),
    ("{{ 5 in [1, 2, 3] }}", "false"),
    ("{{ 5 not in [1, 2, 3] }}", "true"),
    ("{{ 'ell' in 'hello' }}", "true"),
    ("{{ 'k1' in inputs.data }}", "true"),
    ("{{ [1, 2, 3] contains 2 }}", "true"),
    ("{{ [1, 2, 3] contains [1, 3] }}", "true"),
    ("{{ [1, 2, 3] contains [1, 4] }}", "false"),
    ("{{ 'hello' contains 'lo' }}", "true"),
    ("{{ inputs.data contains 'k2' }}", "true"),
    ("{{ inputs.data contains 'zz' }}", "false"),
    # matches: the whole text against a regular expression (Java's String.matches), as Pebble's operator
    ("{{ 'abc123' matches '^[a-z]+[0-9]+$' }}", "true"),
    ("{{ 'abc123' matches '[a-z]+' }}", "false"),
    ("{{ inputs.name matches 'W.*d' and true }}", "true"),
    ("{{ inputs.count matches '\\d+' }}", "true"),
    ("{% if '2024-01-02' matches '\\d{4}-\\d{2}-\\d{2}' %}date{% endif %}", "date"),
    # ranges
    ("{{ 0..5 }}", "[0,1,2,3,4,5]"),
    ("{{ 3..1 }}", "[]"),
    ("{{ 1..inputs.count }}", "[1,2,3]"),
    ("{{ 'a'..'e' }}", '["a","b","c","d","e"]'),
    ("{{ (0..9) | length }}", "10"),
    # ternary and elvis
    ("{{ true ? 'yes' : 'no' }}", "yes"),
    ("{{ inputs.count > 5 ? 'many' : 'few' }}", "few"),
    ("{{ inputs.empty ? 'set' : 'blank' }}", "blank"),
    ("{{ false ? 1 : true ? 2 : 3 }}", "2"),
    ("{{ inputs.empty ?: 'elvis' }}", "elvis"),
    ("{{ inputs.name ?: 'elvis' }}", "World"),
    # null / undefined coalescing
    ("{{ inputs.missing ?? 'default' }}", "default"),
    ("{{ inputs.nothing ?? 'default' }}", "default"),
    ("{{ inputs.name ?? 'default' }}", "World"),
    ("{{ missing.deeply.nested ?? 'deep' }}", "deep"),
    ("{{ outputs.t9.value ?? 'no t9' }}", "no t9"),
    ("{{ inputs.items[10] ?? 'none' }}", "none"),
    ("{{ inputs.missing ?? inputs.other ?? 'last' }}", "last"),
    ("{{ inputs.missing ??? 'undef' }}", "undef"),
    ("{{ inputs.nothing ??? 'undef' }}", ""),
    ("{{ inputs.name ??? 'undef' }}", "World"),
    ("{{ inputs.empty ?? 'x' }}", ""),
    ("{{ inputs.missing ?? 'a' ~ 'b' }}", "ab"),
    # tests
    ("{{ inputs.name is defined }}", "true"),
    ("{{ inputs.missing is defined }}", "false"),
    ("{{ inputs.missing is not defined }}", "true"),
    ("{{ nope is defined }}", "false"),
    ("{{ outputs.t9.value is defined }}", "false"),
    ("{{ inputs.nothing is null }}", "true"),
    ("{{ inputs.missing is null }}", "true"),
    ("{{ inputs.name is null }}", "false"),
    ("{{ inputs.name is not null }}", "true"),
    ("{{ inputs.empty is empty }}", "true"),
    ("{{ [] is empty }}", "true"),
    ("{{ {} is empty }}", "true"),
    ("{{ inputs.items is empty }}", "false"),
    ("{{ inputs.items is not empty }}", "true"),
    ("{{ inputs.nothing is empty }}", "true"),
    ("{{ 4 is even }}", "true"),
    ("{{ 3 is even }}", "false"),
    ("{{ 3 is odd }}", "true"),
    ("{{ 3 is not odd }}", "false"),
    ("{{ inputs.json is json }}", "true"),
    ("{{ 'not json{' is json }}", "false"),
    ("{{ inputs.data is map }}", "true"),
    ("{{ inputs.items is iterable }}", "true"),
]


@pytest.mark.parametrize(("template", "expected"), CASES)
def test_renders(renderer: Renderer, ctx: dict[str, Any], template: str, expected: str) -> None:
    assert renderer.render(template, ctx) == expected


def test_not_binds_looser_than_and_as_in_pebble(renderer: Renderer) -> None:
    # Pebble gives `not` precedence 5, below `and` (15): `not a and b` is `not (a and b)`.
    assert renderer.render("{{ not true and false }}", {}) == "true"


def test_filter_binds_to_the_concatenation_before_it(renderer: Renderer) -> None:
    # `~` (110) binds tighter than `|` (100); `+` (30) looser.
    assert renderer.render("{{ 'a' ~ 'b' | upper }}", {}) == "AB"
    assert renderer.render("{{ 'a' + 'b' | upper }}", {}) == "aB"
