"""The MongoDB polling trigger: run a find every `interval` (default PT1M) and start the flow when it returns
documents; `trigger.rows` (or `trigger.uri` with `store: true`) and `trigger.size`, as Find's outputs."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TRIGGERS
from legato.plugins.mongodb.connection import PREFIX, MongoConnected, collection, jsonable, plain
from legato.plugins.mongodb.query import FindFields, cursor
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext
from legato.storage import ion


@TRIGGERS.register
class Trigger(MongoConnected, FindFields, PollingTrigger):
    """Start an execution when a MongoDB query returns documents."""

    TYPE: ClassVar[str] = "mongodb.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Trigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: new_orders\ntype: {PREFIX}.Trigger\ninterval: PT5M\nconnection:\n  uri: \"{{{{ secret('MONGODB_URI') }}}}\"\n"
        "database: shop\ncollection: orders\nfilter:\n  status: new\nsort:\n  createdAt: 1\n",
    )

    interval: Duration = Field(default=timedelta(seconds=60), description="Time between two queries (ISO-8601, default PT60S).")

    def source(self) -> PollingSource:
        return _Source(self)


class _Source:
    def __init__(self, trigger: Trigger) -> None:
        self.trigger = trigger

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        t = self.trigger
        to_storage = t.store if isinstance(t.store, bool) else str(ctx.render(t.store)).strip().lower() == "true"
        async with collection(ctx.render, t) as coll:
            documents = [plain(doc) async for doc in cursor(ctx.render, t, coll)]
        if not documents:
            return None
        if not to_storage:
            return Poll(variables={"rows": jsonable(documents), "size": len(documents)})
        if ctx.storage is None:
            raise ValueError(f"trigger '{t.id}': store needs internal storage")
        with tempfile.NamedTemporaryFile("w", suffix=".ion", delete=False, encoding="utf-8") as handle:
            handle.writelines(ion.dumps(doc) + "\n" for doc in documents)
        path = Path(handle.name)
        try:
            uri = ctx.storage.put_file(ctx.file_uri("documents.ion"), path)
        finally:
            path.unlink(missing_ok=True)
        return Poll(variables={"uri": uri, "size": len(documents)})
