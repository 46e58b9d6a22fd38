"""What the AWS messaging tasks share: the values of a `from`/`entries`/`records` property as Kestra reads them
(one map, a list of maps, or the URI of an internal-storage file holding one value per line), values as message
text, and counters recorded as the task's metrics."""

from __future__ import annotations

import json
from typing import Any

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream


def items(ctx: RunContext, value: Any, prop: str) -> list[Any]:
    """The values of `prop`: each map rendered; a string renders to a storage URI whose lines are the values
    (or to JSON text of a list or map)."""
    if isinstance(value, str):
        rendered = ctx.render(value)
        if isinstance(rendered, str):
            text = rendered.strip()
            if text.startswith("kestra://"):
                with stream.opened(ctx, text) as handle:
                    return list(stream.items(handle))
            try:
                rendered = json.loads(text)
            except ValueError:
                raise TaskFailed(f"property '{prop}': {text[:100]!r} is neither an internal-storage URI nor JSON") from None
        value = rendered
    if isinstance(value, dict):
        return [ctx.render(value)]
    if isinstance(value, list):
        return [ctx.render(v) for v in value]
    raise TaskFailed(f"property '{prop}' must be a map, a list of maps or an internal-storage URI")


def mapping(value: Any, prop: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TaskFailed(f"property '{prop}': each item must be a map, not {type(value).__name__}")
    return value


def text(value: Any) -> str:
    """A value as message text: strings as they are, other values as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else text(value)


def counter(ctx: RunContext, name: str, value: float, **tags: str) -> None:
    ctx.effects.extra.setdefault("metrics", []).append({"name": name, "type": "counter", "value": value, "tags": tags})


def store_lines(ctx: RunContext, name: str, values: list[Any]) -> str:
    """One value per line (JSON) in a new internal-storage file of the task; its URI."""
    with stream.Output(ctx, name) as out:
        for value in values:
            out.write(stream.item_line(value))
        return out.save()
