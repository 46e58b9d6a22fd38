"""Assets and their usages: one row per (tenant, asset id), one per (tenant, task run, asset, direction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    and_,
    bindparam,
    delete,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from legato.store.dialect import Dialect
from legato.store.ports.assets import AssetEvent, AssetFilter, AssetLineage, AssetRecord, AssetUsage
from legato.store.schema import asset_usages, assets

_a = assets.c
_u = asset_usages.c
_FIELDS = ["namespace", "type", "display_name", "description", "metadata", "updated"]


class AssetQueries:
    """Named queries over the assets and asset_usages tables."""

    def __init__(self, dialect: Dialect):
        key = (_a.tenant == bindparam("tenant")) & (_a.id == bindparam("asset_id"))
        self._upsert = dialect.upsert(assets, ["tenant", "id"], _FIELDS)
        self._insert_new = dialect.insert_ignore(assets, ["tenant", "id"])
        self._add_usage = dialect.insert_ignore(asset_usages, ["tenant", "task_run_id", "asset_id", "direction"])
        self._get = select(assets).where(key)
        self._delete = delete(assets).where(key)
        self._delete_usages = delete(asset_usages).where(
            (_u.tenant == bindparam("tenant")) & (_u.asset_id == bindparam("asset_id")))
        self._usages = (select(asset_usages)
                        .where((_u.tenant == bindparam("tenant")) & (_u.asset_id == bindparam("asset_id")))
                        .order_by(_u.created.desc(), _u.task_run_id).limit(bindparam("limit")))
        mine, other = aliased(asset_usages), aliased(asset_usages)
        same_run = and_(other.c.tenant == mine.c.tenant, other.c.task_run_id == mine.c.task_run_id,
                        other.c.asset_id != mine.c.asset_id)
        self._neighbours = (select(other.c.asset_id).distinct()
                            .join_from(mine, other, same_run)
                            .where(mine.c.tenant == bindparam("tenant"), mine.c.asset_id == bindparam("asset_id"),
                                   mine.c.direction == bindparam("mine"), other.c.direction == bindparam("other"))
                            .order_by(other.c.asset_id))

    def record(self, conn: Connection, inputs: Sequence[AssetRecord], outputs: Sequence[AssetRecord],
               usages: Sequence[AssetUsage]) -> None:
        """Create the inputs not known yet, create or update the outputs, add the usages not recorded yet."""
        for asset in inputs:
            conn.execute(self._insert_new, _row(asset))
        for asset in outputs:
            known = self.get(conn, asset.tenant, asset.id)
            conn.execute(self._upsert, _row(_declared_over(known, asset)))
        if usages:
            conn.execute(self._add_usage, [_usage_row(u) for u in usages])

    def save(self, conn: Connection, record: AssetRecord) -> AssetRecord:
        """Insert or replace an asset (the creation date of a replaced one stays)."""
        conn.execute(self._upsert, _row(record))
        saved = self.get(conn, record.tenant, record.id)
        assert saved is not None
        return saved

    def get(self, conn: Connection, tenant: str, asset_id: str) -> AssetRecord | None:
        """One asset, or None."""
        row = conn.execute(self._get, {"tenant": tenant, "asset_id": asset_id}).first()
        return _record(row) if row else None

    def search(self, conn: Connection, tenant: str, filters: AssetFilter) -> tuple[list[AssetRecord], int]:
        """A page of the matching assets by id, and how many match."""
        where = [_a.tenant == tenant]
        if filters.namespace:
            where.append(_within(filters.namespace))
        if filters.scopes is not None:
            where.append(or_(false(), *(_within(s) for s in filters.scopes)))
        if filters.type:
            where.append(_a.type == filters.type)
        if filters.q:
            text = filters.q.lower()
            where.append(or_(func.lower(_a.id).contains(text, autoescape=True),
                             func.lower(_a.display_name).contains(text, autoescape=True)))
        total = conn.execute(select(func.count()).select_from(assets).where(*where)).scalar_one()
        page = select(assets).where(*where).order_by(_a.id).limit(filters.limit).offset(filters.offset)
        return [_record(r) for r in conn.execute(page)], int(total)

    def delete(self, conn: Connection, tenant: str, asset_id: str) -> bool:
        """Delete an asset and its usages; True when the asset existed."""
        conn.execute(self._delete_usages, {"tenant": tenant, "asset_id": asset_id})
        return conn.execute(self._delete, {"tenant": tenant, "asset_id": asset_id}).rowcount == 1

    def usages(self, conn: Connection, tenant: str, asset_id: str, limit: int) -> list[AssetUsage]:
        """The latest usages of an asset, newest first."""
        rows = conn.execute(self._usages, {"tenant": tenant, "asset_id": asset_id, "limit": limit})
        return [_usage(r) for r in rows]

    def after(self, conn: Connection, tenant: str, after: int, limit: int, since: datetime | None,
              namespace: str | None) -> list[AssetEvent]:
        """Usages past position `after`, in the order recorded, each with its asset as it is now."""
        query = _with_assets().where(_u.tenant == tenant, _u.id > after).order_by(_u.id).limit(limit)
        if since is not None:
            query = query.where(_u.created >= since)
        if namespace is not None:
            query = query.where(or_(_u.namespace == namespace,
                                    _u.namespace.startswith(namespace + ".", autoescape=True)))
        return [_event(r) for r in conn.execute(query)]

    def of_execution(self, conn: Connection, tenant: str, execution_id: str) -> list[AssetEvent]:
        """What an execution's task runs read and wrote, in the order recorded."""
        query = _with_assets().where(_u.tenant == tenant, _u.execution_id == execution_id).order_by(_u.id)
        return [_event(r) for r in conn.execute(query)]

    def lineage(self, conn: Connection, tenant: str, asset_id: str) -> AssetLineage:
        """The assets read by the runs that wrote this one, and written by the runs that read it."""
        def ids(mine: str, other: str) -> list[str]:
            return list(conn.execute(self._neighbours, {"tenant": tenant, "asset_id": asset_id, "mine": mine,
                                                        "other": other}).scalars())
        return AssetLineage(upstream=ids("OUT", "IN"), downstream=ids("IN", "OUT"))


