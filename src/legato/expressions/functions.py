"""The pure built-in functions; I/O functions are injected by the caller."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from legato.expressions.errors import ExpressionError
from legato.expressions.limits import LimitExceeded
from legato.expressions.runtime import State, make_range
from legato.expressions.values import compare, is_number, to_json, type_name

# Functions that need I/O or runtime state; the runtime passes them in as plain callables.
INJECTED = frozenset({"secret", "kv", "read", "fileURI", "fileSize", "fileExists", "fileEmpty",
                      "isFileEmpty", "http", "encrypt", "decrypt", "errorLogs", "tasksWithState"})
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_random = random.Random()  # noqa: S311 - randomInt is not for secrets


def fn_render(st: State, toRender: Any = None, recursive: bool = True) -> Any:
    """Render data as a template, again until stable when recursive (bounded by the render depth)."""
    value = toRender
    for _ in range(st.limits.max_render_depth):
        if not isinstance(value, str):
            return value
        rendered = st.engine.render_nested(st, value)
        if not recursive or rendered == value:
            return rendered
        value = rendered
    raise LimitExceeded("depth", f"render() nested deeper than the depth limit of {st.limits.max_render_depth}")


def fn_render_once(st: State, toRender: Any = None) -> Any:
    return fn_render(st, toRender, recursive=False)


def fn_uuid(st: State) -> Any:
    return str(uuid.uuid4())


def fn_id(st: State) -> Any:
    """A short random identifier, base62 of a UUID as Kestra's IdUtils."""
    n = uuid.uuid4().int
    out = []
    while n:
        n, r = divmod(n, 62)
        out.append(_BASE62[r])
    return "".join(reversed(out))


def fn_random_int(st: State, lower: Any, upper: Any) -> Any:
    if type(lower) is not int or type(upper) is not int or lower >= upper:
        raise ExpressionError("randomInt(lower, upper) needs integers with lower < upper (upper excluded)")
    return _random.randrange(lower, upper)


def fn_range(st: State, start: Any, end: Any, step: Any = 1) -> Any:
    return make_range(st, start, end, step)


def _extreme(name: str, args: tuple[Any, ...], pick_greater: bool) -> Any:
    values = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
    if not values:
        raise ExpressionError(f"{name}() needs at least one value")
    best = values[0]
    for v in values[1:]:
        if not (is_number(v) and is_number(best)) and type(v) is not type(best):
            raise ExpressionError(f"{name}() cannot compare {type_name(best)} and {type_name(v)}")
        if compare(">" if pick_greater else "<", v, best):
            best = v
    return best


def fn_max(st: State, *args: Any) -> Any:
    return _extreme("max", args, True)


def fn_min(st: State, *args: Any) -> Any:
    return _extreme("min", args, False)


def fn_print_context(st: State) -> Any:
    merged = {**dict(st.context.items()), **st.locals}
    return to_json(merged, pretty=True)  # sized and charged by call_function


def fn_current_each_output(st: State, outputs: Any = None) -> Any:
    """The entry of a ForEach task's outputs for the current iteration value(s)."""
    if not isinstance(outputs, Mapping):
        raise ExpressionError(f"currentEachOutput() needs the outputs map of a task, got {type_name(outputs)}")
    current: Any = outputs
    parents = _variable(st, "parents")
    if isinstance(parents, (list, tuple)):
        for parent in reversed(parents):
            taskrun = parent.get("taskrun") if isinstance(parent, Mapping) else None
            if isinstance(taskrun, Mapping) and taskrun.get("value") is not None:  # a parent inside a loop
                if not isinstance(current, Mapping) or current.get(taskrun["value"]) is None:
                    raise ExpressionError("currentEachOutput(): no outputs for the current task run path")
                current = current[taskrun["value"]]
    taskrun = _variable(st, "taskrun")
    if not isinstance(taskrun, Mapping) or not isinstance(current, Mapping):
        raise ExpressionError("currentEachOutput() can only be used inside a ForEach iteration")
    return current.get(taskrun.get("value"))


def fn_app_link(st: State, appId: Any = None, baseUrl: Any = None) -> Any:
    """Kestra's appLink(): the link to an app's page, `/ui/main/apps/<id>`. Without `appId`, the app that started
    this execution (its `system.app` label), showing this execution; `baseUrl` (the instance's address, e.g.
    'https://legato.example.com') makes it absolute."""
    labels = _variable(st, "labels")
    execution = _variable(st, "execution")
    started_by = labels.get("system.app") if isinstance(labels, Mapping) else None
    app_id = appId if appId is not None else started_by
    if not isinstance(app_id, str) or not app_id:
        raise ExpressionError("appLink() needs an app id: this execution was not started by an app")
    link = f"/ui/main/apps/{app_id}"
    if app_id == started_by and isinstance(execution, Mapping) and execution.get("id"):
        link += f"?execution={execution['id']}"
    if baseUrl is not None:
        if not isinstance(baseUrl, str) or not baseUrl.startswith(("http://", "https://")):
            raise ExpressionError("appLink(baseUrl=...) takes the instance's address, such as 'https://legato.example.com'")
        link = baseUrl.rstrip("/") + link
    return link


def _variable(st: State, name: str) -> Any:
    if name in st.locals:
        return st.locals[name]
    return st.context.get(name)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "render": fn_render, "renderOnce": fn_render_once, "uuid": fn_uuid, "id": fn_id,
    "randomInt": fn_random_int, "range": fn_range, "max": fn_max, "min": fn_min,
    "printContext": fn_print_context, "currentEachOutput": fn_current_each_output, "appLink": fn_app_link,
}
