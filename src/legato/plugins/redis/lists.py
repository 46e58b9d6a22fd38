"""Redis lists: ListPush (LPUSH values from a list or a stored file) and ListPop (LPOP into a stored file,
until `maxRecords` elements or `maxDuration`)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, ClassVar

from pydantic import Field, model_validator

from legato.model.durations import Duration
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.redis.connection import RedisTask, Serde, decode, encode
from legato.plugins.runnable import Expression, render_as, render_optional

_PREFIX = "io.kestra.plugin.redis"


@TASKS.register
class ListPush(RedisTask):
    """Push values at the head of a Redis list (LPUSH), from a list or a stored file (one value per line)."""

    TYPE: ClassVar[str] = "redis.list.ListPush"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.list.ListPush", f"{_PREFIX}.ListPush")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: push\ntype: io.kestra.plugin.redis.list.ListPush\nurl: redis://127.0.0.1:6379/0\nkey: orders\nfrom:\n  - order-1\n  - order-2\n",
        "id: push_file\ntype: io.kestra.plugin.redis.list.ListPush\nurl: redis://127.0.0.1:6379/0\nkey: orders\n"
        "from: \"{{ outputs.query.uri }}\"\nserdeType: JSON\n",
    )

    key: str = Field(description="The list (rendered).")
    from_: list[Any] | str = Field(alias="from", description="Values to push: a list, a JSON list as text, or the URI of "
                                   "a stored file (one value per line).")
    serdeType: Serde = Field(default="STRING", description="STRING: each value's text; JSON: each value as JSON.")
    batchSize: int | Expression = Field(default=1000, description="Values sent per LPUSH.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        key = ctx.render_string(self.key)
        size = int(render_as(ctx, self.batchSize, int, "batchSize"))
        if size < 1:
            raise TaskFailed("property 'batchSize' must be at least 1")
        source = ctx.render(self.from_)
        if isinstance(source, str):
            try:
                source = json.loads(source)
            except ValueError:
                source = source.strip()
        async with self.client(ctx) as client:
            if isinstance(source, list):
                return {"count": await self._push(client, key, source, size)}
            if not (isinstance(source, str) and source.startswith("kestra:///")):
                raise TaskFailed("property 'from' must be a list of values or an internal storage URI (kestra:///...)")
            with stream.opened(ctx, source) as handle:
                return {"count": await self._push(client, key, stream.items(handle), size)}

    async def _push(self, client: Any, key: str, values: Any, size: int) -> int:
        count = 0
        batch: list[str] = []
        for value in values:
            batch.append(encode(value, self.serdeType))
            if len(batch) >= size:
                await client.lpush(key, *batch)
                count, batch = count + len(batch), []
        if batch:
            await client.lpush(key, *batch)
            count += len(batch)
        return count


@TASKS.register
class ListPop(RedisTask):
    """Pop elements from the head of a Redis list (LPOP) into a stored file (`uri`, one per line) until
    `maxRecords` elements or `maxDuration` (one of them is required, or it would never end)."""

    TYPE: ClassVar[str] = "redis.list.ListPop"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.list.ListPop", f"{_PREFIX}.ListPop")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: pop\ntype: io.kestra.plugin.redis.list.ListPop\nurl: redis://127.0.0.1:6379/0\nkey: orders\nmaxRecords: 100\nserdeType: JSON\n",
    )

    key: str = Field(description="The list (rendered).")
    serdeType: Serde = Field(default="STRING", description="STRING: elements as text; JSON: parsed.")
    count: int | Expression = Field(default=100, description="Elements popped per LPOP.")
    maxRecords: int | Expression | None = Field(default=None, description="Stop after this many elements.")
    maxDuration: Duration | Expression | None = Field(default=None, description="Stop after this long (ISO-8601 duration).")

    @model_validator(mode="after")
    def _bounded(self) -> ListPop:
        if self.maxRecords is None and self.maxDuration is None:
            raise ValueError("maxDuration or maxRecords must be set, or the task would never end")
        return self

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        key = ctx.render_string(self.key)
        per_call = int(render_as(ctx, self.count, int, "count"))
        limit = render_optional(ctx, self.maxRecords, int, "maxRecords")
        duration = render_optional(ctx, self.maxDuration, Duration, "maxDuration")
        deadline = None if duration is None else time.monotonic() + duration.total_seconds()
        total = 0
        with stream.Output(ctx, f"{ctx.task_run.task_id}.ion") as out:
            async with self.client(ctx) as client:
                while limit is None or total < limit:
                    want = per_call if limit is None else min(per_call, limit - total)
                    popped = await client.lpop(key, want) or []
                    for raw in popped:
                        out.write(stream.item_line(decode(raw, self.serdeType)))
                    total += len(popped)
                    if deadline is not None and time.monotonic() >= deadline:
                        break
                    if not popped:
                        if deadline is None:
                            break  # maxRecords only: the list is empty, nothing more to wait for
                        await asyncio.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
            uri = out.save()
        return {"uri": uri, "count": total}
