"""The namespace key-value store: typed JSON values with an optional expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, String, bindparam, delete, func, select

from legato.store.dialect import Dialect
from legato.store.ports import KVEntry
from legato.store.ports.tenants import MAIN
from legato.store.schema import kv

KV_TYPES = frozenset({"STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON"})
_k = kv.c
_LIVE = _k.expires_at.is_(None) | (_k.expires_at > bindparam("now"))


def _starts_with(prefix: Any) -> Any:
    # Not LIKE: SQLite's LIKE ignores case, and keys may hold % and _.
    return func.substr(_k.key, 1, func.length(prefix)) == prefix


class KVQueries:
    """Named queries over the kv table."""

    def __init__(self, dialect: Dialect):
        ns = (_k.tenant == bindparam("tenant")) & (_k.namespace == bindparam("ns"))
        key = ns & (_k.key == bindparam("b_key"))
        self._get = select(kv).where(key, _LIVE)
        self._upsert = dialect.upsert(kv, ["tenant", "namespace", "key"], ["type", "value", "expires_at", "updated"])
        self._delete = delete(kv).where(key).returning(_k.expires_at)
        self._list = select(kv).where(ns, _LIVE).order_by(_k.key)
        self._list_prefix = (
            select(kv)
            .where(ns, _LIVE, _starts_with(bindparam("prefix", type_=String)))
            .order_by(_k.key)
        )

    def get(self, conn: Connection, namespace: str, key: str, now: datetime, tenant: str = MAIN) -> KVEntry | None:
        """The live entry, or None when absent or expired."""
        row = conn.execute(self._get, {"tenant": tenant, "ns": namespace, "b_key": key, "now": now}).first()
        return _entry(row) if row else None

    def put(self, conn: Connection, namespace: str, key: str, value: Any, type: str, expires_at: datetime | None,
            now: datetime, tenant: str = MAIN) -> None:
        """Create or replace an entry."""
        if type not in KV_TYPES:
            raise ValueError(f"unknown KV type {type!r}; use one of {', '.join(sorted(KV_TYPES))}")
        params = {
            "tenant": tenant, "namespace": namespace, "key": key, "type": type, "value": value,
            "expires_at": expires_at, "updated": now,
        }
        conn.execute(self._upsert, params)

    def delete(self, conn: Connection, namespace: str, key: str, now: datetime, tenant: str = MAIN) -> bool:
        """Remove an entry; True when a live one was there."""
        row = conn.execute(self._delete, {"tenant": tenant, "ns": namespace, "b_key": key}).first()
        return row is not None and (row.expires_at is None or row.expires_at > now)

    def live(self, conn: Connection, namespace: str, now: datetime, prefix: str | None,
             tenant: str = MAIN) -> list[KVEntry]:
        """Live entries of a namespace by key, optionally under a key prefix."""
        if prefix:
            rows = conn.execute(self._list_prefix, {"tenant": tenant, "ns": namespace, "now": now, "prefix": prefix})
        else:
            rows = conn.execute(self._list, {"tenant": tenant, "ns": namespace, "now": now})
        return [_entry(r) for r in rows]

    def purge(self, conn: Connection, namespace: str, now: datetime, expired_only: bool, keys: Sequence[str] | None,
              tenant: str = MAIN) -> int:
        """Delete the namespace's entries (only expired ones, and/or only `keys`); how many went."""
        query = delete(kv).where(_k.tenant == tenant, _k.namespace == namespace)
        if keys is not None:
            if not keys:
                return 0
            query = query.where(_k.key.in_(list(keys)))
        if expired_only:
            query = query.where(_k.expires_at <= now)
        return conn.execute(query).rowcount


def _entry(row: Row[Any]) -> KVEntry:
    return KVEntry(
        namespace=row.namespace, key=row.key, type=row.type, value=row.value,
        expires_at=row.expires_at, updated=row.updated,
    )
