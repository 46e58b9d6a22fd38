"""assets.AssetShipper (Kestra EE's `io.kestra.plugin.ee.assets.AssetShipper`, in Legato's open core): send the
uses of assets recorded since its last run — each read or write of an asset by a task run, with the asset as it is
now — to one or more destinations (`assetExporters`; a file of internal storage here), typically from a scheduled
flow, for a catalogue or a lineage tool to load.

Where the last run stopped is kept in the KV store of the flow's namespace under `offsetKey` (the position of the
last use shipped, and its date), so each use is shipped once; the first run starts `lookbackPeriod` ago. The offset
moves only once every exporter has taken every use: a failed run ships the same uses again next time.

A flow ships the uses by flows of its own namespace and those under it (`flowNamespace` narrows it), never another
team's; a flow of the system namespace (LEGATO_SYSTEM_NAMESPACE, default system) ships every namespace's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.core.log_exporters import Entry, FileLogExporter, LogExporter
from legato.plugins.core.log_shipper import Read, Shipper, system_namespace
from legato.plugins.core.purge import reachable
from legato.plugins.runnable import (
    render_optional_text,
    render_text,
)
from legato.plugins.subplugins import sub_plugin
from legato.store.ports import AssetEvent


class FileAssetExporter(FileLogExporter):
    """Write the asset uses to files of internal storage (one JSON document a line, which is also ION text), at most
    `maxLinesPerFile` each; their URIs are the exporter's `uris` output."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.assets.FileAssetExporter"

    logFilePrefix: str = Field(default="kestra-asset-file", description="Start of each file's name, followed by the date and time of the run.")


Exporter = Annotated[LogExporter, *sub_plugin("asset exporter", [FileAssetExporter])]


@TASKS.register
class AssetShipper(Shipper):
    """Ship the uses of assets recorded since the last run to every exporter of `assetExporters`. Outputs: `size`
    (uses shipped), `offsetKey`, `lastAssetDate`, and `outputs` per exporter id (`uris` of the files written)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.assets.AssetShipper"
    DATE_OUTPUT: ClassVar[str] = "lastAssetDate"
    NOUNS: ClassVar[tuple[str, str]] = ("asset use", "asset uses")
    WHOSE: ClassVar[str] = "an asset shipper's"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: ship_assets
type: io.kestra.plugin.ee.assets.AssetShipper
lookbackPeriod: P1D
assetExporters:
  - id: file
    type: io.kestra.plugin.ee.assets.FileAssetExporter
    format: JSON
""",
    )

    assetExporters: list[Exporter] = Field(min_length=1, description="Where the uses go: one or more exporters, each with its `id` and `type`.")
    offsetKey: str = Field(default="AssetShipper-state", description="KV key of the flow's namespace that keeps where the last run stopped.")
    flowNamespace: str | None = Field(default=None, description="Only uses by flows of this namespace and those under it: the flow's own or one under it (a flow of the system namespace may name any, and ships every namespace by default).")
    flowId: str | None = Field(default=None, description="Only uses by this flow.")
    taskId: str | None = Field(default=None, description="Only uses by this task.")
    assetNamespace: str | None = Field(default=None, description="Only assets of this namespace and those under it.")
    assetTypes: list[str] | None = Field(default=None, description="Only assets of these types.")
    delete: Literal[False] = Field(default=False, description="Accepted for Kestra's flows, false only: shipping deletes nothing.")

    def exporters(self) -> list[LogExporter]:
        return self.assetExporters

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        wanted = render_optional_text(ctx, self.flowNamespace)
        namespace = wanted if ctx.flow_namespace == system_namespace() else reachable(ctx, wanted, "flowNamespace")
        keep = self._filter(ctx)

        def read(after: int, limit: int, since: datetime | None) -> Read | None:
            events = ctx.operations.asset_events_after(after, limit, since=since, namespace=namespace)
            if not events:
                return None
            return Read([_entry(e) for e in events if keep(e)], events[-1].position, events[-1].usage.created,
                        len(events) == limit)

        _, _, outputs = await self.ship(ctx, read)
        return outputs

    def _filter(self, ctx: RunContext) -> Callable[[AssetEvent], bool]:
        """Which uses to ship, by flow, task, asset namespace and type."""
        flow_id, task_id = render_optional_text(ctx, self.flowId), render_optional_text(ctx, self.taskId)
        asset_ns = render_optional_text(ctx, self.assetNamespace)
        types = {render_text(ctx, t) for t in self.assetTypes} if self.assetTypes else None

        def keep(event: AssetEvent) -> bool:
            asset, usage = event.asset, event.usage
            if (flow_id and usage.flow_id != flow_id) or (task_id and usage.task_id != task_id):
                return False
            if asset_ns and not (asset and asset.namespace and (asset.namespace == asset_ns
                                                                 or asset.namespace.startswith(asset_ns + "."))):
                return False
            return types is None or (asset is not None and asset.type in types)
        return keep


def _entry(event: AssetEvent) -> Entry:
    """One use, with the asset as it is now: what a catalogue loads."""
    u, a = event.usage, event.asset
    entry: Entry = {"tenantId": u.tenant, "assetId": u.asset_id, "direction": u.direction,
                    "timestamp": u.created.isoformat(), "namespace": u.namespace, "flowId": u.flow_id,
                    "executionId": u.execution_id, "taskId": u.task_id, "taskRunId": u.task_run_id}
    if a is not None:
        entry["asset"] = {k: v for k, v in {"id": a.id, "namespace": a.namespace, "type": a.type,
                                             "displayName": a.display_name, "description": a.description,
                                             "metadata": a.metadata}.items() if v is not None}
    return entry
