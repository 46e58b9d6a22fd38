"""SqlStore: the one implementation of ports.Store, over SQLAlchemy Core, for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import make_url

from legato.engine.events import Event, JobLost
from legato.model.execution import Execution, LogRecord, TaskRun
from legato.model.state import State
from legato.store import dialect as dialects
from legato.store import migrate as migrations
from legato.store.backfills import BackfillStore
from legato.store.database import Database
from legato.store.fires import TriggerFireStore
from legato.store.flow_ends import FlowEndStore
from legato.store.governance import GovernanceStore
from legato.store.identity import IdentityStore
from legato.store.leases import TriggerLeaseStore
from legato.store.pending import PendingWrites
from legato.store.ports import (
    ClaimedJob,
    CountKey,
    ExecutionCount,
    ExecutionFilter,
    ExecutionSort,
    FlowRecord,
    FlowSave,
    Job,
    KVEntry,
    LogFilter,
    PoolStatus,
    PurgeCount,
    QueueDepth,
    ServerRecord,
    StoredEvent,
    StoredLog,
    SuiteSave,
    TestResultRecord,
    TestSuiteRecord,
    TriggerState,
    Tx,
)
from legato.store.queries import Queries
from legato.store.readview import ReadView
from legato.store.retention import RetentionQueries
from legato.store.servers import ServerQueries
from legato.store.tx import SqlTx
from legato.store.wakeups import LocalWakeups, PgListener


def utc_now() -> datetime:
    return datetime.now(UTC)


def open_store(url: str, *, clock: Callable[[], datetime] = utc_now, pool_size: int = 16) -> SqlStore:
    """A store on `sqlite:///path/to.db` (parent directories created) or `postgresql://user@host:port/db`.
    Call `migrate()` before first use."""
    return SqlStore(dialects.for_url(url), clock=clock, pool_size=pool_size)


class SqlStore(TriggerFireStore, TriggerLeaseStore, FlowEndStore, BackfillStore, GovernanceStore, IdentityStore):
    """ports.Store over SQL. Thread-safe: each call takes a pooled connection for one short transaction.
    `clock` stamps rows the ports give no time for (event and job creation)."""

    def __init__(self, dialect: dialects.Dialect, *, clock: Callable[[], datetime] = utc_now, pool_size: int = 16):
        self.wakeups = LocalWakeups()
        self._db = Database(dialect, self.wakeups, pool_size=pool_size)
        self._q = Queries.for_dialect(dialect)
        self._servers = ServerQueries(dialect)
        self._retention = RetentionQueries(dialect)
        self._clock = clock
        self._listener: PgListener | None = None
        if isinstance(dialect, dialects.PostgresDialect):
            self._listener = PgListener(_libpq_conninfo(dialect.url), self.wakeups)
            self.wakeups.on_first_wait(self._listener.start)

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._db.dialect.name

    @property
    def concurrent_writers(self) -> bool:
        return self._db.dialect.concurrent_writers

    @property
    def database(self) -> Database:
        """The connection handling (for tests and tools that need raw SQL access)."""
        return self._db

    def migrate(self) -> None:
        migrations.upgrade(self._db)

    def schema_at_head(self) -> bool:
        return migrations.at_head(self._db)

    def pool_status(self) -> PoolStatus:
        pool = self._db.engine.pool
        size, out, over = (getattr(pool, name, lambda: 0)() for name in ("size", "checkedout", "overflow"))
        return PoolStatus(size=size, checked_out=out, overflow=max(over, 0),
                          limit=size + getattr(pool, "_max_overflow", 0))

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
        self._db.dispose()

    # flows -------------------------------------------------------------------------------------------
    def save_flow(self, namespace: str, flow_id: str, source: str, *, disabled: bool, now: datetime) -> FlowRecord:
        with self._db.write() as tx:
            return self._q.flows.save(tx.conn, namespace, flow_id, source, disabled, now)

    def get_flow(self, namespace: str, flow_id: str, revision: int | None = None) -> FlowRecord | None:
        with self._db.read() as conn:
            return self._q.flows.get(conn, namespace, flow_id, revision)

    def list_flows(self, namespace: str | None = None) -> list[FlowRecord]:
        with self._db.read() as conn:
            return self._q.flows.live(conn, namespace)

    def delete_flow(self, namespace: str, flow_id: str, now: datetime) -> bool:
        with self._db.write() as tx:
            return self._q.flows.delete(tx.conn, namespace, flow_id, now)

    def replace_flows(self, saves: list[FlowSave], deletions: list[tuple[str, str]], now: datetime, *,
                      suites: Sequence[SuiteSave] = (), suite_deletions: Sequence[tuple[str, str]] = ()
                      ) -> list[FlowRecord]:
        saved: dict[tuple[str, str], FlowRecord] = {}
        with self._db.write() as tx:
            for namespace, flow_id in deletions:
                self._q.flows.delete(tx.conn, namespace, flow_id, now)
            # flows are locked in (namespace, id) order, so two bulk saves at once cannot deadlock
            for f in sorted(saves, key=lambda f: (f.namespace, f.id)):
                saved[(f.namespace, f.id)] = self._q.flows.save(tx.conn, f.namespace, f.id, f.source, f.disabled, now)
            self._q.test_suites.replace(tx.conn, suites, suite_deletions, now)
        return [saved[(f.namespace, f.id)] for f in saves]

    # test suites -------------------------------------------------------------------------------------
    def save_test_suite(self, suite: SuiteSave, now: datetime) -> TestSuiteRecord:
        with self._db.write() as tx:
            return self._q.test_suites.save(tx.conn, suite, now)

    def get_test_suite(self, namespace: str, suite_id: str) -> TestSuiteRecord | None:
        with self._db.read() as conn:
            return self._q.test_suites.get(conn, namespace, suite_id)

    def list_test_suites(self, namespace: str | None = None, flow_id: str | None = None) -> list[TestSuiteRecord]:
        with self._db.read() as conn:
            return self._q.test_suites.find(conn, namespace, flow_id)

    def delete_test_suite(self, namespace: str, suite_id: str) -> bool:
        with self._db.write() as tx:
            return self._q.test_suites.delete(tx.conn, namespace, suite_id)

    def add_test_result(self, result: TestResultRecord) -> None:
        with self._db.write() as tx:
            self._q.test_suites.add_result(tx.conn, result)

    def get_test_result(self, result_id: str) -> TestResultRecord | None:
        with self._db.read() as conn:
            return self._q.test_suites.result(conn, result_id)

    def test_results(self, namespace: str, suite_id: str, limit: int = 20) -> list[TestResultRecord]:
        with self._db.read() as conn:
            return self._q.test_suites.history(conn, namespace, suite_id, limit)

    def flow_revisions(self, namespace: str, flow_id: str) -> list[FlowRecord]:
        with self._db.read() as conn:
            return self._q.flows.revisions(conn, namespace, flow_id)

    # executions --------------------------------------------------------------------------------------
    def create_execution(self, execution: Execution, event: Event) -> None:
        """Insert the execution and its first event together (nothing, if the id already exists)."""
        with self._db.write() as tx:
            if self._q.executions.insert_new(tx.conn, execution):
                self._q.events.insert(tx.conn, execution.id, event, self._clock())
                tx.touch("events")

    def get_execution(self, execution_id: str) -> Execution | None:
        with self._db.read() as conn:
            return self._q.executions.get(conn, execution_id)

    def task_runs(self, execution_id: str) -> list[TaskRun]:
        with self._db.read() as conn:
            return self._q.task_runs.of_execution(conn, execution_id)

    def read_view(self, execution_id: str, execution: Execution | None = None) -> ReadView | None:
        """A read-only view of an execution outside any transaction (workers render with it)."""
        execution = execution or self.get_execution(execution_id)
        return ReadView(self._db, self._q.task_runs, execution) if execution is not None else None

    def list_executions(
        self, *, namespace: str | None = None, flow_id: str | None = None,
        states: Iterable[State] | None = None, limit: int = 100, offset: int = 0,
    ) -> list[Execution]:
        with self._db.read() as conn:
            return self._q.executions.find(
                conn, namespace=namespace, flow_id=flow_id, states=states, limit=limit, offset=offset
            )

    def search_executions(
        self, filters: ExecutionFilter, *, sort: ExecutionSort = "created", descending: bool = True,
        limit: int = 100, offset: int = 0,
    ) -> tuple[list[Execution], int]:
        with self._db.read() as conn:
            return self._q.search.executions(conn, filters, sort, descending, limit, offset)

    def count_executions(self, filters: ExecutionFilter, by: Sequence[CountKey]) -> list[ExecutionCount]:
        with self._db.read() as conn:
            return self._q.search.counts(conn, filters, by)

    def delete_execution(self, execution_id: str) -> bool:
        with self._db.write() as tx:
            # Wait for an executor handling one of its events, so nothing is written back after the delete.
            if self._q.executions.lock(tx.conn, execution_id) is None:
                return False
            return self._q.purge.execution(tx.conn, execution_id)

    def send_event(self, execution_id: str, event: Event) -> None:
        """Queue an event for an execution; KeyError when the execution does not exist."""
        with self._db.write() as tx:
            if not self._q.events.insert_if_execution(tx.conn, execution_id, event, self._clock()):
                raise KeyError(f"no execution {execution_id!r}")
            tx.touch("events")

    def process_next_event(self, handler: Callable[[Tx, StoredEvent], None]) -> bool:
        # A single-writer database would be locked for everyone just to find the queue empty.
        if not self._db.dialect.concurrent_writers and not self.has_events():
            return False
        with self._db.write() as tx:
            picked = self._q.events.pick(tx.conn)
            if picked is None:
                return False
            stored, execution = picked
            sql_tx = SqlTx(tx, self._q, execution, self._clock)
            handler(sql_tx, stored)
            sql_tx.flush()
            self._q.events.delete(tx.conn, stored.id)
            return True

    def process_events(self, handler: Callable[[Tx, StoredEvent], None], limit: int) -> int:
        if not self._db.dialect.concurrent_writers and not self.has_events():
            return 0
        with self._db.write() as tx:
            locked = self._q.events.lock_executions(tx.conn, limit)
            # Every queued event of a locked execution is ours to apply; a few more than `limit` in all, so
            # that an execution with a backlog (a fan-in of results) drains in one transaction.
            queued = self._q.events.queued_for(tx.conn, list(locked), limit * 4)
            if not queued:
                return 0
            pending = PendingWrites(tx.conn, self._q)
            bound: dict[str, SqlTx] = {}
            for stored in queued:
                sql_tx = bound.get(stored.execution_id)
                if sql_tx is None:
                    sql_tx = bound[stored.execution_id] = SqlTx(
                        tx, self._q, locked[stored.execution_id], self._clock, pending)
                handler(sql_tx, stored)
            pending.flush()
            self._q.events.delete_many(tx.conn, [e.id for e in queued])
            return len(queued)

    def has_events(self) -> bool:
        """Whether any event waits (a cheap check before taking the write lock)."""
        with self._db.read() as conn:
            return self._q.events.any_queued(conn)

    # jobs --------------------------------------------------------------------------------------------
    def claim_jobs(self, worker_id: str, groups: Sequence[str | None], limit: int, lease: timedelta, now: datetime) -> list[Job]:
        with self._db.write() as tx:
            return self._q.jobs.claim(tx.conn, worker_id, groups, limit, now + lease)

    def claim_loaded(self, worker_id: str, groups: Sequence[str | None], limit: int, lease: timedelta,
                     now: datetime) -> list[tuple[Job, ClaimedJob | None]]:
        with self._db.write() as tx:
            claimed = self._q.jobs.claim(tx.conn, worker_id, groups, limit, now + lease)
            loaded = self._q.task_runs.with_executions(tx.conn, [j.task_run_id for j in claimed])
        out: list[tuple[Job, ClaimedJob | None]] = []
        for job in claimed:
            found = loaded.get(job.task_run_id)
            out.append((job, ClaimedJob(job=job, execution=found[1], task_run=found[0]) if found else None))
        return out

    def heartbeat(self, worker_id: str, job_ids: Sequence[int], lease: timedelta, now: datetime) -> set[int]:
        with self._db.write() as tx:
            return self._q.jobs.heartbeat(tx.conn, worker_id, job_ids, now + lease)

    def finish_job(self, job: Job, result: Event, logs: Sequence[LogRecord] = ()) -> bool:
        with self._db.write() as tx:
            if not self._q.jobs.finish(tx.conn, job):
                return False
            if logs:
                self._q.logs.append(tx.conn, logs)
            self._q.events.insert(tx.conn, job.execution_id, result, self._clock())
            tx.touch("events")
            return True

    def finish_jobs(self, worker_id: str, results: Sequence[tuple[Job, Event, Sequence[LogRecord]]]) -> list[bool]:
        with self._db.write() as tx:
            accepted = self._q.jobs.finish_many(tx.conn, worker_id, [(j.id, j.attempt) for j, _, _ in results])
            kept = [(j, event, logs) for j, event, logs in results if j.id in accepted]
            self._q.logs.append(tx.conn, [record for _, _, logs in kept for record in logs])
            self._q.events.insert_many(tx.conn, [(j.execution_id, event) for j, event, _ in kept], self._clock())
            if kept:
                tx.touch("events")
        return [j.id in accepted for j, _, _ in results]

    def finish_and_process(self, job: Job, result: Event, logs: Sequence[LogRecord],
                           handler: Callable[[Tx, StoredEvent], None]) -> bool:
        with self._db.write() as tx:
            if not self._q.jobs.finish(tx.conn, job):
                return False
            if logs:
                self._q.logs.append(tx.conn, logs)
            execution = self._q.executions.lock(tx.conn, job.execution_id)
            if execution is None:
                return True
            stored = StoredEvent(id=0, execution_id=job.execution_id, event=result, created=self._clock())  # type: ignore[arg-type]
            sql_tx = SqlTx(tx, self._q, execution, self._clock)
            handler(sql_tx, stored)
            sql_tx.flush()
            return True

    def expire_leases(self, now: datetime, limit: int = 100) -> int:
        with self._db.write() as tx:
            lost = self._q.jobs.expire(tx.conn, now, limit)
            events: list[tuple[str, Event]] = [(x, JobLost(task_run_id=r, attempt=a)) for x, r, a in lost]
            self._q.events.insert_many(tx.conn, events, self._clock())
            if events:
                tx.touch("events")
            return len(events)

    def queue_depth(self) -> list[QueueDepth]:
        with self._db.read() as conn:
            return self._q.jobs.depth(conn)

    def event_backlog(self) -> tuple[int, datetime | None]:
        with self._db.read() as conn:
            return self._q.events.backlog(conn)

    # timers ------------------------------------------------------------------------------------------
    def fire_due_timers(self, now: datetime, limit: int = 100) -> int:
        with self._db.write() as tx:
            fired: list[tuple[str, Event]] = list(self._q.timers.fire(tx.conn, now, limit))
            self._q.events.insert_many(tx.conn, fired, self._clock())
            if fired:
                tx.touch("events")
            return len(fired)

    def next_timer_at(self) -> datetime | None:
        with self._db.read() as conn:
            return self._q.timers.next_at(conn)

    # logs --------------------------------------------------------------------------------------------
    def append_logs(self, records: Sequence[LogRecord]) -> None:
        if records:
            with self._db.write() as tx:
                self._q.logs.append(tx.conn, records)

    def logs(self, execution_id: str, *, task_run_id: str | None = None, min_level: str | None = None) -> list[LogRecord]:
        with self._db.read() as conn:
            return self._q.logs.read(conn, execution_id, task_run_id, min_level)

    def logs_after(self, filters: LogFilter, after_id: int, limit: int = 1000) -> list[StoredLog]:
        with self._db.read() as conn:
            return self._q.search.logs_after(conn, filters, after_id, limit)

    def search_logs(self, filters: LogFilter, *, descending: bool = True, limit: int = 100,
                    offset: int = 0) -> tuple[list[StoredLog], int]:
        with self._db.read() as conn:
            return self._q.search.logs(conn, filters, descending, limit, offset)

    def delete_logs(self, filters: LogFilter) -> int:
        with self._db.write() as tx:
            return self._q.purge.logs(tx.conn, self._q.search.log_ids(filters))

    # key-value store ---------------------------------------------------------------------------------
    def kv_get(self, namespace: str, key: str, now: datetime) -> KVEntry | None:
        with self._db.read() as conn:
            return self._q.kv.get(conn, namespace, key, now)

    def kv_set(
        self, namespace: str, key: str, value: Any, *, type: str, expires_at: datetime | None,
        now: datetime, overwrite: bool = True,
    ) -> bool:
        with self._db.write() as tx:
            if not overwrite and self._q.kv.get(tx.conn, namespace, key, now) is not None:
                return False
            self._q.kv.put(tx.conn, namespace, key, value, type, expires_at, now)
            return True

    def kv_delete(self, namespace: str, key: str, now: datetime | None = None) -> bool:
        """Remove a key; True when a live entry was removed."""
        with self._db.write() as tx:
            return self._q.kv.delete(tx.conn, namespace, key, now or self._clock())

    def kv_list(self, namespace: str, now: datetime, prefix: str | None = None) -> list[KVEntry]:
        with self._db.read() as conn:
            return self._q.kv.live(conn, namespace, now, prefix)

    def kv_purge(self, namespace: str, now: datetime, *, expired_only: bool, keys: Sequence[str] | None = None) -> int:
        with self._db.write() as tx:
            return self._q.kv.purge(tx.conn, namespace, now, expired_only, keys)

    # trigger state -----------------------------------------------------------------------------------
    def trigger_states(self, namespace: str | None = None, flow_id: str | None = None) -> list[TriggerState]:
        with self._db.read() as conn:
            return self._q.triggers.find(conn, namespace, flow_id)

    def get_trigger_state(self, namespace: str, flow_id: str, trigger_id: str) -> TriggerState | None:
        with self._db.read() as conn:
            return self._q.triggers.get(conn, namespace, flow_id, trigger_id)

    def set_trigger_disabled(self, namespace: str, flow_id: str, trigger_id: str, disabled: bool | None,
                             now: datetime) -> TriggerState:
        with self._db.write() as tx:
            return self._q.triggers.set_disabled(tx.conn, namespace, flow_id, trigger_id, disabled, now)

    def unlock_trigger(self, namespace: str, flow_id: str, trigger_id: str, now: datetime) -> TriggerState | None:
        with self._db.write() as tx:
            return self._q.triggers.unlock(tx.conn, namespace, flow_id, trigger_id, now)

    def set_trigger_error(self, namespace: str, flow_id: str, trigger_id: str, error: str | None,
                          now: datetime) -> None:
        with self._db.write() as tx:
            self._q.triggers.set_error(tx.conn, namespace, flow_id, trigger_id, error, now)

    # servers and retention ---------------------------------------------------------------------------
    def register_server(self, record: ServerRecord) -> None:
        with self._db.write() as tx:
            self._servers.register(tx.conn, record)

    def database_time(self) -> datetime:
        with self._db.read() as conn:
            return self._db.dialect.database_now(conn)

    def server_heartbeat(self, server_id: str, now: datetime) -> bool:
        with self._db.write() as tx:
            return self._servers.heartbeat(tx.conn, server_id, now)

    def server_stopped(self, server_id: str, now: datetime) -> None:
        with self._db.write() as tx:
            self._servers.stopped(tx.conn, server_id, now)

    def list_servers(self) -> list[ServerRecord]:
        with self._db.read() as conn:
            return self._servers.all(conn)

    def forget_servers(self, before: datetime) -> int:
        with self._db.write() as tx:
            return self._servers.forget(tx.conn, before)

    def release_jobs(self, worker_id: str, job_ids: Sequence[int]) -> int:
        with self._db.write() as tx:
            released = self._q.jobs.release(tx.conn, worker_id, job_ids)
            if released:
                tx.touch("jobs")
            return released

    def purge_executions(self, before: datetime, limit: int = 500) -> PurgeCount:
        with self._db.write() as tx:
            return self._retention.purge_executions(tx.conn, before, limit)

    def purge_logs(self, before: datetime, limit: int = 500) -> int:
        with self._db.write() as tx:
            return self._retention.purge_logs(tx.conn, before, limit)


def _libpq_conninfo(sqlalchemy_url: str) -> str:
    """The plain libpq URL psycopg.connect() understands, from an SQLAlchemy one."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
