"""Wake-ups between services: in-process channels, fed by this process's commits and, on PostgreSQL,
by LISTEN/NOTIFY so that commits in other processes wake this one too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from legato.backoff import Backoff
from legato.store.dialect import pg_channel

CHANNELS = ("events", "jobs", "timers", "ends")  # ends: executions that ended (Flow triggers)
_log = logging.getLogger(__name__)


class LocalWakeups:
    """ports.Wakeups for one process. `notify` may be called from any thread; a notification that finds
    nobody waiting is kept for the next `wait` on that channel, so none is lost between ticks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]] = {}
        self._on_first_wait: Callable[[], None] | None = None

    def on_first_wait(self, start: Callable[[], None]) -> None:
        """Run `start` once, when some service first waits (starts the PostgreSQL listener lazily)."""
        self._on_first_wait = start

    def notify(self, channel: str) -> None:
        with self._lock:
            waiters = self._waiters.pop(channel, None)
            if not waiters:
                self._pending.add(channel)
                return
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody left to wake
                loop.call_soon_threadsafe(_wake, future)

    async def wait(self, channel: str, timeout: float) -> bool:
        """Wait until `channel` is notified or `timeout` seconds pass; True when notified."""
        start, self._on_first_wait = self._on_first_wait, None
        if start is not None:
            start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (loop, future)
        with self._lock:
            if channel in self._pending:
                self._pending.discard(channel)
                return True
            self._waiters.setdefault(channel, set()).add(entry)
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                waiting = self._waiters.get(channel)
                if waiting is not None:
                    waiting.discard(entry)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class PgListener:
    """A daemon thread LISTENing on the store's channels and relaying each NOTIFY to LocalWakeups.
    Reconnects with back-off when the connection drops; a missed notification only costs a poll."""

    def __init__(self, conninfo: str, wakeups: LocalWakeups):
        self._conninfo = conninfo
        self._wakeups = wakeups
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._names = {pg_channel(c): c for c in CHANNELS}

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="legato-pg-listen", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg  # PostgreSQL only: a SQLite process never pays for importing the driver

        backoff = Backoff(0.1, 10.0)
        reconnect = False
        while not self._stop.is_set():
            try:
                self._listen(reconnect)
                backoff.reset()
            except psycopg.Error as exc:
                delay = backoff.next()
                _log.warning("LISTEN connection lost (%s); retrying in %.1fs", exc, delay)
                self._stop.wait(delay)
            reconnect = True

    def _listen(self, reconnect: bool) -> None:
        import psycopg
        from psycopg import sql as pgsql

        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            for name in self._names:
                conn.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(name)))
            if reconnect:  # anything committed while we were not listening may have been missed
                for channel in CHANNELS:
                    self._wakeups.notify(channel)
            while not self._stop.is_set():
                for note in conn.notifies(timeout=0.25):
                    local = self._names.get(note.channel)
                    if local is not None:
                        self._wakeups.notify(local)
