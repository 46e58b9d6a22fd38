"""The key-value aggregate: typed values per namespace, with an optional expiry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from legato.store.ports.tenants import MAIN


@dataclass(frozen=True)
class KVEntry:
    namespace: str
    key: str
    type: str  # STRING, NUMBER, BOOLEAN, DATETIME, DATE, DURATION, JSON
    value: Any
    expires_at: datetime | None
    updated: datetime


class KVStore(Protocol):
    """The key-value store of each namespace of each tenant: a tenant never sees another one's keys."""

    def kv_get(self, namespace: str, key: str, now: datetime, *, tenant: str = MAIN) -> KVEntry | None:
        """The entry, or None when absent or expired."""
        ...

    def kv_set(self, namespace: str, key: str, value: Any, *, type: str, expires_at: datetime | None,
               now: datetime, overwrite: bool = True, tenant: str = MAIN) -> bool:
        """Store the value; with overwrite=False an existing live key is left alone and False returned."""
        ...

    def kv_delete(self, namespace: str, key: str, *, tenant: str = MAIN) -> bool: ...

    def kv_list(self, namespace: str, now: datetime, prefix: str | None = None, *,
                tenant: str = MAIN) -> list[KVEntry]: ...

    def kv_purge(self, namespace: str, now: datetime, *, expired_only: bool,
                 keys: Sequence[str] | None = None, tenant: str = MAIN) -> int: ...
