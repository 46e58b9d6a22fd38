"""The assets aggregate over SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from legato.store.database import Database
from legato.store.ports.assets import AssetEvent, AssetFilter, AssetLineage, AssetRecord, AssetUsage
from legato.store.ports.governance import TENANT
from legato.store.queries import Queries


class SqlAssets:
    """ports.AssetStore over SQL."""

    def __init__(self, db: Database, q: Queries):
        self._db = db
        self._q = q

    def record_asset_usages(self, inputs: Sequence[AssetRecord], outputs: Sequence[AssetRecord],
                            usages: Sequence[AssetUsage]) -> None:
        with self._db.write() as tx:
            self._q.assets.record(tx.conn, inputs, outputs, usages)

    def save_asset(self, record: AssetRecord) -> AssetRecord:
        with self._db.write() as tx:
            return self._q.assets.save(tx.conn, record)

    def get_asset(self, asset_id: str, tenant: str = TENANT) -> AssetRecord | None:
        with self._db.read() as conn:
            return self._q.assets.get(conn, tenant, asset_id)

    def search_assets(self, filters: AssetFilter, tenant: str = TENANT) -> tuple[list[AssetRecord], int]:
        with self._db.read() as conn:
            return self._q.assets.search(conn, tenant, filters)

    def delete_asset(self, asset_id: str, tenant: str = TENANT) -> bool:
        with self._db.write() as tx:
            return self._q.assets.delete(tx.conn, tenant, asset_id)

    def asset_usages(self, asset_id: str, tenant: str = TENANT, limit: int = 100) -> list[AssetUsage]:
        with self._db.read() as conn:
            return self._q.assets.usages(conn, tenant, asset_id, limit)

    def asset_usages_after(self, after: int, limit: int, *, since: datetime | None = None,
                           namespace: str | None = None, tenant: str = TENANT) -> list[AssetEvent]:
        with self._db.read() as conn:
            return self._q.assets.after(conn, tenant, after, limit, since, namespace)

    def execution_asset_usages(self, execution_id: str, tenant: str = TENANT) -> list[AssetEvent]:
        with self._db.read() as conn:
            return self._q.assets.of_execution(conn, tenant, execution_id)

    def asset_lineage(self, asset_id: str, tenant: str = TENANT) -> AssetLineage:
        with self._db.read() as conn:
            return self._q.assets.lineage(conn, tenant, asset_id)
