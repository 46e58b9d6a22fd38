"""Errors users see when a flow or its inputs are invalid: each problem says where (file, line, JSON path) and what."""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from legato import regex

Loc = tuple[str | int, ...]
# Where each node of a YAML document starts: path -> (line, column), both 1-based; keys under (KEY, *path).
Positions = Mapping[tuple[Any, ...], tuple[int, int]]
KEY = "\x00key"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a flow (or with the inputs of an execution)."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None
    source: str = "<string>"

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class FlowValidationError(ValueError):
    """A flow source that cannot be accepted; `problems` lists every reason found, in document order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class InputsError(ValueError):
    """Inputs given to an execution that do not satisfy the flow's input declarations; names every bad input."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"input '{p.path}': {p.message}" for p in self.problems)


class ChecksFailed(InputsError):
    """The flow's `checks` that block the execution (BLOCK_EXECUTION) do not hold for these inputs."""

    def __str__(self) -> str:
        return "\n".join(p.message for p in self.problems)


def check_regex(value: str | None, problem: str) -> str | None:
    """`value` when it compiles as a regular expression (Java syntax, see legato.regex), or is None; else
    ValueError `problem: why`."""
    return regex.check(value, problem)


def suggest(word: str, candidates: Sequence[str]) -> str:
    """' (did you mean 'x'?)' for the closest candidate, or '' when nothing is close."""
    package, _, tail = word.lower().rpartition(".")
    for match in difflib.get_close_matches(word, list(candidates), n=5, cutoff=0.6):
        # Long shared prefixes (io.kestra.plugin.core...) make any two names look alike: the last part must too,
        # and so must the package (`ai.agent.AIAgent` is no `email.MailSend`).
        other_package, _, other_tail = match.lower().rpartition(".")
        if _alike(tail, other_tail, 0.5) and _alike(*_without_common_head(package, other_package), 0.6):
            return f" (did you mean '{match}'?)"
    return ""


def _alike(a: str, b: str, cutoff: float) -> bool:
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= cutoff


def _without_common_head(a: str, b: str) -> tuple[str, str]:
    """Two dotted names without the leading parts they share (`io.kestra.plugin.`)."""
    left, right = a.split("."), b.split(".")
    while len(left) > 1 and len(right) > 1 and left[0] == right[0]:
        left, right = left[1:], right[1:]
    return ".".join(left), ".".join(right)


def format_path(loc: Sequence[str | int]) -> str:
    """('tasks', 2, 'retry', 'maxAttempts') -> 'tasks[2].retry.maxAttempts'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


# ---- unknown properties: name the closest known one -------------------------------------------------------


def _core(annotation: Any) -> Any:
    """The annotation with Annotated and Optional peeled off (unions of several types are kept)."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str] | None:
    """The property names of the model reached from `model` along `loc`, or None when that is not one model."""
    annotation: Any = model
    for part in loc:
        core = _core(annotation)
        origin = get_origin(core)
        if origin in (list, tuple, set, frozenset) and isinstance(part, int):
            annotation = get_args(core)[0]
        elif origin is dict and isinstance(part, str):
            annotation = get_args(core)[1]
        elif _is_model(core) and isinstance(part, str):
            by_alias = {f.alias or n: f for n, f in core.model_fields.items()}
            field = by_alias.get(part) or core.model_fields.get(part)
            if field is None:
                return None
            annotation = field.annotation
        else:
            return None
    core = _core(annotation)
    return _field_names(core) if _is_model(core) else None


def _as_init(error: ErrorDetails, *, kind: str | None = None, message: str | None = None) -> InitErrorDetails:
    ctx = dict(error.get("ctx") or {})
    custom = PydanticCustomError(kind or error["type"], message or error["msg"], ctx or None)
    return {"type": custom, "loc": error["loc"], "input": error.get("input")}


def name_unknown_properties(model: type[BaseModel], error: ValidationError) -> ValidationError:
    """`error` with each 'extra_forbidden' turned into "unknown property 'x' (did you mean 'y'?)".

    Called where the model class is known (the task/trigger resolver, the flow), so nested polymorphic
    children are already named by their own resolver before their parents see the error.
    """
    details = error.errors()
    if not any(d["type"] == "extra_forbidden" for d in details):
        return error
    out: list[InitErrorDetails] = []
    for detail in details:
        if detail["type"] != "extra_forbidden":
            out.append(_as_init(detail))
            continue
        key = str(detail["loc"][-1])
        known = _fields_at(model, detail["loc"][:-1]) or []
        out.append(_as_init(detail, kind="unknown_property", message=f"unknown property '{key}'{suggest(key, known)}"))
    return ValidationError.from_exception_data(error.title, out)


# ---- from pydantic errors to problems at YAML positions ----------------------------------------------------


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, Mapping):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _is_tag(node: Any, part: str | int, rest: Sequence[str | int]) -> bool:
    """True for a segment pydantic adds to name a union member or validator ('str', 'function-wrap[f()]')."""
    if isinstance(part, int):
        return False
    if not isinstance(node, Mapping) or "[" in part:
        return True
    return bool(rest) and _has(node, rest[0])


def _walk(raw: Any, loc: Loc) -> tuple[list[str | int], bool]:
    """The part of `loc` found in `raw` (pydantic's tag segments dropped), plus the first missing segment if any.

    The flag says whether the whole path exists.
    """
    found: list[str | int] = []
    node = raw
    for i, part in enumerate(loc):
        if _has(node, part):
            node = node[part]
            found.append(part)
        elif _is_tag(node, part, loc[i + 1 :]):
            continue
        else:
            found.append(part)
            return found, False
    return found, True


def _human(detail: ErrorDetails, exists: bool) -> str:
    kind, msg, ctx = detail["type"], detail["msg"], detail.get("ctx") or {}
    if kind == "missing":
        return f"required property '{detail['loc'][-1]}' is missing" if detail["loc"] else "required value is missing"
    if kind in ("value_error", "assertion_error"):
        return re.sub(r"^(Value|Assertion) error, ", "", msg)
    if kind == "literal_error":
        return f"{msg} (got {detail.get('input')!r})"
    if kind == "string_pattern_mismatch":
        return f"{detail.get('input')!r} is not valid here: {msg}"
    if kind == "time_delta_parsing":
        return f"{detail.get('input')!r} is not an ISO-8601 duration (examples: PT30S, PT5M, PT1H, P1D)"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "enum" and "expected" in ctx:
        return f"{msg} (got {detail.get('input')!r})"
    return msg


def problems_from(error: ValidationError, raw: Any, positions: Positions, source: str) -> list[Problem]:
    """One problem per pydantic error, located at the deepest YAML node of its path that exists.

    An unknown property points at its key; union members failing at the same place are reported once.
    """
    merged: dict[tuple[str, int | None, int | None], list[str]] = {}
    for detail in error.errors():
        found, exists = _walk(raw, tuple(detail["loc"]))
        present = found if exists else found[:-1]
        if detail["type"] in ("unknown_property", "extra_forbidden") and exists:
            pos = positions.get((KEY, *found)) or positions.get(tuple(found))
        else:
            pos = positions.get(tuple(present))
        line, column = pos if pos else (None, None)
        message = _human(detail, exists)
        bucket = merged.setdefault((format_path(found), line, column), [])
        if message not in bucket:
            bucket.append(message)
    problems = [
        Problem(path=path, message=" or ".join(messages), line=line, column=column, source=source)
        for (path, line, column), messages in merged.items()
    ]
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


class FlowDisabledError(ValueError):
    """The flow is disabled: it accepts no new executions."""
