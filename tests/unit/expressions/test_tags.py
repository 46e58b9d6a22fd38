"""Tags: if/elseif/else, for with loop variables and else, set, macro, raw, comments, whitespace control."""

from __future__ import annotations

from typing import Any

import pytest

from legato.expressions import Renderer

CASES: list[tuple[str, str]] = [
    # if / elseif / else
    ("{% if inputs.flag %}yes{% endif %}", "yes"),
    ("{% if inputs.off %}yes{% endif %}", ""),
    ("{% if inputs.off %}a{% else %}b{% endif %}", "b"),
    ("{% if inputs.count > 5 %}a{% elseif inputs.count > 2 %}b{% else %}c{% endif %}", "b"),
    ("{% if inputs.count > 5 %}a{% elseif inputs.count > 4 %}b{% else %}c{% endif %}", "c"),
    ("{% if false %}a{% elif true %}b{% endif %}", "b"),
    ("{% if 'false' %}a{% else %}b{% endif %}", "b"),
    ("{% if '0' %}a{% else %}b{% endif %}", "b"),
    ("{% if inputs.items %}has{% endif %}", "has"),
    ("{% if inputs.missing is defined %}a{% else %}b{% endif %}", "b"),
    ("{% if inputs.count is odd and inputs.name == 'World' %}ok{% endif %}", "ok"),
    ("{% if true %}{% if false %}x{% else %}nested{% endif %}{% endif %}", "nested"),
    # for
    ("{% for x in inputs.items %}{{ x }}{% endfor %}", "312"),
    ("{% for x in inputs.items %}{{ loop.index }}{% endfor %}", "012"),
    ("{% for x in inputs.items %}{{ loop.first }}{% endfor %}", "truefalsefalse"),
    ("{% for x in inputs.items %}{{ loop.last }}{% endfor %}", "falsefalsetrue"),
    ("{% for x in inputs.items %}{{ loop.length }}{% endfor %}", "333"),
    ("{% for x in inputs.items %}{{ loop.revindex }}{% endfor %}", "210"),
    ("{% for x in inputs.items %}{{ x }}{% if not loop.last %}, {% endif %}{% endfor %}", "3, 1, 2"),
    ("{% for x in [] %}a{% else %}empty{% endfor %}", "empty"),
    ("{% for x in inputs.nothing %}a{% else %}none{% endfor %}", "none"),
    ("{% for i in 0..3 %}{{ i }}{% endfor %}", "0123"),
    ("{% for i in range(1, 3) %}{{ i }}{% endfor %}", "123"),
    ("{% for e in inputs.data %}{{ e.key }}={{ e.value }};{% endfor %}", "k1=v1;k2=v2;"),
    ("{% for r in [1, 2] %}{% for c in ['a', 'b'] %}{{ r }}{{ c }}{{ loop.index }} {% endfor %}{{ loop.index }}|"
     "{% endfor %}", "1a0 1b1 0|2a0 2b1 1|"),
    ("{% for x in inputs.items %}{% endfor %}{{ x ?? 'gone' }}", "gone"),
    ("{% set x = 'outer' %}{% for x in [1] %}{{ x }}{% endfor %}{{ x }}", "1outer"),
    # set
    ("{% set a = 5 %}{{ a * 2 }}", "10"),
    ("{% set l = [1, 2] %}{{ l | length }}", "2"),
    ("{% set m = {'k': inputs.name} %}{{ m.k }}", "World"),
    ("{% set total = 0 %}{% for i in [1, 2, 3] %}{% set total = total + i %}{% endfor %}{{ total }}", "6"),
    ("{% for i in [1] %}{% set inner = 'x' %}{% endfor %}{{ inner ?? 'scoped' }}", "scoped"),
    ("{% set inputs = 'shadow' %}{{ inputs }}", "shadow"),
    # macro
    ("{% macro greet(who) %}Hi {{ who }}{% endmacro %}{{ greet('Ada') }}", "Hi Ada"),
    ("{% macro greet(who, p='!') %}Hi {{ who }}{{ p }}{% endmacro %}{{ greet('Ada') }}", "Hi Ada!"),
    ("{% macro greet(who, p='!') %}{{ who }}{{ p }}{% endmacro %}{{ greet(p='?', who='Bo') }}", "Bo?"),
    ("{{ twice(3) }}{% macro twice(n) %}{{ n * 2 }}{% endmacro %}", "6"),
    ("{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * (fact(n - 1) | number) }}{% endif %}{% endmacro %}"
     "{{ fact(5) }}", "120"),
    ("{% macro m() %}{{ flow.id }}{% endmacro %}{{ m() }}", "hello"),
    # raw
    ("{% raw %}{{ not rendered }}{% endraw %}", "{{ not rendered }}"),
    ("a{% raw %}{% if %}{% endraw %}b", "a{% if %}b"),
    ("{% verbatim %}{{ x }}{% endverbatim %}", "{{ x }}"),
    # comments
    ("a{# a comment {{ x }} #}b", "ab"),
    ("{# only #}", ""),
    # whitespace control
    ("a   {{- 'b' }}", "ab"),
    ("{{ 'a' -}}   \n  b", "ab"),
    ("x\n  {%- if true -%}\n  y\n  {%- endif -%}\n  z", "xyz"),
    ("{% for i in [1, 2] -%}\n  {{ i }}\n{%- endfor %}", "12"),
    ("a \n{#- c -#}\n b", "ab"),
    ("{%- raw -%}  {{ x }}  {%- endraw -%}", "{{ x }}"),
    ("  {{ 'keep' }}  ", "  keep  "),
    # text handling
    ("no template at all", "no template at all"),
    ("single { brace } and }}", "single { brace } and }}"),
    ("{{ {'a': {'b': 1}} }}", '{"a":{"b":1}}'),
    ("line1\n{{ inputs.name }}\nline3", "line1\nWorld\nline3"),
    ("{{ '}}' }}", "}}"),
    ("{{ \"{{ nested }}\" }}", "{{ nested }}"),
]


@pytest.mark.parametrize(("template", "expected"), CASES)
def test_tag(renderer: Renderer, ctx: dict[str, Any], template: str, expected: str) -> None:
    assert renderer.render(template, ctx) == expected


def test_multiline_template(renderer: Renderer, ctx: dict[str, Any]) -> None:
    template = """
{%- for t in ['a', 'b'] %}
- {{ t | upper }}
{%- endfor %}
"""
    assert renderer.render(template, ctx) == "\n- A\n- B\n"
