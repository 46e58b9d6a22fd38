"""Hostile templates: ReDoS, doubling, jq generators and bombs, nesting, huge ranges, string multiplication, deep
macro recursion, list/map growth. Each ends within 5 s under the default limits, refused by the limit it
hits (named in the message), or, where the linear-time regex engine defuses it, rendered at once. A child
process renders the memory bombs one after another and its peak memory stays bounded."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest

from legato.expressions import ExpressionError, LimitExceeded, Renderer

OK = "ok"  # renders (fast): the engine defuses it
WORDS = {"time": "time limit", "output": "output limit", "size": "size limit", "memory": "memory limit",
         "items": "item limit", "depth": "depth limit"}

A40 = "a" * 40
DOUBLED = "{% set s = 'aaaaaaaaaa' %}{% for i in range(1, 15) %}{% set s = s ~ s %}{% endfor %}"  # 163,840 chars
DAG = "{% set m = [1] %}{% for i in range(1, 60) %}{% set m = [m, m] %}{% endfor %}"  # 2^59 leaves, 60 lists
DAG2 = "{% set k = [1] %}{% for i in range(1, 60) %}{% set k = [k, k] %}{% endfor %}"
MAP_DAG = "{% set m = {'a': 'x'} %}{% for i in range(1, 60) %}{% set m = {'a': m, 'b': m} %}{% endfor %}"
NESTED = "{% set m = [] %}{% for i in range(1, 5000) %}{% set m = [m] %}{% endfor %}"
BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9))

CASES: list[tuple[str, str, str | tuple[str, ...]]] = [
    # --- ReDoS: linear time on RE2 -------------------------------------------------------------------------
    ("redos-nested-plus", "{{ '" + A40 + "!' | replace({'(a+)+$': 'x'}, regexp=true) }}", OK),
    ("redos-alternation", "{{ '" + A40 + "!' | replace({'^(a|aa)*$': 'x'}, regexp=true) }}", OK),
    ("redos-optional-alternation", "{{ '" + A40 + "!' | replace({'^(a|a?)+$': 'x'}, regexp=true) }}", OK),
    ("redos-star-chain", "{{ '" + A40 + "!' | replace({'^a*a*a*a*a*a*a*a*a*a*a*a*$': 'x'}, regexp=true) }}", OK),
    ("redos-split", "{{ '" + A40 + "!' | split('(a|aa)+b') }}", OK),
    ("redos-split-nested", "{{ '" + "x" * 40 + "' | split('(x+x+)+y') }}", OK),
    ("redos-word-groups", "{{ '" + "word " * 30 + "!' | replace({'^(\\\\w+\\\\s?)*$': 'x'}, regexp=true) }}", OK),
    ("redos-email", "{{ '" + "a" * 50 + "@' | replace({'^([a-zA-Z0-9])(([\\\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}"
                    "[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$': 'x'}, regexp=true) }}", OK),
    ("redos-on-long-text", DOUBLED + "{{ (s ~ '!') | replace({'(a|aa)+$': 'x'}, regexp=true) | length }}", OK),
    ("redos-posix-class", "{{ '" + A40 + "!' | replace({'^(\\\\p{Alpha}+)+$': 'x'}, regexp=true) }}", OK),
    ("redos-matches-operator", "{{ '" + A40 + "!' matches '(a+)+$' }}", OK),
    # --- ReDoS on the backtracking engine (lookaround, backreferences): killed at the deadline ------------
    ("redos-lookahead", "{{ '" + A40 + "!' | replace({'^(a|a?)+(?=b)': 'x'}, regexp=true) }}", "time"),
    ("redos-backreference", "{{ '" + A40 + "!' | replace({'^(a+)+\\\\1$': 'x'}, regexp=true) }}", "time"),
    ("redos-lookahead-split", "{{ '" + A40 + "!' | split('(?=(a+)+$)b') }}", "time"),
    ("redos-lookbehind", "{{ 'x" + A40 + "!' | replace({'(?<=x)(a+)+$': 'y'}, regexp=true) }}", "time"),
    ("redos-matches-backreference", "{{ '" + A40 + "!' matches '^(a+)+\\\\1$' }}", "time"),
    # --- regex output growth -----------------------------------------------------------------------------
    ("regex-replace-growth", DOUBLED + "{{ s | replace({'a': '" + "y" * 100 + "'}, regexp=true) }}", "size"),
    ("literal-replace-growth", DOUBLED + "{{ s | replace({'a': '" + "y" * 100 + "'}) }}", "size"),
    ("replace-doubling", "{% set s = 'xx' %}{% for i in range(1, 40) %}{% set s = s | replace({'x': 'xx'}) %}"
                         "{% endfor %}", "size"),
    ("split-too-many-parts", DOUBLED + "{{ s | split('') | length }}", "items"),
    ("regex-split-too-many-parts", DOUBLED + "{{ s | split('a?') | length }}", "items"),
    # --- doubling ----------------------------------------------------------------------------------------
    ("string-doubling", "{% set s = 'x' %}{% for i in range(1, 40) %}{% set s = s ~ s %}{% endfor %}", "size"),
    ("string-plus-doubling", "{% set s = 'x' %}{% for i in range(1, 40) %}{% set s = s + s %}{% endfor %}", "size"),
    ("list-doubling", "{% set l = [1] %}{% for i in range(1, 40) %}{% set l = l + l %}{% endfor %}", "items"),
    ("merge-doubling", "{% set l = [1] %}{% for i in range(1, 40) %}{% set l = l | merge(l) %}{% endfor %}",
     "items"),
    ("dag-print", DAG + "{{ m }}", "size"),
    ("dag-json", DAG + "{{ m | json }}", "size"),
    ("dag-yaml", DAG + "{{ m | yaml }}", "size"),
    ("dag-ion", DAG + "{{ m | toIon }}", "size"),
    ("dag-concat", DAG + "{{ m ~ '' }}", "size"),
    ("dag-join", DAG + "{{ [m, m] | join(',') }}", "size"),
    ("dag-string-filter", DAG + "{{ m | string }}", "size"),
    ("dag-equality", DAG + DAG2 + "{{ m == k }}", OK),  # each pair of shared parts compared once
    ("dag-contains", DAG + DAG2 + "{{ [m] contains [k] }}", OK),
    ("dag-print-context", DAG + "{{ printContext() }}", "size"),
    ("dag-jq-input", DAG + "{{ m | jq('length') }}", "size"),
    ("map-dag-print", MAP_DAG + "{{ m }}", "size"),
    ("dag-distinct", DAG + DAG2 + "{{ [m, k] | distinct | length }}", OK),
    # --- jq: generators, loops and bombs run in a child killed at the deadline ---------------------------
    ("jq-range-stream", "{{ {} | jq('range(1e9)') }}", ("size", "time")),
    ("jq-range-array", "{{ {} | jq('[range(1e9)]') }}", ("memory", "time")),
    ("jq-repeat-stream", "{{ {} | jq('repeat(1)') }}", ("size", "time")),
    ("jq-repeat-array", "{{ {} | jq('[repeat(1)]') }}", ("memory", "time")),
    ("jq-infinite-recursion", "{{ {} | jq('def f: f; f') }}", "time"),
    ("jq-until", "{{ {} | jq('until(false; .)') }}", "time"),
    ("jq-last-of-range", "{{ {} | jq('last(range(1e12))') }}", "time"),
    ("jq-string-doubling", "{{ {} | jq('reduce range(40) as $i (\"x\"; . + .)') }}", ("memory", "size")),
    ("jq-array-doubling", "{{ [1] | jq('reduce range(40) as $i (.; . + .)') }}", ("memory", "time")),
    ("jq-generator-product", "{{ {} | jq('[range(100) as $a | range(100) as $b | range(100) as $c | "
                             "range(100) as $d | [$a, $b, $c, $d]]') }}", ("memory", "time")),
    ("jq-string-multiplication", "{{ {} | jq('\"x\" * 100000000') }}", ("size", "memory")),
    ("jq-combinations", "{{ [[0,1,2,3,4,5,6,7,8,9],[0,1,2,3,4,5,6,7,8,9],[0,1,2,3,4,5,6,7,8,9],"
                        "[0,1,2,3,4,5,6,7,8,9],[0,1,2,3,4,5,6,7,8,9],[0,1,2,3,4,5,6,7,8,9],"
                        "[0,1,2,3,4,5,6,7,8,9],[0,1,2,3,4,5,6,7,8,9]] | jq('[combinations]') }}",
     ("memory", "time", "size")),
    ("jq-deep-nesting", "{{ {} | jq('reduce range(100000) as $i (0; [.])') }}", ("depth", "time", "memory", OK)),
    # --- jq made only of constructs that may run in-process: their bound exceeds the budget on this input,
    # so they too run in the child and are stopped there
    ("jq-doubling-pipes", "{{ (0..999) | jq('" + " | ".join(["[.[], .[]]"] * 30) + "') }}",
     ("memory", "time", "size")),
    ("jq-cartesian-sum", "{{ (0..9999) | jq('[(.[]) + (.[])]') }}", ("memory", "time", "size")),
    ("jq-literal-string-repeat", "{{ 'x' | jq('[.[]?, (\"x\" * 100000000)]') }}", ("size", "memory")),
    ("jq-tojson-towers", "{{ ['q\"q\"q\"'] | jq('" + " | ".join(["map(tojson)"] * 40) + "') }}",
     ("size", "memory", "time")),
    # --- nesting -----------------------------------------------------------------------------------------
    ("nested-parentheses", "{{ " + "(" * 500 + "1" + ")" * 500 + " }}", "depth"),
    ("nested-brackets", "{{ " + "[" * 500 + "]" * 500 + " }}", "depth"),
    ("nested-maps", "{{ " + "{'a': " * 300 + "1" + "}" * 300 + " }}", "depth"),
    ("nested-not", "{{ " + "not " * 500 + "true }}", "depth"),
    ("long-operator-chain", "{{ " + " + ".join(["1"] * 3000) + " }}", "depth"),
    ("nested-ifs", "{% if true %}" * 300 + "{% endif %}" * 300, "depth"),
    ("nested-fors", "{% for i in [1] %}" * 300 + "{% endfor %}" * 300, "depth"),
    ("deep-json-parse", "{{ fromJson('" + "[" * 100_000 + "]" * 100_000 + "') }}", "depth"),
    ("deep-built-list-print", NESTED + "{{ m }}", "depth"),
    ("render-self-reference", "{% set t = '{{ render(t) }}' %}{{ render(t) }}", ("depth", "time")),
    ("render-growing", "{% set t = '{{ render(t ~ t) }}' %}{{ render(t) }}", ("depth", "size", "time")),
    ("yaml-billion-laughs", "{{ yaml(bomb) }}", "size"),
    # --- huge ranges and loops ---------------------------------------------------------------------------
    ("range-operator", "{{ 0..1000000000 }}", "items"),
    ("range-function", "{{ range(0, 1000000000) }}", "items"),
    ("range-loop", "{% for i in 0..1000000000 %}{% endfor %}", "items"),
    ("range-negative-step", "{{ range(1000000000, 0, -1) }}", "items"),
    # Loops over ranges built once: a range written inside a loop is a new list per pass, garbage that reaches the
    # memory limit near the time limit's mark (see "nested-ranges").
    ("nested-loops", "{% set r = 0..99999 %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}", "time"),
    ("triple-loops", "{% set r = 0..999 %}{% for i in r %}{% for j in r %}{% for k in r %}{% endfor %}{% endfor %}"
                     "{% endfor %}", "time"),
    ("nested-ranges", "{% for i in 0..99999 %}{% for j in 0..99999 %}{% endfor %}{% endfor %}", ("memory", "time")),
    ("loop-output", "{% for i in 0..99999 %}" + "b" * 1000 + "{% endfor %}", "output"),
    ("join-output", "{{ (0..99999) | join('" + "b" * 1000 + "') }}", "size"),
    ("nested-loop-output", "{% for i in 0..9999 %}{% for j in 0..9999 %}{{ j }}{% endfor %}{% endfor %}",
     ("output", "time")),
    # --- string multiplication ---------------------------------------------------------------------------
    ("string-times", "{{ 'a' * 1000000000 }}", "refused:Operator '*' needs numbers"),
    ("string-power", "{{ 'a' ** 1000000000 }}", "refused:Unexpected '*'"),
    ("indent-bomb", "{{ 'x\\nx' | indent(1000000000) }}", "size"),
    ("nindent-bomb", "{{ 'x' | nindent(1000000000) }}", "size"),
    ("indent-prefix-bomb", "{{ 'x\\nx\\nx' | indent(100000, '" + "p" * 1000 + "') }}", "size"),
    ("numberformat-bomb", "{% set f = '0' %}{% for i in 0..9 %}{% set f = f ~ f %}{% endfor %}"
                          "{{ 1 | numberformat('0.' ~ f) }}",
     "refused:a format of more than"),
    ("escape-growth", DOUBLED + "{{ (s | replace({'a': '<<<<<<<<<<'})) | escape }}", "size"),
    ("urlencode-growth", DOUBLED + "{{ (s | replace({'a': 'éééééééééééééééééééé'})) | urlencode }}", "size"),
    ("base64-doubling", "{% set s = 'xxxxxxxxxx' %}{% for i in range(1, 60) %}{% set s = s | base64encode %}"
                        "{% endfor %}", "size"),
    # --- deep recursion in macros ------------------------------------------------------------------------
    ("macro-recursion", "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", "depth"),
    ("macro-mutual-recursion", "{% macro a(n) %}{{ b(n) }}{% endmacro %}{% macro b(n) %}{{ a(n) }}{% endmacro %}"
                               "{{ a(0) }}", "depth"),
    ("macro-binary-tree", "{% macro f(n) %}{% if n < 60 %}{{ f(n + 1) }}{{ f(n + 1) }}{% endif %}{% endmacro %}"
                          "{{ f(0) }}", "time"),
    ("macro-growing-output", "{% macro f(n) %}{% if n < 40 %}{{ f(n + 1) }}{{ f(n + 1) }}{% else %}xxxxxxxxxx"
                             "{% endif %}{% endmacro %}{{ f(0) }}", ("output", "time")),
    ("macro-list-growth", "{% macro f(n) %}{% if n < 30 %}{{ f(n + 1) }}{% set big = range(0, 99999) %}"
                          "{% endif %}{% endmacro %}{% for i in 0..999 %}{{ f(0) }}{% endfor %}", ("memory", "time")),
    # --- list and map growth -----------------------------------------------------------------------------
    ("list-append-quadratic", "{% set l = [] %}{% for i in 0..99999 %}{% set l = l + [i] %}{% endfor %}",
     ("memory", "time")),
    ("map-merge-quadratic", "{% set m = {} %}{% for i in 0..99999 %}{% set m = m | merge({(i ~ ''): i}) %}"
                            "{% endfor %}", ("memory", "time")),
    ("ranges-in-loop", "{% for i in 0..99999 %}{% set x = 0..99999 %}{% endfor %}", "memory"),
    ("reversed-ranges-in-loop", "{% set r = 0..99999 %}{% for i in 0..99999 %}{% set x = r | reverse %}"
                                "{% endfor %}", "memory"),
    ("chunk-nesting", "{% set l = range(1, 99999) %}{% for i in range(1, 60) %}{% set l = l | chunk(1) %}"
                      "{% endfor %}", ("memory", "time")),
    ("list-of-big-strings", DOUBLED + "{% set l = [] %}{% for i in 0..9999 %}{% set l = l + [s ~ i] %}"
                                      "{% endfor %}", "memory"),
    ("json-parse-in-loop", "{% set doc = (0..99999) | json %}{% for i in 0..99999 %}{% set x = fromJson(doc) %}"
                           "{% endfor %}", ("memory", "time")),
    ("map-literal-in-loop", "{% for i in 0..99999 %}{% set x = (0..99999) | chunk(2) %}{% endfor %}", "memory"),
    ("keys-of-growing-map", "{% set m = {} %}{% for i in 0..99999 %}{% set m = m | merge({(i ~ ''): i}) %}"
                            "{% set k = m | keys %}{% endfor %}", ("memory", "time")),
    ("split-in-loop", DOUBLED + "{% for i in 0..99999 %}{% set p = s | split('a', -1) %}{% endfor %}",
     ("memory", "items")),
]


def context() -> dict[str, Any]:
    return {"bomb": BILLION_LAUGHS, "inputs": {"name": "x"}}


def _expected(expected: str | tuple[str, ...]) -> tuple[str, ...]:
    allowed = expected if isinstance(expected, tuple) else (expected,)
    # A memory bomb does real work until its budget is spent (about half a second here); on a loaded
    # machine the 2 s deadline may come first, which is as good an ending.
    return (*allowed, "time") if "memory" in allowed and "time" not in allowed else allowed


@pytest.mark.parametrize(("template", "expected"), [pytest.param(t, e, id=i) for i, t, e in CASES])
def test_hostile_template_ends_within_5_s_naming_its_limit(template: str, expected: str | tuple[str, ...]) -> None:
    allowed = _expected(expected)
    start = time.monotonic()
    try:
        Renderer().render(template, context())
        outcome, message = OK, ""
    except LimitExceeded as exc:
        outcome, message = exc.limit, str(exc)
    except ExpressionError as exc:
        outcome, message = "refused", str(exc)
    elapsed = time.monotonic() - start
    assert elapsed < 5.0, f"took {elapsed:.2f} s"
    refused = [e for e in allowed if e.startswith("refused:")]
    if refused:
        assert outcome == "refused" and refused[0].removeprefix("refused:") in message, message
        return
    assert outcome in allowed, f"ended {outcome!r} ({message[:300]}), expected one of {allowed}"
    if outcome != OK:
        assert WORDS[outcome] in message, message


def test_the_suite_is_at_least_sixty_templates() -> None:
    assert len(CASES) >= 60
    assert len({name for name, _, _ in CASES}) == len(CASES)


MEMORY_PROBE = """
import json, resource, sys
from legato.expressions import Renderer, ExpressionError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for template in json.loads(sys.stdin.read()):
    try:
        Renderer().render(template, {})
    except ExpressionError:
        pass
print(before // 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_memory_bombs_stay_within_a_bounded_peak() -> None:
    """The templates that build values stop at the memory budget (256 MB of estimated bytes): the process's
    peak resident memory stays far below what they would take unbounded (several GB each)."""
    bombs = [t for _, t, e in CASES if "memory" in _expected(e) or "items" in _expected(e)]
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE], input=json.dumps(bombs), capture_output=True,
                          text=True, timeout=600, check=True)
    before_mb, peak_mb = map(int, done.stdout.split())
    assert peak_mb - before_mb < 700, f"peak grew from {before_mb} MB to {peak_mb} MB"
