"""Short texts go through Python's re when the pattern's backtracking is provably small: replace, split and
matches give exactly what the RE2 path gives; patterns that backtrack without bound never take this path."""

from __future__ import annotations

import dataclasses
import random
import time

import pytest

from legato import regex
from legato.expressions import Renderer
from legato.regex_short import MAX_STEPS, short_form

PATTERNS = [
    r"-(\d+)$", r",\s*", r"a+", r"a*", r"x*", r"\b", r"^a|b$", r"(a|ab)(c|bcd)", r"[a-c]+?", r"a{2,3}", r"\s+",
    r"\w+@\w+\.com", r"(\d+)-(\d+)", r"^$", r"a|", r"[^,]+", r"\.", r"[.]", r"a.c", r"\S+", r"\d{3}", r"b*?",
    r"[\s,;]+", r"$", r"^", r"-", r"(?:ab|a)c?", r"\W", r"[^\s]", r"x{0,2}",
]
TEMPLATE = "{{ t | replace({(p): r}, regexp=true) }}|{{ t | split(p) | json }}|{{ t | split(p, 2) | json }}|" \
           "{{ t matches p }}"


def _render(renderer: Renderer, text: str, pattern: str, replacement: str) -> str:
    try:
        return renderer.render(TEMPLATE, {"t": text, "p": pattern, "r": replacement})
    except Exception as exc:  # an error must be the same error on both paths
        return repr(exc)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_short_path_gives_what_re2_gives(pattern: str, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = regex.compile(pattern)
    assert compiled.short is not None
    renderer, rng = Renderer(), random.Random(pattern)
    texts = ["", "\n", *("".join(rng.choice("ab,c -1x\n.y@3d\t") for _ in range(rng.randint(0, 14)))
                        for _ in range(150))]
    replacements = ["/$1" if compiled.groups else "<$0>", "z", "", "\\$"]
    short = [_render(renderer, t, pattern, r) for t in texts for r in replacements]
    # the same compiled pattern without its short form: every call takes the RE2 path
    original = regex.compile
    monkeypatch.setattr(regex, "compile", lambda p: dataclasses.replace(compiled, short=None) if p == pattern
                        else original(p))
    linear = [_render(renderer, t, pattern, r) for t in texts for r in replacements]
    assert short == linear


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|aa)*c", r"(x+x+)+y", r"(\w|\d)*!", r"(ab)*c", r"(a?){20}a",
                                     r"(?i)abc", r"\p{L}+", r"[[:alpha:]]+", r"(?P<n>a)", r"é+", r"a{,3}", r"\B"])
def test_patterns_that_backtrack_or_read_differently_have_no_short_form(pattern: str) -> None:
    assert short_form(pattern) is None


def test_the_bound_sends_long_texts_to_re2() -> None:
    form = short_form(r"a*a*a*b")
    assert form is not None
    assert form.fits("a" * 10)
    assert not form.fits("a" * 100)  # (n + 1)**4 paths: RE2's linear time instead
    assert not short_form(r"a+").fits("é")  # type: ignore[union-attr]  # ASCII only


def test_the_worst_accepted_text_ends_quickly() -> None:
    """A pathology guard, not a speed goal: at the longest text its bound accepts, the slowest shapes take well
    under a millisecond; 1 s leaves room for a loaded machine."""
    for pattern, char in [(r"\s*,", " "), (r"a*a*a*b", "a"), (r".*.*=.*", "x"), (r"x*x*x*x*x*y", "x")]:
        form = short_form(pattern)
        assert form is not None
        n = 1
        while form.steps(n + 1) <= MAX_STEPS:
            n += 1
        start = time.perf_counter()
        form.pattern.search(char * n)
        form.pattern.split(char * n)
        assert time.perf_counter() - start < 1.0, pattern
