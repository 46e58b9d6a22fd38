"""The assets aggregate (Kestra's Assets): the resources flows read and write, and each use a task run made of
one, from which the lineage between assets is read (within one task run, each asset read is upstream of each
asset written)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from legato.store.ports.governance import TENANT

Direction = Literal["IN", "OUT"]


@dataclass(frozen=True)
class AssetRecord:
    """A stored asset. `namespace`, `type`, `display_name` and `description` are None when nobody said."""

    id: str
    namespace: str | None
    type: str | None
    display_name: str | None
    description: str | None
    metadata: dict[str, Any]
    created: datetime
    updated: datetime
    tenant: str = TENANT


@dataclass(frozen=True)
class AssetUsage:
    """One task run's read (IN) or write (OUT) of an asset."""

    asset_id: str
    direction: Direction
    execution_id: str
    namespace: str
    flow_id: str
    task_id: str
    task_run_id: str
    created: datetime
    tenant: str = TENANT


@dataclass(frozen=True)
class AssetFilter:
    """What a search keeps: a namespace (and its children), a type, a text in the id or display name
    (case-insensitive); and its page. `scopes`: only the assets in one of these namespaces (or their children),
    those a reader bound on some namespaces may see; None: not limited."""

    namespace: str | None = None
    type: str | None = None
    q: str | None = None
    limit: int = 50
    offset: int = 0
    scopes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class AssetLineage:
    """The ids of the assets directly upstream (read by the runs that wrote it) and downstream (written by the
    runs that read it) of one asset."""

    upstream: list[str] = field(default_factory=list)
    downstream: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AssetEvent:
    """A usage with its position in the order usages were recorded, and its asset as it is now (None when the
    asset was deleted meanwhile): what an AssetShipper ships."""

    position: int
    usage: AssetUsage
    asset: AssetRecord | None


class AssetStore(Protocol):
    def record_asset_usages(self, inputs: Sequence[AssetRecord], outputs: Sequence[AssetRecord],
                            usages: Sequence[AssetUsage]) -> None:
        """In one transaction: create the assets read that are not known yet (an existing one is left as it is),
        create or update the assets written (their type and metadata replaced; namespace, display name and
        description replaced when given), and add the usages, each once per (task run, asset, direction): a
        result reported twice adds nothing."""
        ...

    def save_asset(self, record: AssetRecord) -> AssetRecord:
        """Create or replace an asset by hand (a replaced one keeps its creation date); the stored record."""
        ...

    def get_asset(self, asset_id: str, tenant: str = TENANT) -> AssetRecord | None: ...

    def search_assets(self, filters: AssetFilter, tenant: str = TENANT) -> tuple[list[AssetRecord], int]:
        """A page of the assets of `tenant` matching `filters`, by id, and how many match in all."""
        ...

    def delete_asset(self, asset_id: str, tenant: str = TENANT) -> bool:
        """Delete an asset and its usages; True when it existed."""
        ...

    def asset_usages(self, asset_id: str, tenant: str = TENANT, limit: int = 100) -> list[AssetUsage]:
        """The latest uses of an asset, newest first."""
        ...

    def asset_usages_after(self, after: int, limit: int, *, since: datetime | None = None,
                           namespace: str | None = None, tenant: str = TENANT) -> list[AssetEvent]:
        """Up to `limit` usages recorded after position `after` (and at or after `since`), of flows in `namespace`
        and below when given, in the order recorded."""
        ...

    def execution_asset_usages(self, execution_id: str, tenant: str = TENANT) -> list[AssetEvent]:
        """What an execution's task runs read and wrote, in the order recorded, each with its asset as it is now."""
        ...

    def asset_lineage(self, asset_id: str, tenant: str = TENANT) -> AssetLineage:
        """The assets directly upstream and downstream of one, each id once, sorted."""
        ...
