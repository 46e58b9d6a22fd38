"""String filters (Pebble's and Kestra's)."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from legato import regex
from legato.expressions.errors import ExpressionError
from legato.expressions.limits import STR_BYTES, LimitExceeded
from legato.expressions.runtime import State
from legato.expressions.values import to_text, type_name

_HTML = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;"))


def text(value: Any, name: str) -> str:
    if isinstance(value, str):
        return str(value)
    if value is None or isinstance(value, (Mapping, list, tuple)):
        raise ExpressionError(f"Filter '{name}' needs a string, got {type_name(value)}")
    result: str = to_text(value)
    return result


def user_regex(st: State, pattern: str) -> regex.Regex:
    """A pattern from the template, compiled for linear-time matching (see legato.regex)."""
    try:
        return regex.compile(pattern)
    except regex.RegexError as e:
        raise ExpressionError(str(e)) from None


def _regex_failure(st: State, e: regex.RegexError) -> ExpressionError:
    if e.limit == "time":
        st.tick()  # the render's own deadline passed: say so with the render's limit
        return LimitExceeded("time", str(e))
    return LimitExceeded(e.limit, str(e)) if e.limit else ExpressionError(str(e))


def matches(st: State, value: Any, pattern: Any) -> bool:
    """Pebble's `matches` operator: the whole text matches the regular expression (Java's String.matches),
    on the linear-time engine (or under the render's deadline)."""
    if value is None:
        return False
    compiled = user_regex(st, text(pattern, "matches"))
    try:
        return compiled.fullmatch(to_text(value), st.deadline)
    except regex.RegexError as e:
        raise _regex_failure(st, e) from None


_replacements: dict[tuple[str, str], Any] = {}


def _replacement(template: str, compiled: regex.Regex) -> Any:
    """The parsed Java replacement text, kept per (text, pattern) as compiled patterns are."""
    key = (template, compiled.pattern)
    expand = _replacements.get(key)
    if expand is None:
        if len(_replacements) > 512:
            _replacements.clear()
        expand = _replacements[key] = regex.java_replacement(template, compiled)
    return expand


_python_templates: dict[tuple[str, str], str] = {}


def _python_template(template: str, compiled: regex.Regex) -> str:
    key = (template, compiled.pattern)
    found = _python_templates.get(key)
    if found is None:
        if len(_python_templates) > 512:
            _python_templates.clear()
        found = _python_templates[key] = regex.python_replacement(template, compiled)
    return found


def _regex_replace(st: State, s: str, pattern: str, replacement: str) -> str:
    compiled = user_regex(st, pattern)
    short = compiled.short
    # a short text, on a pattern whose backtracking is bounded (legato.regex_short): one C call, and its result
    # has at most (n + 1) * (1 + len(replacement)) characters, here within the size limit. Not for a pattern
    # that can match empty: after an empty match Python tries a longer one at the same place, Java does not.
    if short is not None and not short.can_be_empty and short.fits(s) \
            and (len(s) + 1) * (len(replacement) + 1) <= st.max_chars:
        try:
            return short.pattern.sub(_python_template(replacement, compiled), s)
        except regex.RegexError as e:
            raise _regex_failure(st, e) from None
    try:
        expand = _replacement(replacement, compiled)
        out: list[str] = []
        last = size = 0
        for start, end, groups in compiled.matches(s, st.deadline, st.tick):
            piece = expand(s[start:end], groups)
            out += (s[last:start], piece)
            size += start - last + len(piece)
            if size > st.max_chars:
                st.check_chars(size)
            last = end
    except regex.RegexError as e:
        raise _regex_failure(st, e) from None
    out.append(s[last:])
    return "".join(out)


def f_abbreviate(st: State, value: Any, length: int) -> Any:
    s = text(value, "abbreviate")
    if len(s) <= length:
        return s
    return s[: max(length - 3, 0)] + "..."


def f_capitalize(st: State, value: Any) -> Any:
    s = text(value, "capitalize")
    return s[:1].upper() + s[1:]


def f_title(st: State, value: Any) -> Any:
    s = text(value, "title")
    def upper(m: re.Match[str]) -> str:
        st.tick()  # one call per word: a long text is many Python calls
        return m.group(1) + m.group(2).upper()
    return re.sub(r"(^|\s)(\S)", upper, s)


def java_string(value: Any) -> str:
    """Java's toString of a value, as Pebble's upper and lower filters use it on a list or map: `[a, b]`,
    `{k=v}`."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{java_string(k)}={java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    return "null" if value is None else to_text(value)


def f_lower(st: State, value: Any) -> Any:
    if type(value) is str:
        return value.lower()
    return None if value is None else java_string(value).lower()


def f_upper(st: State, value: Any) -> Any:
    if type(value) is str:
        return value.upper()
    # Pebble upper-cases the text of any value: a list gives "[A, B]" (Kestra's unit-test documentation relies on it)
    return None if value is None else java_string(value).upper()


def f_trim(st: State, value: Any) -> Any:
    return None if value is None else text(value, "trim").strip()


def f_escape(st: State, value: Any, strategy: str = "html") -> Any:
    s = to_text(value)
    if strategy == "html":
        for plain, entity in _HTML:  # str.replace runs in C: no per-character Python loop on long text
            s = s.replace(plain, entity)
            st.check_chars(len(s))
        return s
    if strategy in ("js", "json"):
        import json

        return json.dumps(s, ensure_ascii=False)[1:-1]
    if strategy == "url_param":
        return urllib.parse.quote(s, safe="")
    raise ExpressionError(f"Unknown escape strategy '{strategy}' (use html, js, json or url_param)")


def f_replace(st: State, value: Any, replace_pairs: Any = None, replacement: Any = None,
              regexp: bool = False) -> Any:
    s = text(value, "replace")
    if isinstance(replace_pairs, str):
        pairs: Mapping[Any, Any] = {replace_pairs: "" if replacement is None else replacement}
    elif isinstance(replace_pairs, Mapping):
        pairs = replace_pairs
    else:
        raise ExpressionError("Filter 'replace' needs a map of replacements, e.g. replace({'a': 'b'})")
    for old, new in pairs.items():
        if regexp:
            s = _regex_replace(st, s, to_text(old), to_text(new))
        else:
            before, after = to_text(old), to_text(new)
            if before and len(after) > len(before):  # size the result before building it
                st.check_chars(len(s) + s.count(before) * (len(after) - len(before)))
            s = s.replace(before, after)
        st.check_chars(len(s))
    return s


def f_split(st: State, value: Any, delimiter: str, limit: int = 0) -> Any:
    """Java's String.split: a regex delimiter, trailing empty parts dropped unless limit < 0."""
    s = text(value, "split")
    if len(delimiter) == 1 and delimiter not in ".$|()[{^?*+\\":
        parts = s.split(delimiter, limit - 1) if limit > 0 else s.split(delimiter)
        st.check_items(len(parts), "list")
    else:
        parts = _regex_split(st, s, delimiter, limit)
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    st.charge(sum(map(len, parts)) + STR_BYTES * len(parts))
    return parts


def _regex_split(st: State, s: str, delimiter: str, limit: int) -> list[str]:
    compiled = user_regex(st, delimiter)
    short = compiled.short
    if short is not None and not short.can_be_empty and not compiled.groups and short.fits(s):
        # a delimiter that is never empty splits as Java's: no leading empty part to drop (see below)
        pieces = [s] if limit == 1 else short.pattern.split(s, maxsplit=max(limit - 1, 0))
        st.check_items(len(pieces), "list")
        return pieces
    parts: list[str] = []
    last = 0
    try:
        for start, end, _ in compiled.matches(s, st.deadline, st.tick):
            if end == 0:  # as Java 8+: a zero-width match at the start makes no leading empty part
                continue
            if 0 < limit <= len(parts) + 1:
                break
            parts.append(s[last:start])
            last = end
            if len(parts) > st.limits.max_range_items:
                st.check_items(len(parts), "list")
    except regex.RegexError as e:
        raise _regex_failure(st, e) from None
    parts.append(s[last:])
    return parts


def f_urlencode(st: State, value: Any) -> Any:
    s = text(value, "urlencode")
    st.check_chars(len(s.encode()) * 3)  # each byte becomes at most %XX
    return urllib.parse.quote_plus(s, safe="*").replace("~", "%7E")


def f_urldecode(st: State, value: Any) -> Any:
    return urllib.parse.unquote_plus(text(value, "urldecode"))


def f_base64encode(st: State, value: Any) -> Any:
    return base64.b64encode(text(value, "base64encode").encode()).decode()


def f_base64decode(st: State, value: Any) -> Any:
    try:
        return base64.b64decode(text(value, "base64decode").encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise ExpressionError("Filter 'base64decode': the input is not valid base64 of UTF-8 text") from None


def _hasher(algorithm: str) -> Any:
    def digest(st: State, value: Any) -> Any:
        return hashlib.new(algorithm, text(value, algorithm).encode()).hexdigest()
    return digest


def f_slugify(st: State, value: Any) -> Any:
    s = unicodedata.normalize("NFKD", text(value, "slugify")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def f_substring_before(st: State, value: Any, separator: str) -> Any:
    s = text(value, "substringBefore")
    i = s.find(separator)
    return s if i < 0 else s[:i]


def f_substring_after(st: State, value: Any, separator: str) -> Any:
    s = text(value, "substringAfter")
    i = s.find(separator)
    return "" if i < 0 else s[i + len(separator):]


def f_substring_before_last(st: State, value: Any, separator: str) -> Any:
    s = text(value, "substringBeforeLast")
    i = s.rfind(separator)
    return s if i < 0 or not separator else s[:i]


def f_substring_after_last(st: State, value: Any, separator: str) -> Any:
    s = text(value, "substringAfterLast")
    i = s.rfind(separator)
    return "" if i < 0 or not separator else s[i + len(separator):]


def f_starts_with(st: State, value: Any, prefix: str) -> Any:
    return text(value, "startsWith").startswith(prefix)


def f_ends_with(st: State, value: Any, suffix: str) -> Any:
    return text(value, "endsWith").endswith(suffix)


def _indented(st: State, s: str, amount: int, prefix: str) -> str:
    if type(amount) is not int or amount < 0:
        raise ExpressionError("The indent amount must be a non-negative integer")
    st.check_chars(len(s) + (s.count("\n") + 1) * amount * len(prefix))
    return s.replace("\n", "\n" + prefix * amount)


def f_indent(st: State, value: Any, amount: int, prefix: str = " ") -> Any:
    return _indented(st, to_text(value), amount, prefix)


def f_nindent(st: State, value: Any, amount: int, prefix: str = " ") -> Any:
    body = _indented(st, to_text(value), amount, prefix)  # sized first: it checks the amount
    return "\n" + prefix * amount + body


def f_escape_char(st: State, value: Any, type: str) -> Any:
    s = text(value, "escapeChar")
    if type == "single":
        return s.replace("'", "\\'")
    if type == "double":
        return s.replace('"', '\\"')
    if type == "shell":
        return s.replace("'", "'\\''")
    raise ExpressionError(f"escapeChar type must be 'single', 'double' or 'shell', got {type!r}")


def f_string(st: State, value: Any) -> Any:
    return to_text(value)


FILTERS: dict[str, Callable[..., Any]] = {
    "abbreviate": f_abbreviate, "capitalize": f_capitalize, "title": f_title, "lower": f_lower,
    "upper": f_upper, "trim": f_trim, "escape": f_escape, "replace": f_replace, "split": f_split,
    "urlencode": f_urlencode, "urldecode": f_urldecode, "base64encode": f_base64encode,
    "base64decode": f_base64decode, "md5": _hasher("md5"), "sha1": _hasher("sha1"),
    "sha256": _hasher("sha256"), "sha512": _hasher("sha512"), "slugify": f_slugify,
    "substringBefore": f_substring_before, "substringAfter": f_substring_after,
    "substringBeforeLast": f_substring_before_last, "substringAfterLast": f_substring_after_last,
    "startsWith": f_starts_with, "endsWith": f_ends_with, "indent": f_indent, "nindent": f_nindent,
    "escapeChar": f_escape_char, "string": f_string,
}
