"""The store's connection handling: short read and write transactions, and the wake-ups their commits owe."""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator

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


class NestedWriteError(RuntimeError):
    """A write transaction was opened inside another on the same thread (use the Tx you were given)."""


class _Held:
    """A connection kept by one thread between transactions; closed when that thread ends."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the engine may already be disposed
            self.conn.close()

    def __del__(self) -> None:
        self.close()


class Database:
    """An engine plus its dialect; hands out transactions and notifies on commit.

    Where the dialect allows (SQLite), each thread keeps its read and write connections between
    transactions: checking a connection in and out of the pool costs as much as a small statement."""

    def __init__(self, dialect: Dialect, wakeups: LocalWakeups, pool_size: int = 16):
        self.dialect = dialect
        self.engine: Engine = dialect.create_engine(pool_size)
        # Without this, SQLAlchemy reports no row count for INSERT ... ON CONFLICT DO NOTHING.
        self.engine.update_execution_options(preserve_rowcount=True)
        self._write_engine = self.engine.execution_options(**dialect.write_options())
        self._read_engine = self.engine.execution_options(**dialect.read_options())
        self.wakeups = wakeups
        self._local = threading.local()
        self._held: weakref.WeakSet[_Held] = weakref.WeakSet()

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads only (a transaction rolled back at the end, or autocommit statements
        where the dialect says so)."""
        if not self.dialect.keep_connections:
            with self._read_engine.connect() as conn:
                yield conn
            return
        conn = self._kept("reader", self.engine)
        try:
            yield conn
        finally:
            conn.rollback()

    @contextlib.contextmanager
    def write(self) -> Iterator[WriteTx]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        if getattr(self._local, "writing", False):
            raise NestedWriteError("a store write was started inside another on the same thread")
        self._local.writing = True
        try:
            with self.dialect.writer(), self._write_connection() as conn:
                tx = WriteTx(conn)
                with conn.begin():
                    yield tx
                    for work in self._take_joined():
                        work(conn)
                    if tx.channels:
                        self.dialect.notify(conn, sorted(tx.channels))
        finally:
            self._local.writing = False
        for channel in tx.channels:
            self.wakeups.notify(channel)

    @contextlib.contextmanager
    def joined(self, work: Callable[[Connection], None]) -> Iterator[None]:
        """Run `work` inside the first write transaction this thread commits within the block, just before
        the commit (so it commits or rolls back with that write); in a transaction of its own when the
        block ends without error and without having written."""
        pending: list[Callable[[Connection], None]] = getattr(self._local, "joined", None) or []
        pending.append(work)
        self._local.joined = pending
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            left = work in pending
            if left:
                pending.remove(work)
            if left and not failed:
                with self.write() as tx:
                    work(tx.conn)

    def write_or_join(self, work: Callable[[Connection], None]) -> None:
        """Run `work` in the write transaction this thread is in (before its commit), else in one of its own."""
        if getattr(self._local, "writing", False):
            pending: list[Callable[[Connection], None]] = getattr(self._local, "joined", None) or []
            pending.append(work)
            self._local.joined = pending
            return
        with self.write() as tx:
            work(tx.conn)

    def _take_joined(self) -> list[Callable[[Connection], None]]:
        pending: list[Callable[[Connection], None]] = getattr(self._local, "joined", None) or []
        taken = list(pending)
        pending.clear()
        return taken

    @contextlib.contextmanager
    def _write_connection(self) -> Iterator[Connection]:
        if self.dialect.keep_connections:
            yield self._kept("writer", self._write_engine)
        else:
            with self._write_engine.connect() as conn:
                yield conn

    def _kept(self, role: str, engine: Engine) -> Connection:
        held: _Held | None = getattr(self._local, role, None)
        if held is None or held.conn.closed or held.conn.invalidated:
            held = _Held(engine.connect())
            setattr(self._local, role, held)
            self._held.add(held)
        return held.conn

    def dispose(self) -> None:
        for held in list(self._held):
            held.close()
        self.engine.dispose()
