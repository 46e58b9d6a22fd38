"""User-written regular expressions (Java syntax, as in Kestra), matched in linear time, or else under a deadline
that really stops them.

Patterns run on RE2 (google-re2), whose time is linear in the text: `(a+)+$` or `(a|aa)*c` cannot backtrack
for ever there. The Java features RE2 lacks (backreferences `\\1`, lookaround `(?=`, `(?<!`, possessive `a*+`
and atomic `(?>` groups, `\\Z`) are not refused: such a pattern runs on Python's backtracking engine in a child
process (legato.offload) that is killed at the deadline. Java's POSIX classes (`\\p{Alpha}`, `\\p{Digit}`,
...) and `\\h` are translated for both engines; `(?<name>...)` is Java's and RE2's named group. On a short
ASCII text, a pattern in the syntax both engines read alike whose backtracking is provably small runs on
Python's re instead (legato.regex_short): one C call instead of a binding call per match.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import re2

from legato import offload
from legato.regex_short import Short, short_form

DEFAULT_SECONDS = 2.0  # deadline of a match that has none of its own (input validators, triggers)
MAX_PATTERN = 10_000
MAX_MATCHES = 1_000_000  # matches a backtracking replace may hand back

_POSIX = {  # Java's ASCII POSIX classes, as the contents of a bracket expression
    "Lower": "a-z", "Upper": "A-Z", "ASCII": "\x00-\x7f", "Alpha": "a-zA-Z", "Digit": "0-9",
    "Alnum": "a-zA-Z0-9", "Punct": "!-/:-@\\[-`{-~", "Graph": "!-~", "Print": " -~", "Blank": " \\t",
    "Cntrl": "\x00-\x1f\x7f", "XDigit": "0-9a-fA-F", "Space": " \\t\\n\x0b\\f\\r",
    "javaLowerCase": "a-z", "javaUpperCase": "A-Z", "javaWhitespace": " \\t\\n\x0b\\f\\r",
}
_HORIZONTAL = " \\t\u00a0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000"  # Java's \h
_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z][A-Za-z0-9]*)>")


class RegexError(ValueError):
    """A pattern that does not compile, or a match that hit a limit (`limit`: time, memory, size, or None)."""

    def __init__(self, message: str, limit: str | None = None, reason: str | None = None) -> None:
        self.limit = limit
        self.reason = reason or message  # without the pattern: what is wrong with it
        super().__init__(message)


def _java_classes(pattern: str) -> str:
    """`\\p{Alpha}`, `\\P{Alpha}` and `\\h` written out as bracket expressions both engines read."""
    out, i, depth = [], 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            m = re.match(r"[pP]\{(?:Is)?(\w+)\}", pattern[i + 1:])
            if m and m.group(1) in _POSIX:
                body = _POSIX[m.group(1)]
                negate = nxt == "P"
                out.append(body if depth and not negate else f"[{'^' if negate else ''}{body}]")
                i += 1 + m.end()
                continue
            if nxt == "h":
                out.append(_HORIZONTAL if depth else f"[{_HORIZONTAL}]")
                i += 2
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        out.append(c)
        i += 1
    return "".join(out)


def _python_syntax(pattern: str) -> str:
    """Java syntax that Python's re spells differently: named groups and the end anchors."""
    text = _NAMED_GROUP.sub(r"(?P<\1>", pattern)
    return text.replace("\\Z", "(?=\\n?\\Z)").replace("\\z", "\\Z")


@dataclass(frozen=True)
class Regex:
    """A compiled user pattern: `linear` on RE2, or run by the backtracking engine in a child process."""

    pattern: str
    linear: Any  # re2 pattern, or None
    backtracking: str | None  # the pattern in Python's syntax, when RE2 cannot run it
    groups: int
    names: dict[str, int]
    short: Short | None = None  # the same pattern for Python's re, on texts short enough (legato.regex_short)

    def search(self, text: str, deadline: float | None = None) -> tuple[int, int] | None:
        """(start, end) of the first match, or None."""
        if self.short is not None and self.short.fits(text):
            found = self.short.pattern.search(text)
            return None if found is None else found.span()
        if self.linear is not None:
            m = self.linear.search(text)
            return None if m is None else (m.start(), m.end())
        found = self._offload("search", text, deadline)
        return None if found is None else (found[0], found[1])

    def fullmatch(self, text: str, deadline: float | None = None) -> bool:
        if self.short is not None and self.short.fits(text):
            return self.short.pattern.fullmatch(text) is not None
        if self.linear is not None:
            return self.linear.fullmatch(text) is not None
        return bool(self._offload("fullmatch", text, deadline))

    def matches(self, text: str, deadline: float | None = None,
                tick: Callable[[], None] | None = None) -> Iterator[tuple[int, int, tuple[str | None, ...]]]:
        """Every match as (start, end, groups), left to right; `tick` is called between matches."""
        if self.linear is None:
            spans = self._offload("spans", text, deadline, max_matches=MAX_MATCHES)
            for start, end, *groups in spans:
                yield start, end, tuple(groups)
            return
        if text.isascii():  # byte offsets are character offsets: no decoding per match
            yield from self._ascii_matches(text, tick)
            return
        for m in self.linear.finditer(text):
            if tick is not None:
                tick()
            yield m.start(), m.end(), m.groups()

    def _ascii_matches(self, text: str, tick: Callable[[], None] | None
                       ) -> Iterator[tuple[int, int, tuple[str | None, ...]]]:
        match, data = self.linear._regexp.Match, text.encode("ascii")
        pos, end = 0, len(data)
        while True:
            spans = match(_UNANCHORED, data, pos, end)
            start, stop = spans[0]
            if start < 0:
                return
            if tick is not None:
                tick()
            yield start, stop, tuple(None if a < 0 else text[a:b] for a, b in spans[1:])
            if start == stop:  # an empty match: the next search starts one character further
                if stop >= end:
                    return
                pos = stop + 1
            else:
                pos = stop

    def _offload(self, op: str, text: str, deadline: float | None, **extra: Any) -> Any:
        request = {"kind": "regex", "op": op, "pattern": self.backtracking, "text": text, **extra}
        try:
            return offload.run(request, deadline if deadline is not None else time.monotonic() + DEFAULT_SECONDS)
        except offload.OffloadError as exc:
            if exc.limit == "time":
                raise RegexError(f"Regular expression {_show(self.pattern)} ran past the time limit "
                                 "(it backtracks: lookaround and backreferences are matched by trial)", "time") from None
            raise RegexError(f"Regular expression {_show(self.pattern)} failed: {exc}", exc.limit) from None


