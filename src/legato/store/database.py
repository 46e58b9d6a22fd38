"""The store's connection handling: short read and write transactions, and the wake-ups their commits owe."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Connection, Engine

from legato.store.dialect import Dialect
from legato.store.wakeups import LocalWakeups


class WriteTx:
    """One write transaction: its connection and the channels to nudge once it commits."""

    __slots__ = ("channels", "conn")

    def __init__(self, conn: Connection):
        self.conn = conn
        self.channels: set[str] = set()

    def touch(self, channel: str) -> None:
        """Wake `channel` listeners when this transaction commits."""
        self.channels.add(channel)


class Database:
    """An engine plus its dialect; hands out transactions and notifies on commit."""

    def __init__(self, dialect: Dialect, wakeups: LocalWakeups, pool_size: int = 16):
        self.dialect = dialect
        self.engine: Engine = dialect.create_engine(pool_size)
        # Without this, SQLAlchemy reports no row count for INSERT ... ON CONFLICT DO NOTHING.
        self.engine.update_execution_options(preserve_rowcount=True)
        self._write_engine = self.engine.execution_options(**dialect.write_options())
        self.wakeups = wakeups

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (rolled back at the end)."""
        with self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def write(self) -> Iterator[WriteTx]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self.dialect.writer(), self._write_engine.connect() as conn:
            tx = WriteTx(conn)
            with conn.begin():
                yield tx
                if tx.channels:
                    self.dialect.notify(conn, sorted(tx.channels))
        for channel in tx.channels:
            self.wakeups.notify(channel)

    def dispose(self) -> None:
        self.engine.dispose()
