"""Short texts matched by Python's `re`, when the pattern's backtracking is provably small on them.

RE2 (legato.regex) is linear in the text, but each call from Python costs about a microsecond of binding
overhead per match, more than the whole of a `replace` on a short value with Python's `re`, which runs a
substitution or a split in one C call. Python's engine backtracks, so it is used only where that cannot
matter: for a pattern in a small syntax whose meaning is the same in both engines (ASCII literals and
classes, `\\d \\w \\s \\b`, groups and `|` not repeated, `^`, `$`, quantifiers on single characters only),
the number of paths a backtracking match can try from one position is at most the product, over the
quantifiers, of how many repetition counts each allows, times 2 for each `|`. With n the text's length,
a search tries n + 1 positions: `steps(n)` bounds the work, and a text is matched here only when
`steps(n) <= MAX_STEPS` (by a loose bound: well under a millisecond in practice), on ASCII text. Anything else goes to RE2.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

MAX_STEPS = 10_000_000  # of Python's matching engine, by a loose bound: in practice well under a millisecond
_SPACE = "\\t\\n\\f\\r "  # RE2's \s (Python's also has \v)
_PUNCTUATION = frozenset(string.punctuation)
_PLAIN = frozenset(string.ascii_letters + string.digits + " !\"#%&',-/:;<=>@_`~")
_QUANTIFIER = re.compile(r"\*|\+|\?|\{(\d{1,4})\}|\{(\d{1,4}),\}|\{(\d{1,4}),(\d{1,4})\}")


@dataclass(frozen=True, slots=True)
class Short:
    """The pattern for Python's re, and what its backtracking costs."""

    pattern: re.Pattern[str]
    unbounded: int  # quantifiers with no upper bound: each allows up to n + 1 repetition counts
    choices: float  # product of the bounded quantifiers' counts and of 2 per `|`
    length: int
    can_be_empty: bool

    def steps(self, n: int) -> float:
        """At most `choices * (n + 1)**unbounded` paths from each of n + 1 positions, each of length + n steps."""
        return float(n + 1) ** (self.unbounded + 1) * self.choices * (self.length + n + 1)

    def fits(self, text: str) -> bool:
        return self.steps(len(text)) <= MAX_STEPS and text.isascii()


def short_form(pattern: str) -> Short | None:
    """The pattern for Python's re when it is in the small common syntax (see the module doc), else None."""
    out: list[str] = []
    unbounded, choices, depth, i = 0, 1.0, 0, 0
    atom = False  # the last piece is a single character (a literal, `.`, a class): it may be quantified
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            piece = _escape(pattern[i + 1:i + 2])
            if piece is None:
                return None
            out.append(piece)
            atom = pattern[i + 1] != "b"
            i += 2
        elif c == "[":
            end = _class_end(pattern, i)
            if end is None:
                return None
            body = _class_body(pattern[i + 1:end])
            if body is None:
                return None
            out.append(f"[{body}]")
            atom, i = True, end + 1
        elif c in "*+?{":
            m = _QUANTIFIER.match(pattern, i)
            if not atom or m is None:
                return None
            if m.group() in ("*", "+") or m.group(2) is not None:
                unbounded += 1
            elif m.group() == "?":
                choices *= 2
            elif m.group(3) is not None:
                low, high = int(m.group(3)), int(m.group(4))
                if high < low:
                    return None
                choices *= high - low + 1
            out.append(m.group())
            i = m.end()
            if pattern[i:i + 1] == "?":  # lazy
                out.append("?")
                i += 1
            if pattern[i:i + 1] in ("*", "+", "?", "{"):
                return None
            atom = False
        elif c == "(":
            if pattern[i + 1:i + 2] == "?":
                if pattern[i + 2:i + 3] != ":":
                    return None  # flags and named groups: spelled or scoped differently
                out.append("(?:")
                i += 3
            else:
                out.append("(")
                i += 1
            depth += 1
            atom = False
        elif c == ")":
            depth -= 1
            if depth < 0:
                return None
            out.append(")")
            atom, i = False, i + 1  # a repeated group is how backtracking explodes: not here
        elif c == "|":
            choices *= 2
            out.append("|")
            atom, i = False, i + 1
        elif c == "^":
            out.append("^")
            atom, i = False, i + 1
        elif c == "$":
            out.append("\\Z")  # RE2's `$` is the end of the text only; Python's also matches before a final \n
            atom, i = False, i + 1
        elif c == ".":
            out.append(".")
            atom, i = True, i + 1
        elif c in _PLAIN:
            out.append(re.escape(c))
            atom, i = True, i + 1
        else:
            return None
    if depth:
        return None
    try:
        compiled = re.compile("".join(out), re.ASCII)
    except re.error:
        return None
    return Short(compiled, unbounded, choices, len(pattern), _empty(compiled))


def _empty(compiled: re.Pattern[str]) -> bool:
    """Whether the pattern may match an empty string somewhere (anchors and \\b make it depend on context)."""
    from re import _parser  # type: ignore[attr-defined]  # the standard library's own width analysis

    low, _ = _parser.parse(compiled.pattern, compiled.flags).getwidth()
    return bool(low == 0)


def _escape(c: str) -> str | None:
    if c in ("d", "D", "w", "W", "b", "n", "t", "r", "f"):  # not \B: Python's never matches an empty text
        return "\\" + c
    if c == "s":
        return f"[{_SPACE}]"
    if c == "S":
        return f"[^{_SPACE}]"
    if c and c in _PUNCTUATION:
        return "\\" + c
    return None


def _class_end(pattern: str, start: int) -> int | None:
    i = start + 1
    if pattern[i:i + 1] == "^":
        i += 1
    if pattern[i:i + 1] == "]":
        return None  # a leading `]` is a literal in some engines only
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "[":
            return None  # nested classes, POSIX `[:alpha:]`
        if pattern[i] == "]":
            return i
        i += 1
    return None


def _class_body(body: str) -> str | None:
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            nxt = body[i + 1:i + 2]
            if nxt == "s":
                out.append(_SPACE)
            elif nxt in ("d", "w", "n", "t", "r", "f") or (nxt and nxt in _PUNCTUATION):
                out.append("\\" + nxt)
            else:
                return None
            i += 2
        elif c in _PLAIN or c in "^-.$*+?(){}|":
            out.append(c)
            i += 1
        else:
            return None
    return "".join(out)
