"""Every built-in filter, Pebble's and Kestra's, with its exact output."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from legato.expressions import Renderer

CASES: list[tuple[str, str]] = [
    # Pebble text filters
    ("{{ 'this is a long sentence' | abbreviate(10) }}", "this is..."),
    ("{{ 'short' | abbreviate(10) }}", "short"),
    ("{{ -5 | abs }}", "5"),
    ("{{ -2.5 | abs }}", "2.5"),
    ("{{ 'hello' | base64encode }}", "aGVsbG8="),
    ("{{ 'aGVsbG8=' | base64decode }}", "hello"),
    ("{{ 'hello world' | capitalize }}", "Hello world"),
    ("{{ 'hello big world' | title }}", "Hello Big World"),
    ("{{ 'MiXeD' | lower }}", "mixed"),
    ("{{ 'MiXeD' | upper }}", "MIXED"),
    ("{{ inputs.text | trim }}", "Hello World"),
    ("{{ '<a href=\"x\">&\\'</a>' | escape }}", "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"),
    ("{{ 'line\"q' | escape('json') }}", 'line\\"q'),
    ("{{ 'a b&c' | urlencode }}", "a+b%26c"),
    ("{{ 'a+b%26c' | urldecode }}", "a b&c"),
    ("{{ 'I like %this%' | replace({'%this%': 'cake'}) }}", "I like cake"),
    ("{{ 'a1b22' | replace({'\\\\d+': '#'}, regexp=true) }}", "a#b#"),
    ("{{ '2024-01-02' | replace({'(\\\\d+)-(\\\\d+)-(\\\\d+)': '$3/$2/$1'}, regexp=true) }}", "02/01/2024"),
    ("{{ 'a.b' | replace({'.': '-'}) }}", "a-b"),
    ("{{ inputs.csv | split(',') }}", '["a","b","c"]'),
    ("{{ 'a,b,,' | split(',') }}", '["a","b"]'),
    ("{{ 'a,b,c' | split(',', 2) }}", '["a","b,c"]'),
    ("{{ 'a1b2c' | split('\\\\d') }}", '["a","b","c"]'),
    ("{{ 'hello' | sha256 }}", hashlib.sha256(b"hello").hexdigest()),
    ("{{ 'hello' | md5 }}", hashlib.md5(b"hello").hexdigest()),
    ("{{ 'hello' | sha1 }}", hashlib.sha1(b"hello").hexdigest()),
    ("{{ 'hello' | sha512 }}", hashlib.sha512(b"hello").hexdigest()),
    # Pebble collection filters
    ("{{ inputs.missing | default('dflt') }}", "dflt"),
    ("{{ inputs.empty | default('dflt') }}", "dflt"),
    ("{{ inputs.nothing | default('dflt') }}", "dflt"),
    ("{{ inputs.name | default('dflt') }}", "World"),
    ("{{ outputs.t9.value | default('no') }}", "no"),
    ("{{ inputs.items | first }}", "3"),
    ("{{ inputs.items | last }}", "2"),
    ("{{ 'abc' | first }}", "a"),
    ("{{ 'abc' | last }}", "c"),
    ("{{ [] | first }}", ""),
    ("{{ inputs.words | join }}", "bac"),
    ("{{ inputs.words | join(', ') }}", "b, a, c"),
    ("{{ [1, true, null] | join('-') }}", "1-true-"),
    ("{{ inputs.items | length }}", "3"),
    ("{{ 'hello' | length }}", "5"),
    ("{{ inputs.data | length }}", "2"),
    ("{{ inputs.nothing | length }}", "0"),
    ("{{ [1, 2] | merge([3]) }}", "[1,2,3]"),
    ("{{ {'a': 1, 'b': 1} | merge({'b': 2}) }}", '{"a":1,"b":2}'),
    ("{{ inputs.items | reverse }}", "[2,1,3]"),
    ("{{ 'abc' | reverse }}", "cba"),
    ("{{ inputs.items | sort }}", "[1,2,3]"),
    ("{{ inputs.words | sort }}", '["a","b","c"]'),
    ("{{ inputs.items | rsort }}", "[3,2,1]"),
    ("{{ [1, 2, 3, 4, 5] | slice(1, 3) }}", "[2,3]"),
    ("{{ 'abcdef' | slice(2) }}", "cdef"),
    ("{{ 'abcdef' | slice(fromIndex=1, toIndex=4) }}", "bcd"),
    ("{{ 1234567.891 | numberformat('#,##0.00') }}", "1,234,567.89"),
    ("{{ 3.14159 | numberformat('#.##') }}", "3.14"),
    ("{{ 5 | numberformat('000') }}", "005"),
    ("{{ 2.5 | numberformat('0') }}", "2"),
    ("{{ 0.256 | numberformat('0.0%') }}", "25.6%"),
    # Kestra filters
    ("{{ [1, 2, 3, 4, 5] | chunk(2) }}", "[[1,2],[3,4],[5]]"),
    ("{{ 'x' | className }}", "java.lang.String"),
    ("{{ 1 | className }}", "java.lang.Long"),
    ("{{ inputs.data | className }}", "java.util.LinkedHashMap"),
    ("{{ inputs.data | keys }}", '["k1","k2"]'),
    ("{{ inputs.data | values }}", '["v1","v2"]'),
    ("{{ '12' | number }}", "12"),
    ("{{ '12.5' | number }}", "12.5"),
    ("{{ '12' | number + 1 }}", "13"),
    ("{{ '7' | number('DOUBLE') }}", "7.0"),
    ("{{ '7.9' | number('INT') }}", "7"),
    ("{{ 'Héllo, World! 2024' | slugify }}", "hello-world-2024"),
    ("{{ 'a.b.c' | substringBefore('.') }}", "a"),
    ("{{ 'a.b.c' | substringAfter('.') }}", "b.c"),
    ("{{ 'a.b.c' | substringBeforeLast('.') }}", "a.b"),
    ("{{ 'a.b.c' | substringAfterLast('.') }}", "c"),
    ("{{ 'abc' | substringBefore('z') }}", "abc"),
    ("{{ 'abc' | substringAfter('z') }}", ""),
    ("{{ 'file.csv' | startsWith('file') }}", "true"),
    ("{{ 'file.csv' | endsWith('.json') }}", "false"),
    ("{{ [[1, 2], [3], 4] | flatten }}", "[1,2,3,4]"),
    ("{{ 'a\nb' | indent(2) }}", "a\n  b"),
    ("{{ 'a\nb' | nindent(2) }}", "\n  a\n  b"),
    ("{{ 'a\nb' | indent(1, '\t') }}", "a\n\tb"),
    ("{{ {'a': 1, 'b': [1, 2]} | yaml }}", "a: 1\nb:\n- 1\n- 2\n"),
    ("{{ \"it's\" | escapeChar('single') }}", "it\\'s"),
    ("{{ 'say \"x\"' | escapeChar('double') }}", 'say \\"x\\"'),
    ("{{ \"it's\" | escapeChar('shell') }}", "it'\\''s"),
    ("{{ 12 | string }}", "12"),
    ("{{ 12 | string ~ 3 }}", "123"),
    ("{{ [1, 2, 1, 3, 2] | distinct }}", "[1,2,3]"),
    ("{{ inputs.data | json }}", '{"k1":"v1","k2":"v2"}'),
    ("{{ inputs.data | toJson }}", '{"k1":"v1","k2":"v2"}'),
    ("{{ 'x\"y' | toJson }}", '"x\\"y"'),
    ("{{ null | toJson }}", "null"),
    ("{{ execution.startDate | toJson }}", '"2024-01-02T03:04:05.123456Z"'),
    ("{{ (inputs.json | fromJson).y[1] }}", "2"),
    ("{{ {'a': 1, 'b-c': 'x', 'l': [true, null, 1.5]} | toIon }}", "{a:1,'b-c':\"x\",l:[true,null,1.5e0]}"),
    ("{{ inputs.data | jq('.k1') }}", '["v1"]'),
    ("{{ inputs.data | jq('.k1') | first }}", "v1"),
    ("{{ inputs.json | jq('.y[]') }}", "[1,2]"),
    ("{{ {'a': [{'id': 1}, {'id': 2}]} | jq('[.a[].id] | add') | first }}", "3"),
    ("{{ outputs.t1 | jq('.rows * 2') | first }}", "20"),
]


@pytest.mark.parametrize(("template", "expected"), CASES)
def test_filter(renderer: Renderer, ctx: dict[str, Any], template: str, expected: str) -> None:
    assert renderer.render(template, ctx) == expected


def test_filters_chain_left_to_right(renderer: Renderer, ctx: dict[str, Any]) -> None:
    assert renderer.render("{{ inputs.words | sort | join('') | upper }}", ctx) == "ABC"


def test_filter_named_and_positional_arguments_mix(renderer: Renderer) -> None:
    assert renderer.render("{{ 'abcdef' | slice(1, toIndex=3) }}", {}) == "bc"


def test_jq_returns_a_list_typed(renderer: Renderer, ctx: dict[str, Any]) -> None:
    assert renderer.render_typed("{{ inputs.data | jq('.[]') }}", ctx) == ["v1", "v2"]
