"""Data-format filters and functions: JSON, YAML, Ion, jq."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import jq
import yaml

from legato.expressions.errors import ExpressionError
from legato.expressions.runtime import State
from legato.expressions.values import plain, to_json, type_name

# jq builtins that read the environment or files, or can loop without end, are refused:
# a jq call runs in C and cannot be interrupted by the render deadline.
_JQ_FORBIDDEN = re.compile(
    r"\$ENV|\$__loc__|\$__prog_args|\b(env|input|inputs|input_filename|debug|stderr|halt|halt_error|"
    r"repeat|while|until|range|recurse_down|def|import|include|modulemeta|get_search_list|"
    r"combinations)\b|\brecurse\s*\("
)
_ION_SYMBOL = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def f_to_json(st: State, value: Any, pretty: bool = False) -> Any:
    text = to_json(value, pretty)
    st.check_chars(len(text))
    return text


def parse_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as e:
        raise ExpressionError(f"Invalid JSON: {e}") from None


def f_from_json(st: State, value: Any) -> Any:
    return parse_json(value)


def fn_from_json(st: State, json: Any = None) -> Any:
    return parse_json(json)


def f_yaml(st: State, value: Any) -> Any:
    text: str = yaml.safe_dump(plain(value), allow_unicode=True, sort_keys=False, default_flow_style=False)
    return text


def fn_yaml(st: State, yaml_text: Any = None) -> Any:
    if not isinstance(yaml_text, str):
        return yaml_text
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as e:
        raise ExpressionError(f"Invalid YAML: {e}") from None
    _check_expanded_size(data, st.limits.max_range_items * 10)
    return data


def _check_expanded_size(value: Any, budget: int) -> None:
    """YAML aliases share nodes, so a small document can expand without bound ("billion laughs")
    when printed: count the nodes as if expanded and stop at the budget."""
    stack, count = [value], 0
    while stack:
        item = stack.pop()
        count += 1
        if count > budget:
            raise ExpressionError(f"YAML document expands to more than {budget:,} values")
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def ion(value: Any) -> str:
    """Amazon Ion text, as Kestra's toIon writes it."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "+inf" if value > 0 else "-inf"
        return f"{value!r}e0" if "e" not in repr(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        fields = (f"{_ion_symbol(str(k))}:{ion(v)}" for k, v in value.items())
        return "{" + ",".join(fields) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(ion(v) for v in value) + "]"
    return ion(plain(value))


def _ion_symbol(key: str) -> str:
    if _ION_SYMBOL.fullmatch(key) and key not in ("null", "true", "false", "nan"):
        return key
    return "'" + key.replace("\\", "\\\\").replace("'", "\\'") + "'"


def f_to_ion(st: State, value: Any) -> Any:
    text = ion(value)
    st.check_chars(len(text))
    return text


@functools.lru_cache(maxsize=256)
def _jq_program(program: str) -> Any:
    if len(program) > 10_000:
        raise ExpressionError("jq program longer than 10,000 characters")
    found = _JQ_FORBIDDEN.search(program)
    if found:
        raise ExpressionError(f"jq '{found.group()}' is not allowed in expressions")
    try:
        return jq.compile(program)
    except ValueError as e:
        raise ExpressionError(f"Invalid jq program {program!r}: {str(e).splitlines()[0]}") from None


def f_jq(st: State, value: Any, expression: str) -> Any:
    if not isinstance(expression, str):
        raise ExpressionError(f"Filter 'jq' needs a jq program string, got {type_name(expression)}")
    data = parse_json(value) if isinstance(value, str) and value.strip()[:1] in ("{", "[") else plain(value)
    st.tick()
    try:
        result: list[Any] = _jq_program(expression).input_value(data).all()
    except ValueError as e:
        raise ExpressionError(f"jq {expression!r} failed: {e}") from None
    st.tick()
    st.check_items(len(result), "jq result")
    return result


def t_json(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


FILTERS: dict[str, Callable[..., Any]] = {
    "json": f_to_json, "toJson": f_to_json, "jsonEncode": f_to_json, "fromJson": f_from_json,
    "yaml": f_yaml, "toIon": f_to_ion, "jq": f_jq,
}
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "fromJson": fn_from_json, "json": fn_from_json, "jsonDecode": fn_from_json, "yaml": fn_yaml,
}
