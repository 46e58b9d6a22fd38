"""The key-value store of a namespace, for the API: set and delete keys, audited (the type and expiry of a
value, never the value itself, which may be sensitive)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from legato.services import audit
from legato.services.errors import NotFoundError
from legato.services.principal import Principal
from legato.store.ports import AuditLog, KVEntry, KVStore


class KVPorts(KVStore, AuditLog, Protocol):
    """What the KV services use: the KV store, and the audit log of their changes."""


def find(store: KVStore, namespace: str, key: str, *, tenant: str, now: datetime) -> KVEntry:
    """The live (not expired) entry of `key`; NotFoundError otherwise."""
    entry = store.kv_get(namespace, key, now, tenant=tenant)
    if entry is None:
        raise NotFoundError(f"no value for key '{key}' in namespace '{namespace}'")
    return entry


def put(store: KVPorts, namespace: str, key: str, value: Any, *, type: str, expires_at: datetime | None,
        by: Principal, now: datetime) -> None:
    """Create or replace a key (ValueError for an unknown type)."""
    before = store.kv_get(namespace, key, now, tenant=by.tenant)
    details = audit.changed(None if before is None else _shown(before.type, before.expires_at),
                            _shown(type, expires_at))
    with audit.action(store, by, "CREATE" if before is None else "UPDATE", "KVSTORE", f"{namespace}/{key}",
                      namespace=namespace, now=now, details=details):
        store.kv_set(namespace, key, value, type=type, expires_at=expires_at, now=now, tenant=by.tenant)


def delete(store: KVPorts, namespace: str, key: str, *, by: Principal, now: datetime) -> bool:
    """Delete a key; True when a live one was there (only then is it audited)."""
    if store.kv_get(namespace, key, now, tenant=by.tenant) is None:
        return False
    with audit.action(store, by, "DELETE", "KVSTORE", f"{namespace}/{key}", namespace=namespace, now=now):
        return store.kv_delete(namespace, key, tenant=by.tenant)


def delete_many(store: KVPorts, namespace: str, keys: Sequence[str], *, by: Principal, now: datetime) -> list[str]:
    """Delete several keys; the ones that existed and were deleted."""
    return [k for k in keys if delete(store, namespace, k, by=by, now=now)]


def _shown(type: str, expires_at: datetime | None) -> dict[str, Any]:
    return {"type": type, "expiresAt": expires_at.isoformat() if expires_at else None}
