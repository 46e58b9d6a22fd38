"""storage.FilterItems and DeduplicateItems: files of items (one JSON value per line) filtered by an
expression evaluated for each item. The expression sees the item as `value`, and a map item's fields by
name too (`{{ value.amount > 100 }}` or `{{ amount > 100 }}`)."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.core.storage_files import extension_of, source_uri
from legato.plugins.runnable import RunnableTask


def _aliases(name: str) -> tuple[str, ...]:
    return (f"io.kestra.plugin.core.storage.{name}", f"io.kestra.core.tasks.storages.{name}")


def _variables(item: Any) -> dict[str, Any]:
    fields = {str(k): v for k, v in item.items()} if isinstance(item, dict) else {}
    return {**fields, "value": item}


@TASKS.register
class FilterItems(RunnableTask):
    """Keep (INCLUDE) or drop (EXCLUDE) the items for which `filterCondition` is true."""

    TYPE: ClassVar[str] = "storage.FilterItems"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("FilterItems")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: big_orders
type: io.kestra.plugin.core.storage.FilterItems
from: "{{ outputs.orders.uri }}"
filterCondition: "{{ value.amount > 100 }}"
filterType: INCLUDE
errorOrNullBehavior: EXCLUDE
""",
    )

    from_: str = Field(alias="from", description="URI of the items file (one JSON value per line).")
    filterCondition: str = Field(description="An expression, true for the items the filter matches.")
    filterType: Literal["INCLUDE", "EXCLUDE"] = Field(default="INCLUDE", description="Keep the matching items, or drop them.")
    errorOrNullBehavior: Literal["FAIL", "INCLUDE", "EXCLUDE"] = Field(default="FAIL", description="What to do with an item whose condition fails or is null.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)

        def filter_items() -> dict[str, Any]:
            kept = total = 0
            with stream.Output(ctx, f"{ctx.task_run.task_id}{extension_of(uri, '.ion')}") as out, \
                    stream.opened(ctx, uri) as source:
                for item in stream.items(source):
                    total += 1
                    if self._keep(ctx, item):
                        kept += 1
                        out.write(stream.item_line(item))
                stored = out.save()
            return {"uri": stored, "processedItemsTotal": total, "droppedItemsTotal": total - kept}

        return await asyncio.to_thread(filter_items)

    def _keep(self, ctx: RunContext, item: Any) -> bool:
        try:
            verdict = ctx.render_with(self.filterCondition, _variables(item))
        except TaskFailed as exc:
            if self.errorOrNullBehavior == "FAIL":
                raise TaskFailed(f"filterCondition failed on item {item!r}: {exc}") from None
            return self.errorOrNullBehavior == "INCLUDE"
        if verdict is None or verdict == "":
            if self.errorOrNullBehavior == "FAIL":
                raise TaskFailed(f"filterCondition gave no value for item {item!r}")
            return self.errorOrNullBehavior == "INCLUDE"
        matched = verdict if isinstance(verdict, bool) else str(verdict).strip().lower() == "true"
        return matched == (self.filterType == "INCLUDE")


@TASKS.register
class DeduplicateItems(RunnableTask):
    """Keep one item per key, the last one seen, at its place in the file. The file is read twice and only
    the keys are held in memory."""

    TYPE: ClassVar[str] = "storage.DeduplicateItems"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("DeduplicateItems")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: latest_per_customer
type: io.kestra.plugin.core.storage.DeduplicateItems
from: "{{ outputs.orders.uri }}"
expr: "{{ customer_id }}"
""",
    )

    from_: str = Field(alias="from", description="URI of the items file (one JSON value per line).")
    expr: str = Field(description="An expression giving each item's key.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)

        def deduplicate() -> dict[str, Any]:
            # two passes, as Kestra does: the position of each key's last item, then the items at those positions
            last: dict[str, int] = {}
            total = 0
            with stream.opened(ctx, uri) as source:
                for total, item in enumerate(stream.items(source), 1):
                    last[self._key(ctx, item)] = total - 1
            kept = set(last.values())
            del last
            with stream.Output(ctx, f"{ctx.task_run.task_id}{extension_of(uri, '.ion')}") as out, \
                    stream.opened(ctx, uri) as source:
                for position, item in enumerate(stream.items(source)):
                    if position in kept:
                        out.write(stream.item_line(item))
                stored = out.save()
            return {"uri": stored, "processedItemsTotal": total, "droppedItemsTotal": total - len(kept)}

        return await asyncio.to_thread(deduplicate)

    def _key(self, ctx: RunContext, item: Any) -> str:
        key = ctx.render_with(self.expr, _variables(item))
        return key if isinstance(key, str) else repr(key)