def _show(pattern: str) -> str:
    return repr(pattern if len(pattern) <= 80 else pattern[:77] + "...")


_UNANCHORED = re2._Anchor.UNANCHORED
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print each rejected pattern on stderr


@functools.lru_cache(maxsize=512)
def compile(pattern: str) -> Regex:
    """The pattern compiled on RE2, or checked for the backtracking engine; RegexError when invalid."""
    if len(pattern) > MAX_PATTERN:
        raise RegexError(f"Regular expression longer than {MAX_PATTERN:,} characters")
    translated = _java_classes(pattern)
    try:
        linear = re2.compile(translated, _OPTIONS)
        return Regex(pattern, linear, None, linear.groups, dict(linear.groupindex), short_form(translated))
    except re2.error:
        pass
    python = _python_syntax(translated)
    try:
        checked = re.compile(python)
    except (re.error, OverflowError, RecursionError) as exc:
        raise RegexError(f"Invalid regular expression {_show(pattern)}: {exc}", reason=str(exc)) from None
    return Regex(pattern, None, python, checked.groups, dict(checked.groupindex))


def check(pattern: str | None, problem: str) -> str | None:
    """`pattern` when it compiles (or is None); else ValueError `problem: why` (for model validators)."""
    if pattern is not None:
        try:
            compile(pattern)
        except RegexError as exc:
            raise ValueError(f"{problem}: {exc.reason}") from None
    return pattern


def fullmatch(pattern: str, text: str, deadline: float | None = None) -> bool:
    """Whether the whole `text` matches (Java's String.matches)."""
    return compile(pattern).fullmatch(text, deadline)


def search(pattern: str, text: str, deadline: float | None = None) -> bool:
    """Whether `pattern` matches somewhere in `text` (Java's Matcher.find)."""
    return compile(pattern).search(text, deadline) is not None


def _replacement_parts(template: str, regex: Regex) -> list[str | int]:
    """Java's Matcher replacement text as literal texts and group numbers: `$1`, `${name}`, `\\$` for a
    dollar, `\\\\` for a backslash."""
    parts: list[str | int] = []
    literal: list[str] = []
    i = 0
    while i < len(template):
        c = template[i]
        if c == "\\" and i + 1 < len(template):
            literal.append(template[i + 1])
            i += 2
            continue
        if c == "$":
            m = re.match(r"\{(\w+)\}|(\d)", template[i + 1:])
            if m is None:
                raise RegexError(f"Illegal group reference in replacement {template!r}")
            group = regex.names.get(m.group(1)) if m.group(1) else int(m.group(2))
            if group is None or group > regex.groups:
                raise RegexError(f"No group {m.group(1) or m.group(2)} in regular expression {_show(regex.pattern)}")
            parts.extend(["".join(literal), group])
            literal = []
            i += 1 + m.end()
            continue
        literal.append(c)
        i += 1
    parts.append("".join(literal))
    return parts


def java_replacement(template: str, regex: Regex) -> Callable[[str, tuple[str | None, ...]], str]:
    """Java's Matcher replacement text (see _replacement_parts) as a function of the match and its groups."""
    parts = _replacement_parts(template, regex)

    def expand(whole: str, groups: tuple[str | None, ...]) -> str:
        return "".join(p if isinstance(p, str) else (whole if p == 0 else groups[p - 1] or "") for p in parts)
    return expand


def python_replacement(template: str, regex: Regex) -> str:
    """Java's Matcher replacement text as a template for Python's re.sub (an unmatched group gives "")."""
    return "".join(p.replace("\\", "\\\\") if isinstance(p, str) else f"\\g<{p}>"
                   for p in _replacement_parts(template, regex))
