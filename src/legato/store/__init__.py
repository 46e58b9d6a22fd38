"""legato.store: persistence behind the ports of legato.store.ports, on SQLite or PostgreSQL."""

from __future__ import annotations

from legato.store.dialect import StoreURLError
from legato.store.sql import SqlStore, open_store

__all__ = ["SqlStore", "StoreURLError", "open_store"]
