"""Assets, for the API: search them, read one with its lineage and the task runs that used it, register or fix
one by hand, delete one. Every function checks the acting principal's ASSET permission on the asset's namespace
(an asset without one needs the permission on the whole instance); writes are audited. Flows record assets
themselves, through the worker (legato.worker.assets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from legato.identity.permissions import Action, Resource
from legato.services import audit
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal, require, require_instance, search_scope, visible
from legato.store.ports import (
    AssetEvent,
    AssetFilter,
    AssetRecord,
    AssetStore,
    AssetUsage,
    AuditLog,
    ExecutionReader,
)


class AssetPorts(AssetStore, AuditLog, Protocol):
    """What the asset services use: the assets, and the audit log."""


class ExecutionAssets(ExecutionReader, AssetStore, Protocol):
    """An execution's assets: the execution (its namespace is checked), and the assets."""


@dataclass(frozen=True)
class AssetChange:
    """What a person says of an asset registered or fixed by hand."""

    namespace: str | None = None
    type: str | None = None
    display_name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AssetDetail:
    """One asset, the assets directly upstream and downstream of it that the reader may see, and its latest uses."""

    record: AssetRecord
    upstream: list[AssetRecord]
    downstream: list[AssetRecord]
    usages: list[AssetUsage]


def _check(by: Principal, action: Action, namespace: str | None) -> None:
    if namespace is None:
        require_instance(by, Resource.ASSET, action)
    else:
        require(by, Resource.ASSET, action, namespace)


def _sees(by: Principal, record: AssetRecord) -> bool:
    if record.namespace is None:
        return by.grants.allows_instance(Resource.ASSET, Action.VIEW)
    return visible(by, Resource.ASSET, Action.VIEW, record.namespace)


def search(store: AssetStore, filters: AssetFilter, *, by: Principal) -> tuple[list[AssetRecord], int]:
    """A page of the assets `by` may list, by id, and how many match."""
    namespace, scopes = search_scope(by, Resource.ASSET, Action.LIST, filters.namespace)
    if scopes is not None:
        filters = AssetFilter(namespace, filters.type, filters.q, filters.limit, filters.offset, scopes=scopes)
    return store.search_assets(filters, tenant=by.tenant)


def find(store: AssetStore, asset_id: str, *, by: Principal) -> AssetRecord:
    """One asset `by` may view (NotFoundError when there is none)."""
    record = store.get_asset(asset_id, tenant=by.tenant)
    if record is None:
        raise NotFoundError(f"asset '{asset_id}' not found")
    _check(by, Action.VIEW, record.namespace)
    return record


def detail(store: AssetStore, asset_id: str, *, by: Principal, usages: int = 100) -> AssetDetail:
    """One asset with its lineage and its latest uses, each shown only where `by` may see it."""
    record = find(store, asset_id, by=by)
    lineage = store.asset_lineage(asset_id, tenant=by.tenant)

    def shown(ids: list[str]) -> list[AssetRecord]:
        found = (store.get_asset(i, tenant=by.tenant) for i in ids)
        return [r for r in found if r is not None and _sees(by, r)]

    uses = [u for u in store.asset_usages(asset_id, tenant=by.tenant, limit=usages)
            if visible(by, Resource.EXECUTION, Action.VIEW, u.namespace)]
    return AssetDetail(record, shown(lineage.upstream), shown(lineage.downstream), uses)


def of_execution(store: ExecutionAssets, execution_id: str, *, by: Principal) -> list[AssetEvent]:
    """What an execution's task runs read and wrote, in the order recorded; each asset `by` may not see is left
    without its details (its id stays: the execution says it used it)."""
    execution = store.get_execution(execution_id, tenant=by.tenant)
    if execution is None:
        raise NotFoundError(f"execution '{execution_id}' not found")
    require(by, Resource.EXECUTION, Action.VIEW, execution.namespace)
    return [e if e.asset is None or _sees(by, e.asset) else AssetEvent(e.position, e.usage, None)
            for e in store.execution_asset_usages(execution_id, tenant=by.tenant)]


def create(store: AssetPorts, asset_id: str, change: AssetChange, *, by: Principal, now: datetime) -> AssetRecord:
    """Register an asset no flow manages; ConflictError when its id is taken."""
    _check(by, Action.CREATE, change.namespace)
    if store.get_asset(asset_id, tenant=by.tenant) is not None:
        raise ConflictError(f"asset '{asset_id}' already exists; update it with PUT /assets/{asset_id}")
    return _save(store, asset_id, change, None, by=by, now=now)


def update(store: AssetPorts, asset_id: str, change: AssetChange, *, by: Principal, now: datetime) -> AssetRecord:
    """Replace what is said of an asset (NotFoundError when there is none)."""
    before = store.get_asset(asset_id, tenant=by.tenant)
    if before is None:
        raise NotFoundError(f"asset '{asset_id}' not found")
    _check(by, Action.UPDATE, before.namespace)
    if change.namespace != before.namespace:
        _check(by, Action.UPDATE, change.namespace)
    return _save(store, asset_id, change, before, by=by, now=now)


def delete(store: AssetPorts, asset_id: str, *, by: Principal, now: datetime) -> None:
    """Delete an asset and its recorded uses (NotFoundError when there is none)."""
    before = store.get_asset(asset_id, tenant=by.tenant)
    if before is None:
        raise NotFoundError(f"asset '{asset_id}' not found")
    _check(by, Action.DELETE, before.namespace)
    with audit.action(store, by, "DELETE", "ASSET", asset_id, namespace=before.namespace, now=now):
        store.delete_asset(asset_id, tenant=by.tenant)


def _save(store: AssetPorts, asset_id: str, change: AssetChange, before: AssetRecord | None, *, by: Principal,
          now: datetime) -> AssetRecord:
    record = AssetRecord(asset_id, change.namespace, change.type, change.display_name, change.description,
                         dict(change.metadata), before.created if before else now, now, tenant=by.tenant)
    details = audit.changed(_said(before) if before else None, _said(record))
    with audit.action(store, by, "CREATE" if before is None else "UPDATE", "ASSET", asset_id,
                      namespace=record.namespace, now=now, details=details):
        return store.save_asset(record)


def _said(record: AssetRecord) -> dict[str, Any]:
    return {"namespace": record.namespace, "type": record.type, "displayName": record.display_name,
            "description": record.description, "metadata": record.metadata}
