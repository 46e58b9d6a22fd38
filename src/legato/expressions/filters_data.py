"""Data-format filters and functions: JSON, YAML, Ion, jq."""

from __future__ import annotations

import functools
import io
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from legato import offload
from legato.expressions import jqcost
from legato.expressions.errors import ExpressionError
from legato.expressions.limits import LimitExceeded, deep_footprint
from legato.expressions.runtime import State
from legato.expressions.values import plain, to_json, type_name

# jq builtins that read the environment, files or standard input: refused. Everything else jq offers
# (range, recurse, def, while, ...) is allowed: jq runs in a child process under the render's deadline
# and size limit (legato.offload), which kills it when it overruns.
_JQ_FORBIDDEN = re.compile(
    r"\$ENV|\$__loc__|\$__prog_args|\b(env|input|inputs|input_filename|debug|stderr|halt|halt_error|"
    r"import|include|modulemeta|get_search_list|input_line_number)\b"
)
_ION_SYMBOL = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def f_to_json(st: State, value: Any, pretty: bool = False) -> Any:
    text = to_json(value, pretty, st.max_chars)
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
    return _parsed(st, value)


def fn_from_json(st: State, json: Any = None) -> Any:
    return _parsed(st, json)


def _parsed(st: State, value: Any) -> Any:
    result = parse_json(value)
    if result is not value:
        st.charge(deep_footprint(result, st))
    return result


class _TickingDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """yaml.safe_dump that checks the render's deadline at each node it represents."""

    st: State

    def represent_data(self, data: Any) -> Any:
        self.st.tick()
        return super().represent_data(data)


class _TickingLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml.safe_load that checks the render's deadline at each node it builds."""

    st: State

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        self.st.tick()
        return super().construct_object(node, deep)


def f_yaml(st: State, value: Any) -> Any:
    stream = io.StringIO()
    dumper = _TickingDumper(stream, allow_unicode=True, sort_keys=False, default_flow_style=False)
    dumper.st = st
    try:
        dumper.open()
        dumper.represent(plain(value, st.max_chars))
        dumper.close()
    finally:
        dumper.dispose()
    return stream.getvalue()


def fn_yaml(st: State, yaml_text: Any = None) -> Any:
    if not isinstance(yaml_text, str):
        return yaml_text
    loader = _TickingLoader(yaml_text)
    loader.st = st
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as e:
        raise ExpressionError(f"Invalid YAML: {e}") from None
    finally:
        loader.dispose()
    _check_expanded_size(st, data, st.limits.max_range_items * 10)
    st.charge(deep_footprint(data, st))
    return data


def _check_expanded_size(st: State, value: Any, budget: int) -> None:
    """YAML aliases share nodes, so a small document can expand without bound ("billion laughs")
    when printed: count the nodes as if expanded and stop at the budget."""
    stack, count = [value], 0
    while stack:
        item = stack.pop()
        count += 1
        if count > budget:
            raise LimitExceeded("size", f"YAML document expands to more than {budget:,} values (size limit)")
        if not count & 0xFFF:
            st.tick()
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
    return ion(plain(value, st.max_chars))  # plain(): sized first, so a value built by doubling is refused, not expanded


@functools.lru_cache(maxsize=256)
def _jq_check(program: str) -> None:
    if len(program) > 10_000:
        raise ExpressionError("jq program longer than 10,000 characters")
    found = _JQ_FORBIDDEN.search(program)
    if found:
        raise ExpressionError(f"jq '{found.group()}' is not allowed in expressions")


def f_jq(st: State, value: Any, expression: str) -> Any:
    """Kestra's jq filter: the list of the program's results, under the render's remaining time and size limit.

    A program whose cost has a small bound on this input (legato.expressions.jqcost) runs here; any other
    runs in a child process (legato.offload) that is killed when it overruns."""
    if not isinstance(expression, str):
        raise ExpressionError(f"Filter 'jq' needs a jq program string, got {type_name(expression)}")
    _jq_check(expression)
    data = parse_json(value) if isinstance(value, str) and value.strip()[:1] in ("{", "[") else value
    document = to_json(data, max_chars=st.max_chars)
    st.tick()
    if jqcost.fits(expression, len(document), st.max_chars):
        result = _jq_here(expression, document)
    else:
        result = _jq_offloaded(st, expression, document)
    st.check_items(len(result), "jq result")
    st.charge(deep_footprint(result, st))
    return result


@functools.lru_cache(maxsize=256)
def _jq_program(program: str) -> Any:
    import jq  # the server process imports it only when a template uses jq

    try:
        return jq.compile(program)
    except ValueError as exc:  # the same message as from the child process
        raise ExpressionError(f"Invalid jq program {program!r}: {str(exc).splitlines()[0]}") from None


def _jq_here(expression: str, document: str) -> list[Any]:
    try:
        return list(_jq_program(expression).input_text(document))
    except ValueError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExpressionError(f"jq {_show(expression)} failed: {first}") from None


def _jq_offloaded(st: State, expression: str, document: str) -> list[Any]:
    request = {"kind": "jq", "program": expression, "input": document, "max_chars": st.max_chars}
    try:
        result: list[Any] = offload.run(request, st.deadline)
    except offload.OffloadError as e:
        if e.limit == "time":
            st.tick()
            raise LimitExceeded("time", f"jq {_show(expression)} ran past the time limit") from None
        if e.limit is not None:
            raise LimitExceeded(e.limit, f"jq {_show(expression)} {e}") from None
        raise ExpressionError(str(e) if e.invalid else f"jq {_show(expression)} failed: {e}") from None
    return result


def _show(program: str) -> str:
    return repr(program if len(program) <= 80 else program[:77] + "...")


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
