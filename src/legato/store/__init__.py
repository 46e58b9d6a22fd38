"""legato.store: persistence behind the ports of legato.store.ports, on SQLite or PostgreSQL.

The SQL implementation (SQLAlchemy and the dialects) loads on first use of `open_store` or `SqlStore`: a command
that only needs a port's types (the CLI talking to a server over HTTP) does not pay for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from legato.store.dialect import StoreURLError
    from legato.store.sql import SqlStore, open_store

__all__ = ["SqlStore", "StoreURLError", "open_store"]


def __getattr__(name: str) -> Any:
    if name == "StoreURLError":
        from legato.store.dialect import StoreURLError

        return StoreURLError
    if name in ("SqlStore", "open_store"):
        from legato.store import sql

        return getattr(sql, name)
    raise AttributeError(f"module 'legato.store' has no attribute {name!r}")
