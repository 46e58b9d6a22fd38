"""The base of runnable tasks (those a worker runs) and the helpers they share to render dynamic properties.

A dynamic property may hold a literal of its type or an expression (`{{ ... }}` / `{% ... %}`); the model
accepts either (`int | Expression`), so a typo in a literal is still a validation error, and the task renders
and converts the value at run time with `render_as`, failing with a message naming the property.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Any, TypeAlias

from pydantic import StringConstraints, TypeAdapter, ValidationError

from legato.model import durations
from legato.model.durations import Duration
from legato.model.task import Task
from legato.plugins.context import RunContext, TaskFailed

# A string that contains a template: only such strings may stand in for a typed property.
Expression: TypeAlias = Annotated[str, StringConstraints(pattern=r"\{\{|\{%")]


class RunnableTask(Task):
    """A task run by a worker: `run` returns its outputs, raises TaskFailed to fail, and asks for changes
    to its execution through `ctx.effects`."""

    @abstractmethod
    async def run(self, ctx: RunContext) -> dict[str, Any]:
        """Do the task's work and return its outputs (a JSON-compatible map)."""


@lru_cache(maxsize=256)
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def _describe(tp: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", Duration: "ISO-8601 duration"}
    return names.get(tp, getattr(tp, "__name__", None) or str(tp))


def render_as(ctx: RunContext, value: Any, tp: Any, prop: str) -> Any:
    """Render `value` (when it holds templates) and convert it to `tp`, failing with the property's name."""
    rendered = ctx.render(value) if _has_template(value) else value
    try:
        return _adapter(tp).validate_python(rendered)
    except ValidationError as exc:
        reason = exc.errors()[0].get("msg", "invalid value")
        raise TaskFailed(f"property '{prop}': {_short(rendered)} is not a valid {_describe(tp)} ({reason})") from None


def render_optional(ctx: RunContext, value: Any, tp: Any, prop: str) -> Any:
    """`render_as`, letting None (an unset property) through unchanged."""
    return None if value is None else render_as(ctx, value, tp, prop)


def render_text(ctx: RunContext, value: Any) -> str:
    """Render to text, as Kestra does for string properties."""
    return ctx.render_string(value)


def render_optional_text(ctx: RunContext, value: Any) -> str | None:
    """`render_text`, letting None through unchanged."""
    return None if value is None else ctx.render_string(value)


def render_bool(ctx: RunContext, value: bool | str, prop: str) -> bool:
    """A boolean property, rendered."""
    return bool(render_as(ctx, value, bool, prop))


def task_timeout(ctx: RunContext, task: Task) -> timedelta | None:
    """The task's `timeout`, rendered when it is an expression (a bad value fails the task, saying so)."""
    try:
        return durations.resolve(task.timeout, ctx.render_string)
    except ValueError as exc:
        raise TaskFailed(f"property 'timeout': {exc}") from None


def render_duration(ctx: RunContext, value: timedelta | str, prop: str) -> timedelta:
    """An ISO-8601 duration property (PT10S, P1D), rendered."""
    result: timedelta = render_as(ctx, value, Duration, prop)
    return result


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, dict):
        return any(_has_template(k) or _has_template(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_template(v) for v in value)
    return False


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = repr(text) if isinstance(value, str) else text
    return text if len(text) <= limit else text[: limit - 3] + "..."

