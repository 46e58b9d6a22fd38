"""jq programs with a small worst-case bound run in the render's own process, with the same results and errors
as in the child process; every program that loops, recurses, doubles or multiplies stays in the child."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from legato import offload
from legato.expressions import ExpressionError, Renderer, jqcost

ROWS = [{"name": f"r{i}", "n": i, "tags": ["a", "b"] if i % 2 else [], "ok": i % 3 == 0} for i in range(5)]
BOUNDED = [
    ".", ".[0]", ".[-1]", ".[2:5]", ".[0].name", ".[] | .name", "map(.n) | add", "map(.n) | add / length",
    "[.[] | select(.n > 3 and .ok) | .name]", "length", "map(keys)", "sort_by(.n) | reverse | .[0]",
    "group_by(.ok) | map(length)", "unique_by(.ok) | map(.n)", "min_by(.n).name", "max_by(.n) | .name",
    "[.[] | {name, twice: (.n * 2)}]", "map({(.name): .n}) | add", 'map("\\(.name)=\\(.n)")',
    "map(.tags | length) | add", "[.[] | .tags[]] | unique", "map(.name | ascii_upcase)", "first(.[]) | .name",
    'map(if .n > 10 then "big" elif .n > 5 then "mid" else "small" end)', ".[0].missing // \"none\"",
    ".[0:2] | map(.name) | join(\",\")", "map(.ok) | any", "map(.ok) | all",
    "to_entries | map(.key) | length", ".[3] | to_entries", ".[3] | has(\"name\")", "map(.n % 7) | unique",
    ".[] | select(.name | startswith(\"r1\")) | .n", "map(.tags) | flatten", "[.[] | .n] | sort | .[-3:]",
    "map(.n) | min, max", "map(tojson) | .[0] | fromjson", "[.[] | .name | ltrimstr(\"r\") | tonumber]",
    ".[5] | .name, .n, .ok", "map(.n - 1) | .[0:3]", "map(-.n) | .[1]", ".[0].name | @base64", "map(.name) | .[0:2] | @csv", ".[1] | keys_unsorted", "map(not)",
]
UNBOUNDED = [
    "def f: f; f", "range(10)", "[limit(3; .[])]", "repeat(.)", ".. | .n?", "reduce .[] as $x (0; . + $x)",
    "[.[] as $a | .[] as $b | 1]", "walk(.)", 'test("(a+)+$")', 'map(select(.name | test("r1")))', "paths",
    ".[0].n |= 1", "map(.n * .n)", "$__loc__", "input", "until(false; .)", "[recurse]", "getpath([\"a\"])",
    '.[] | sub("a"; "b")', "tostream", "splits(\"a\")", "combinations", "label $out | 1", "try error catch .",
    "[.[]] as [$a] | $a", ".a?//.b", "import \"a\" as a; .", "env", "@base64 \"x\"", "foo(1)", "1 as $x | $x",
]


def _child(program: str, data: Any) -> Any:
    request = {"kind": "jq", "program": program, "input": json.dumps(data), "max_chars": 10_000_000}
    return offload.run(request, time.monotonic() + 30)


@pytest.mark.parametrize("program", BOUNDED)
def test_bounded_program_runs_in_process_with_the_childs_result(program: str) -> None:
    assert jqcost.fits(program, len(json.dumps(ROWS)), 10_000_000), jqcost.bound(program)
    here = Renderer().render_typed("{{ rows | jq(program) }}", {"rows": ROWS, "program": program})
    assert here == _child(program, ROWS)


@pytest.mark.parametrize("program", UNBOUNDED)
def test_program_without_a_bound_stays_in_the_child(program: str) -> None:
    assert jqcost.bound(program) is None
    assert not jqcost.fits(program, 10, 10_000_000)


@pytest.mark.parametrize(("program", "data"), [
    (" | ".join(["[.[], .[]]"] * 8), list(range(1000))),  # doubles at each stage
    ("[(.[]) + (.[])]", list(range(2000))),  # a cartesian product
    ('"x" * 100000000', {}),  # a literal repeat count
    (" | ".join(["map(tojson)"] * 12), ['q"q"']),  # escaping doubles at each stage
    ("map(.name | ascii_upcase) | join(\",\")", ROWS * 500),  # linear, but too big an input
    ("map(.n) | add", list(range(100_000))),
])
def test_a_bound_past_the_budget_stays_in_the_child(program: str, data: Any) -> None:
    assert not jqcost.fits(program, len(json.dumps(data)), 10_000_000)


def test_a_bound_past_the_output_limit_stays_in_the_child() -> None:
    document = json.dumps(ROWS)
    assert jqcost.fits("map(tojson)", len(document), 10_000_000)
    assert not jqcost.fits("map(tojson)", len(document), len(document))  # the child counts the size exactly


def test_in_process_errors_read_as_the_childs() -> None:
    renderer = Renderer()
    with pytest.raises(ExpressionError) as here:
        renderer.render("{{ 5 | jq('.a') }}", {})
    assert jqcost.fits(".a", 1, 10_000_000)
    with pytest.raises(offload.OffloadError) as child:
        _child(".a", 5)
    assert f"jq '.a' failed: {child.value}" in str(here.value)


def test_the_largest_accepted_input_ends_quickly() -> None:
    """A pathology guard, not a speed goal: at the largest input its bound accepts, an accepted program holds the
    GIL for milliseconds (the figure the budget aims at is ~10 ms); 1 s leaves room for a loaded machine."""
    renderer = Renderer()
    for program, item in [("map(.name | ascii_upcase)", {"name": "abcdefgh"}), ("add", [1]), ("flatten", [[[1]]]),
                          ("to_entries", 1), ("unique", {"a": 1}), ("map(tostring) | join(\",\")", [1, [2]])]:
        n = 1
        while jqcost.fits(program, len(json.dumps([item] * n * 2)), 10_000_000):
            n *= 2
        assert n > 1, program
        start = time.perf_counter()
        renderer.render("{{ data | jq(program) }}", {"data": [item] * n, "program": program})
        assert time.perf_counter() - start < 1.0, program