def _within(namespace: str) -> ColumnElement[bool]:
    """The asset is in `namespace` or one of its children."""
    return or_(_a.namespace == namespace, _a.namespace.startswith(namespace + ".", autoescape=True))


def _declared_over(known: AssetRecord | None, declared: AssetRecord) -> AssetRecord:
    """An output as declared, over what was known of it: what the declaration leaves out stays."""
    if known is None:
        return declared
    return AssetRecord(
        declared.id, declared.namespace or known.namespace, declared.type or known.type,
        declared.display_name or known.display_name, declared.description or known.description,
        declared.metadata, known.created, declared.updated, declared.tenant)


def _row(r: AssetRecord) -> dict[str, Any]:
    return {"tenant": r.tenant, "id": r.id, "namespace": r.namespace, "type": r.type, "display_name": r.display_name,
            "description": r.description, "metadata": r.metadata, "created": r.created, "updated": r.updated}


def _usage_row(u: AssetUsage) -> dict[str, Any]:
    return {"tenant": u.tenant, "task_run_id": u.task_run_id, "asset_id": u.asset_id, "direction": u.direction,
            "execution_id": u.execution_id, "namespace": u.namespace, "flow_id": u.flow_id, "task_id": u.task_id,
            "created": u.created}


def _with_assets() -> Select[Any]:
    """Usages, each with its asset's columns as `a_<column>` (None when the asset is gone)."""
    joined = asset_usages.outerjoin(assets, and_(_a.tenant == _u.tenant, _a.id == _u.asset_id))
    return select(asset_usages, *[c.label(f"a_{c.name}") for c in assets.c]).select_from(joined)


def _event(r: Row[Any]) -> AssetEvent:
    asset = None if r.a_id is None else AssetRecord(
        r.a_id, r.a_namespace, r.a_type, r.a_display_name, r.a_description, dict(r.a_metadata or {}), r.a_created,
        r.a_updated, r.a_tenant)
    return AssetEvent(r.id, _usage(r), asset)


def _usage(r: Row[Any]) -> AssetUsage:
    return AssetUsage(r.asset_id, r.direction, r.execution_id, r.namespace, r.flow_id, r.task_id, r.task_run_id,
                      r.created, r.tenant)


def _record(row: Row[Any]) -> AssetRecord:
    return AssetRecord(row.id, row.namespace, row.type, row.display_name, row.description, dict(row.metadata or {}),
                       row.created, row.updated, row.tenant)
