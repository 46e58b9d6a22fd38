"""Redis pub/sub: Publish values to a channel (each value one PUBLISH), from a list or a stored file."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.redis.connection import RedisTask, Serde, encode


@TASKS.register
class Publish(RedisTask):
    """Publish values to a Redis channel; `count` is how many subscribers received them in all."""

    TYPE: ClassVar[str] = "redis.pubsub.Publish"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.redis.pubsub.Publish", "io.kestra.plugin.redis.Publish")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: publish\ntype: io.kestra.plugin.redis.pubsub.Publish\nurl: redis://127.0.0.1:6379/0\nchannel: orders\n"
        "from:\n  - '{\"id\": 1}'\nserdeType: JSON\n",
    )

    channel: str = Field(description="The channel (rendered).")
    from_: list[Any] | str = Field(alias="from", description="Values to publish: a list, a JSON list as text, or the "
                                   "URI of a stored file (one value per line).")
    serdeType: Serde = Field(default="STRING", description="STRING: each value's text; JSON: each value as JSON.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        channel = ctx.render_string(self.channel)
        source = ctx.render(self.from_)
        if isinstance(source, str):
            try:
                source = json.loads(source)
            except ValueError:
                source = source.strip()
        async with self.client(ctx) as client:
            if isinstance(source, list):
                return {"count": await self._publish(client, channel, source)}
            if not (isinstance(source, str) and source.startswith("kestra:///")):
                raise TaskFailed("property 'from' must be a list of values or an internal storage URI (kestra:///...)")
            with stream.opened(ctx, source) as handle:
                return {"count": await self._publish(client, channel, stream.items(handle))}

    async def _publish(self, client: Any, channel: str, values: Any) -> int:
        received = 0
        for value in values:
            received += int(await client.publish(channel, encode(value, self.serdeType)))
        return received
