"""What every realtime consumer does the same way: render its connection settings (so that `{{ secret() }}`
and variables work), name itself, skip a message it cannot decode, and stop when cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from legato.plugins.triggers.base import TriggerContext


def rendered(ctx: TriggerContext, value: Any) -> Any:
    """`value` rendered through the expression engine (None stays None)."""
    return None if value is None else ctx.render(value)


def rendered_text(ctx: TriggerContext, value: Any) -> str | None:
    """`value` rendered to text (None stays None)."""
    out = rendered(ctx, value)
    return None if out is None else str(out)


def required_text(ctx: TriggerContext, value: Any, name: str) -> str:
    """`value` rendered to non-empty text; ValueError naming the property otherwise."""
    out = rendered_text(ctx, value)
    if not out:
        raise ValueError(f"trigger '{ctx.trigger_id}': {name} renders to an empty value ({value!r})")
    return out


def rendered_list(ctx: TriggerContext, value: str | list[str]) -> list[str]:
    """A property that is one name or a list of names (topics, channels), rendered: a list of non-empty text."""
    out = rendered(ctx, value)
    items = out if isinstance(out, list) else [out]
    names = [str(item) for item in items if item is not None and str(item) != ""]
    if not names:
        raise ValueError(f"no name left after rendering {value!r}")
    return names


def identity(ctx: TriggerContext) -> str:
    """A name unique to this trigger (consumer names, client ids, processing lists)."""
    return f"legato.{ctx.namespace}.{ctx.flow_id}.{ctx.trigger_id}"


def check_cancelled() -> None:
    """Re-raise a cancellation that a client library swallowed: redis-py 8 can absorb one that lands during a
    blocking read and go on with the next command, which would keep a cancelled consumer running."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def drop(ctx: TriggerContext, where: str, exc: Exception, ack: Callable[[], Awaitable[None]] | None) -> None:
    """Log a message that cannot be decoded and acknowledge it, so that it does not come back forever
    (Kafka's `onSerdeError: SKIPPED`, applied to every source)."""
    ctx.log.error("trigger %s: skipped a message from %s: %s", ctx.trigger_id, where, exc)
    if ack is not None:
        await ack()
