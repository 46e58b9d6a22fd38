"""String filters (Pebble's and Kestra's)."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from legato.expressions.errors import ExpressionError
from legato.expressions.runtime import State
from legato.expressions.values import to_text, type_name

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
# A repeated group that itself repeats or alternates, `(a+)+` or `(a|aa)*`: the shapes of
# catastrophic backtracking, which Python's re cannot interrupt.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}|](?:[^()\\]|\\.)*\)[+*{]")


def text(value: Any, name: str) -> str:
    if isinstance(value, str):
        return str(value)
    if value is None or isinstance(value, (Mapping, list, tuple)):
        raise ExpressionError(f"Filter '{name}' needs a string, got {type_name(value)}")
    result: str = to_text(value)
    return result


def safe_regex(pattern: str) -> re.Pattern[str]:
    """Compile a user regex, refusing patterns known to backtrack exponentially."""
    if len(pattern) > 1_000:
        raise ExpressionError("Regular expression longer than 1,000 characters")
    if _NESTED_QUANTIFIER.search(pattern):
        raise ExpressionError(f"Regular expression {pattern!r} repeats a group that repeats or alternates; it could run for ever")
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ExpressionError(f"Invalid regular expression {pattern!r}: {e}") from None


def _java_replacement(replacement: str) -> str:
    """Java's `$1` / `${name}` group references become Python's `\\g<1>`."""
    out = replacement.replace("\\", "\\\\")
    out = re.sub(r"\$\{(\w+)\}", r"\\g<\1>", out)
    return re.sub(r"\$(\d+)", r"\\g<\1>", out)


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
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), s)


def f_lower(st: State, value: Any) -> Any:
    return None if value is None else text(value, "lower").lower()


def f_upper(st: State, value: Any) -> Any:
    return None if value is None else text(value, "upper").upper()


def f_trim(st: State, value: Any) -> Any:
    return None if value is None else text(value, "trim").strip()


def f_escape(st: State, value: Any, strategy: str = "html") -> Any:
    s = to_text(value)
    if strategy == "html":
        return "".join(_HTML.get(c, c) for c in s)
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
            s = safe_regex(to_text(old)).sub(_java_replacement(to_text(new)), s)
        else:
            s = s.replace(to_text(old), to_text(new))
        st.check_chars(len(s))
    return s


def f_split(st: State, value: Any, delimiter: str, limit: int = 0) -> Any:
    """Java's String.split: a regex delimiter, trailing empty parts dropped unless limit < 0."""
    s = text(value, "split")
    if len(delimiter) == 1 and delimiter not in ".$|()[{^?*+\\":
        parts = s.split(delimiter, limit - 1) if limit > 0 else s.split(delimiter)
    else:
        parts = safe_regex(delimiter).split(s, maxsplit=max(limit - 1, 0) if limit > 0 else 0)
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


def f_urlencode(st: State, value: Any) -> Any:
    return urllib.parse.quote_plus(text(value, "urlencode"), safe="*").replace("~", "%7E")


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
    return "\n" + prefix * amount + _indented(st, to_text(value), amount, prefix)


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
