"""The store's ports: what services may ask of the database, by intent. One SQL implementation serves
SQLite and PostgreSQL (see legato.store.sql); the contract suite in tests/contract/ runs against both.

All times are passed in (`now`) from the caller's clock, so tests can move time.
Every method is one short transaction unless it says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from legato.engine.events import AnyEvent, Event
from legato.engine.view import ExecutionView
from legato.model.execution import Execution, LogRecord, TaskRun
from legato.model.state import State

# The governance values live in governance_ports, re-exported here.
from legato.store.governance_ports import (
    AuditEntry as AuditEntry,
)
from legato.store.governance_ports import (
    AuditFilter as AuditFilter,
)
from legato.store.governance_ports import (
    AuditRecord as AuditRecord,
)
from legato.store.governance_ports import (
    SecretRecord as SecretRecord,
)
from legato.store.identity_ports import IdentityPorts

# The trigger values live in trigger_ports; they are re-exported here with the other port types.
from legato.store.trigger_ports import (
    BackfillState as BackfillState,
)
from legato.store.trigger_ports import (
    EndTx as EndTx,
)
from legato.store.trigger_ports import (
    ExecutionEnd as ExecutionEnd,
)
from legato.store.trigger_ports import (
    FireOutcome as FireOutcome,
)
from legato.store.trigger_ports import (
    PreconditionState as PreconditionState,
)
from legato.store.trigger_ports import (
    SourceLease as SourceLease,
)
from legato.store.trigger_ports import (
    TriggerFire as TriggerFire,
)
from legato.store.trigger_ports import (
    TriggerState as TriggerState,
)


@dataclass(frozen=True)
class FlowRecord:
    namespace: str
    id: str
    revision: int
    source: str
    disabled: bool
    deleted: bool
    updated: datetime


@dataclass(frozen=True)
class FlowSave:
    """A flow to store: its identity, its source and whether it is disabled."""

    namespace: str
    id: str
    source: str
    disabled: bool


@dataclass(frozen=True)
class TestSuiteRecord:
    """A stored flow unit test suite: its YAML source and the flow it tests."""

    __test__ = False

    namespace: str
    id: str
    flow_id: str
    source: str
    disabled: bool
    updated: datetime


@dataclass(frozen=True)
class SuiteSave:
    """A test suite to store."""

    namespace: str
    id: str
    flow_id: str
    source: str
    disabled: bool = False


@dataclass(frozen=True)
class TestResultRecord:
    """One run of a test suite: state, dates and (in `data`) the results of its cases."""

    __test__ = False

    id: str
    namespace: str
    suite_id: str
    flow_id: str
    state: str
    started: datetime
    ended: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class Job:
    id: int
    execution_id: str
    task_run_id: str
    attempt: int
    worker_group: str | None
    worker_id: str | None
    lease_expires_at: datetime | None


@dataclass(frozen=True)
class PoolStatus:
    """A process's database connections: the pool's size, those lent out, those beyond the size, the most allowed."""

    size: int
    checked_out: int
    overflow: int
    limit: int


@dataclass(frozen=True)
class QueueDepth:
    """The jobs of one worker group: waiting for a worker, running on one, and when the oldest waiting was queued."""

    worker_group: str | None
    waiting: int
    running: int
    oldest_waiting: datetime | None


@dataclass(frozen=True)
class ClaimedJob:
    """A job leased to a worker of the executor's own process, with what the worker needs to run it."""

    job: Job
    execution: Execution
    task_run: TaskRun
    ancestors: tuple[TaskRun, ...] = ()  # the flowable runs above it, nearest first (for `parent(s)`)


@dataclass(frozen=True)
class StoredEvent:
    id: int
    execution_id: str
    event: AnyEvent
    created: datetime


@dataclass(frozen=True)
class KVEntry:
    namespace: str
    key: str
    type: str  # STRING, NUMBER, BOOLEAN, DATETIME, DATE, DURATION, JSON
    value: Any
    expires_at: datetime | None
    updated: datetime


ExecutionSort = Literal["created", "ended", "state", "namespace", "flow_id", "id"]
CountKey = Literal["state", "quarter_hour", "namespace", "flow_id"]


@dataclass(frozen=True)
class ExecutionFilter:
    """Which executions a search or a count takes; every field set must match."""

    namespace: str | None = None  # this namespace and its children (a.b matches a.b and a.b.c, not a.bc)
    flow_id: str | None = None
    states: frozenset[State] | None = None
    labels: tuple[tuple[str, str], ...] = ()  # every (key, value) must be a label of the execution
    created_from: datetime | None = None  # created at or after
    created_to: datetime | None = None  # created at or before
    transient: bool = False  # also the executions flow unit tests created (hidden by default, as in Kestra)
    within: tuple[str, ...] | None = None  # only these namespaces and their children (a searcher's bindings)


@dataclass(frozen=True)
class ExecutionCount:
    """Executions of one group (`key`, in the order of the `by` asked for) and how long the ended ones took."""

    key: tuple[str, ...]
    count: int
    ended: int  # how many of them have ended (the durations below are over these)
    seconds_sum: float
    seconds_min: float | None
    seconds_max: float | None


@dataclass(frozen=True)
class LogFilter:
    """Which log lines a search, a follow or a delete takes; every field set must match."""

    execution_id: str | None = None
    task_run_id: str | None = None
    attempt: int | None = None
    namespace: str | None = None  # executions of this namespace and its children
    flow_id: str | None = None
    min_level: str | None = None
    levels: frozenset[str] | None = None  # exactly these levels (TRACE, DEBUG, INFO, WARN, ERROR)
    text: str | None = None  # the message contains this, case-insensitively
    time_from: datetime | None = None
    time_to: datetime | None = None
    within: tuple[str, ...] | None = None  # only executions of these namespaces and their children


@dataclass(frozen=True)
class StoredLog:
    """A log line with its position (ids grow in insertion order) and its execution's flow, when joined."""

    id: int
    record: LogRecord
    namespace: str | None = None
    flow_id: str | None = None


@dataclass(frozen=True)
class ServerRecord:
    """One Legato process in the server registry."""

    id: str
    roles: tuple[str, ...]  # executor, worker, scheduler, webserver
    host: str
    pid: int
    worker_groups: tuple[str | None, ...]
    slots: int | None
    started: datetime
    heartbeat_at: datetime
    stopped: datetime | None = None  # set by a clean shutdown


@dataclass(frozen=True)
class PurgeCount:
    """What one retention pass deleted."""

    executions: int = 0
    task_runs: int = 0
    logs: int = 0
    audit_logs: int = 0

    def __add__(self, other: PurgeCount) -> PurgeCount:
        return PurgeCount(self.executions + other.executions, self.task_runs + other.task_runs,
                          self.logs + other.logs, self.audit_logs + other.audit_logs)


class Wakeups(Protocol):
    """Cross-service nudges: 'events' (executor), 'jobs' (workers), 'timers' (timer loop)."""

    def notify(self, channel: str) -> None: ...

    async def wait(self, channel: str, timeout: float) -> bool:
        """Wait until `channel` is notified or `timeout` seconds pass; True when notified."""
        ...


class Tx(Protocol):
    """The executor's transaction around one event: reads are locked, writes commit with the event's deletion."""

    def view(self) -> ExecutionView:
        """The locked execution the event belongs to."""
        ...

    def write(self, execution: Execution | None, task_runs: Iterable[TaskRun], items: dict[str, list[Any]]) -> None:
        """Upsert the execution row, task-run rows and loop items of one decision."""
        ...

    def insert_job(self, execution_id: str, task_run_id: str, attempt: int, worker_group: str | None,
                   claim: tuple[str, datetime] | None = None) -> Job | None:
        """Queue an attempt (idempotent). With `claim` = (worker id, lease end) it is leased to that worker
        at once and returned: the executor hands it to a worker of its own process, no claim needed."""
        ...

    def request_cancel(self, task_run_id: str) -> bool:
        """Flag the task run's job so its worker stops it (True); an unclaimed job is deleted instead,
        and then, as when there is no job at all, the answer is False (no worker will report back)."""
        ...

    def insert_timer(self, execution_id: str, at: datetime, timer: str, task_run_id: str | None, key: str) -> None:
        """Idempotent on `key`."""
        ...

    def delete_timers(self, task_run_id: str) -> None: ...

    def insert_event(self, execution_id: str, event: Event) -> None: ...

    def append_logs(self, records: Sequence[LogRecord]) -> None: ...

    def create_execution(self, execution: Execution) -> None:
        """Insert a new execution with its ExecutionCreated event (subflows, flow retries)."""
        ...

    def get_flow(self, namespace: str, flow_id: str, revision: int | None = None) -> FlowRecord | None: ...

    def running_count(self, namespace: str, flow_id: str, exclude: str) -> int:
        """Executions of the flow in RUNNING/PAUSED/KILLING/CREATED other than `exclude`."""
        ...

    def oldest_queued(self, namespace: str, flow_id: str) -> str | None: ...

    def active_children(self, execution_id: str) -> list[str]:
        """Ids of non-terminal executions whose parent is `execution_id`."""
        ...


class Store(IdentityPorts, Protocol):
    @property
    def wakeups(self) -> Wakeups: ...

    @property
    def concurrent_writers(self) -> bool:
        """Whether several transactions can write at once (PostgreSQL), or one at a time (SQLite)."""
        ...

    def migrate(self) -> None:
        """Bring the schema to the latest revision (Alembic)."""
        ...

    def schema_at_head(self) -> bool:
        """Whether the database answers and its schema is at the newest revision this code ships."""
        ...

    def pool_status(self) -> PoolStatus:
        """The connection pool of this process, for metrics."""
        ...

    def close(self) -> None: ...

    # flows -------------------------------------------------------------------
    def save_flow(self, namespace: str, flow_id: str, source: str, *, disabled: bool, now: datetime) -> FlowRecord:
        """Store `source` as a new revision when it differs from the latest; return the latest."""
        ...

    def get_flow(self, namespace: str, flow_id: str, revision: int | None = None) -> FlowRecord | None: ...

    def list_flows(self, namespace: str | None = None) -> list[FlowRecord]: ...

    def delete_flow(self, namespace: str, flow_id: str, now: datetime) -> bool: ...

    def replace_flows(self, saves: list[FlowSave], deletions: list[tuple[str, str]], now: datetime, *,
                      suites: Sequence[SuiteSave] = (), suite_deletions: Sequence[tuple[str, str]] = ()
                      ) -> list[FlowRecord]:
        """Save every flow of `saves` (as save_flow) and delete the (namespace, id) of `deletions`, and the same
        for test suites, in one transaction; the saved flow records in the order of `saves`."""
        ...

    # test suites ---------------------------------------------------------------
    def save_test_suite(self, suite: SuiteSave, now: datetime) -> TestSuiteRecord:
        """Insert or replace a test suite."""
        ...

    def get_test_suite(self, namespace: str, suite_id: str) -> TestSuiteRecord | None: ...

    def list_test_suites(self, namespace: str | None = None, flow_id: str | None = None) -> list[TestSuiteRecord]:
        """Test suites of a namespace (every one when None) and flow, by namespace and id."""
        ...

    def delete_test_suite(self, namespace: str, suite_id: str) -> bool:
        """Delete a test suite (its results stay); True when it existed."""
        ...

    def add_test_result(self, result: TestResultRecord) -> None:
        """Record one run of a test suite."""
        ...

    def get_test_result(self, result_id: str) -> TestResultRecord | None: ...

    def test_results(self, namespace: str, suite_id: str, limit: int = 20) -> list[TestResultRecord]:
        """A suite's runs, newest first."""
        ...

    def flow_revisions(self, namespace: str, flow_id: str) -> list[FlowRecord]:
        """Every stored revision of the flow, oldest first (deleted or not)."""
        ...

    # executions ----------------------------------------------------------------
    def create_execution(self, execution: Execution, event: Event) -> None:
        """Insert the execution and its first event together."""
        ...

    def get_execution(self, execution_id: str) -> Execution | None: ...

    def task_runs(self, execution_id: str) -> list[TaskRun]:
        """All task runs of an execution in creation order."""
        ...

    def read_view(self, execution_id: str, execution: Execution | None = None) -> ExecutionView | None:
        """A read-only view of an execution outside any transaction, each read its own short query
        (the worker renders task properties with it); None when there is no such execution."""
        ...

    def list_executions(
        self, *, namespace: str | None = None, flow_id: str | None = None,
        states: Iterable[State] | None = None, limit: int = 100, offset: int = 0,
    ) -> list[Execution]: ...

    def search_executions(
        self, filters: ExecutionFilter, *, sort: ExecutionSort = "created", descending: bool = True,
        limit: int = 100, offset: int = 0,
    ) -> tuple[list[Execution], int]:
        """One page of the executions matching `filters` in `sort` order (ties by id), and how many match."""
        ...

    def count_executions(self, filters: ExecutionFilter, by: Sequence[CountKey]) -> list[ExecutionCount]:
        """Matching executions grouped by `by`, sorted by key. `quarter_hour` is the quarter hour they were created
        in (Unix seconds // 900, as text): fine enough to place counts on the days of any time zone."""
        ...

    def delete_execution(self, execution_id: str) -> bool:
        """Delete the execution with its task runs, loop items, logs, jobs, events and timers; False when absent."""
        ...

    def send_event(self, execution_id: str, event: Event) -> None: ...

    def process_next_event(self, handler: Callable[[Tx, StoredEvent], None]) -> bool:
        """Claim the oldest event of an execution no other executor holds, run `handler` in its
        transaction, delete the event and commit. False when there was no event."""
        ...

    def process_events(self, handler: Callable[[Tx, StoredEvent], None], limit: int) -> int:
        """process_next_event for several executions at once: lock the executions of up to `limit` of the
        oldest events no other executor holds, run `handler` on every event they have queued (in order,
        one Tx per execution, seeing the effects of that execution's earlier events), delete them and
        commit once. How many events were applied (0: none waited)."""
        ...

    # jobs --------------------------------------------------------------------
    def claim_jobs(self, worker_id: str, groups: Sequence[str | None], limit: int, lease: timedelta, now: datetime) -> list[Job]: ...

    def claim_loaded(self, worker_id: str, groups: Sequence[str | None], limit: int, lease: timedelta,
                     now: datetime) -> list[tuple[Job, ClaimedJob | None]]:
        """claim_jobs, each job with its execution and task run as the claim found them (read in the same
        transaction; None when they no longer exist)."""
        ...

    def heartbeat(self, worker_id: str, job_ids: Sequence[int], lease: timedelta, now: datetime) -> set[int]:
        """Extend the leases; return the ids among `job_ids` whose cancellation was requested."""
        ...

    def finish_job(self, job: Job, result: Event, logs: Sequence[LogRecord] = ()) -> bool:
        """Delete the job and insert its result event (and the attempt's last logs), only if the worker
        still holds this attempt."""
        ...

    def finish_jobs(self, worker_id: str, results: Sequence[tuple[Job, Event, Sequence[LogRecord]]]) -> list[bool]:
        """finish_job for several jobs of `worker_id` in one transaction; for each, whether it was accepted
        (a job whose lease `worker_id` lost is fenced off alone, the others are accepted)."""
        ...

    def finish_and_process(self, job: Job, result: Event, logs: Sequence[LogRecord],
                           handler: Callable[[Tx, StoredEvent], None]) -> bool:
        """finish_job and the executor's handling of its result in one transaction, no event row written
        (used when the executor runs in the worker's process). False, nothing written, when fenced off."""
        ...

    def expire_leases(self, now: datetime, limit: int = 100) -> int:
        """Turn jobs whose lease expired into JobLost events (job rows deleted); return how many."""
        ...

    def queue_depth(self) -> list[QueueDepth]:
        """The job queue by worker group (only groups with jobs), for metrics."""
        ...

    def event_backlog(self) -> tuple[int, datetime | None]:
        """Events waiting for the executor and when the oldest was queued, for metrics."""
        ...

    # timers ------------------------------------------------------------------
    def fire_due_timers(self, now: datetime, limit: int = 100) -> int:
        """Turn due timers into TimerFired events (timer rows deleted); return how many."""
        ...

    def next_timer_at(self) -> datetime | None: ...

    # logs --------------------------------------------------------------------
    def append_logs(self, records: Sequence[LogRecord]) -> None: ...

    def logs(self, execution_id: str, *, task_run_id: str | None = None, min_level: str | None = None) -> list[LogRecord]: ...

    def logs_after(self, filters: LogFilter, after_id: int, limit: int = 1000) -> list[StoredLog]:
        """Matching lines written after the line `after_id` (0: from the first), in insertion order."""
        ...

    def search_logs(self, filters: LogFilter, *, descending: bool = True, limit: int = 100,
                    offset: int = 0) -> tuple[list[StoredLog], int]:
        """One page of matching lines by time (ties in insertion order), with their flow, and how many match."""
        ...

    def delete_logs(self, filters: LogFilter) -> int:
        """Delete the matching lines; how many were deleted."""
        ...

    # key-value store -----------------------------------------------------------
    def kv_get(self, namespace: str, key: str, now: datetime) -> KVEntry | None:
        """The entry, or None when absent or expired."""
        ...

    def kv_set(self, namespace: str, key: str, value: Any, *, type: str, expires_at: datetime | None, now: datetime, overwrite: bool = True) -> bool:
        """Store the value; with overwrite=False an existing live key is left alone and False returned."""
        ...

    def kv_delete(self, namespace: str, key: str) -> bool: ...

    def kv_list(self, namespace: str, now: datetime, prefix: str | None = None) -> list[KVEntry]: ...

    def kv_purge(self, namespace: str, now: datetime, *, expired_only: bool, keys: Sequence[str] | None = None) -> int: ...

    # trigger state ---------------------------------------------------------------
    def trigger_states(self, namespace: str | None = None, flow_id: str | None = None) -> list[TriggerState]:
        """Stored trigger states by namespace, flow and trigger id, optionally of one namespace and/or flow."""
        ...

    def get_trigger_state(self, namespace: str, flow_id: str, trigger_id: str) -> TriggerState | None: ...

    def set_trigger_disabled(self, namespace: str, flow_id: str, trigger_id: str, disabled: bool | None,
                             now: datetime) -> TriggerState:
        """Disable or enable a trigger (None flips it), creating its state when absent; the new state."""
        ...

    def unlock_trigger(self, namespace: str, flow_id: str, trigger_id: str, now: datetime) -> TriggerState | None:
        """Forget the execution the trigger waits for, so it may fire again; None when it has no state."""
        ...

    def set_trigger_error(self, namespace: str, flow_id: str, trigger_id: str, error: str | None,
                          now: datetime) -> None:
        """Record the latest failure to evaluate the trigger (None clears it), creating its state when absent.
        A fire clears it (unless it is the FAILED execution of a failure, TriggerFire.error), as does a restart."""
        ...

    def fire_trigger(self, fire: TriggerFire, execution: Execution, event: Event, now: datetime) -> FireOutcome:
        """In one transaction: record the fire's key, create the execution with its first event, move the
        trigger's dates and remember the execution. Nothing written when the key exists or (exclusive) when
        the trigger's previous execution is still active."""
        ...

    def advance_trigger(self, namespace: str, flow_id: str, trigger_id: str, last_date: datetime | None,
                        next_date: datetime | None, now: datetime) -> None:
        """Move the trigger's last date past skipped dates (never backwards) with its next date, creating its
        state when absent; `last_date` None sets only the next date."""
        ...

    def prune_trigger_fires(self, before: datetime) -> int:
        """Forget the fire keys recorded before `before` (their dates are behind every trigger's last date)."""
        ...

    def restart_trigger(self, namespace: str, flow_id: str, trigger_id: str, now: datetime) -> TriggerState | None:
        """Forget the trigger's lock, source lease and dates so it starts afresh from `now` (dates before it
        are not recovered); None when it has no state."""
        ...

    # backfills -----------------------------------------------------------------------
    def backfills(self, namespace: str | None = None, flow_id: str | None = None) -> list[BackfillState]:
        """Backfills by namespace, flow and trigger id, optionally of one namespace and/or flow id."""
        ...

    def get_backfill(self, namespace: str, flow_id: str, trigger_id: str) -> BackfillState | None: ...

    def create_backfill(self, backfill: BackfillState) -> bool:
        """Store a new backfill; False (nothing written) when the trigger already has one."""
        ...

    def set_backfill_paused(self, namespace: str, flow_id: str, trigger_id: str, paused: bool,
                            now: datetime) -> BackfillState | None:
        """Pause or resume a backfill; None when the trigger has none."""
        ...

    def delete_backfill(self, namespace: str, flow_id: str, trigger_id: str) -> bool:
        """Drop a backfill (finished or cancelled); False when there was none."""
        ...

    def advance_backfill(self, namespace: str, flow_id: str, trigger_id: str, cursor: datetime,
                         execution_id: str | None, fired: int, now: datetime) -> None:
        """Move the backfill's cursor to `cursor` (never backwards), count `fired` more executions and, when
        given, remember the last execution it created."""
        ...

    # Flow trigger outbox ---------------------------------------------------------------
    def process_next_end(self, handler: Callable[[EndTx, ExecutionEnd], None], now: datetime) -> bool:
        """Claim the oldest ended execution no other scheduler holds, run `handler` in its transaction,
        delete it and commit. False when none waits."""
        ...

    def pending_ends(self) -> int:
        """How many ended executions wait for the Flow triggers."""
        ...

    def discard_ends(self, state: State) -> int:
        """Drop the queued transitions into `state` (no Flow trigger observes it); how many were dropped."""
        ...

    def get_precondition(self, namespace: str, flow_id: str, trigger_id: str) -> PreconditionState | None:
        """What the Flow trigger's preconditions met in their current window; None when nothing yet."""
        ...

    def reset_precondition(self, namespace: str, flow_id: str, trigger_id: str) -> bool:
        """Forget what the trigger's preconditions met; False when nothing was stored."""
        ...

    def claim_trigger_lease(self, namespace: str, flow_id: str, trigger_id: str, owner: str,
                            seconds: float) -> SourceLease | None:
        """Lease the trigger's source to `owner` for `seconds` (database clock) when nobody holds it, `owner`
        already does, or the holder's lease expired; None when another live process holds it."""
        ...

    def renew_trigger_leases(self, owner: str, seconds: float) -> set[tuple[str, str, str]]:
        """Extend every lease `owner` still holds; the (namespace, flow_id, trigger_id) of those."""
        ...

    def release_trigger_leases(self, owner: str, keys: Sequence[tuple[str, str, str]] | None = None) -> int:
        """Give up `owner`'s leases (of `keys`, or all); how many."""
        ...

    # servers and retention ---------------------------------------------------------
    def register_server(self, record: ServerRecord) -> None:
        """Insert or refresh the registry row of a starting server process."""
        ...

    def database_time(self) -> datetime:
        """The database server's clock (UTC); the host's own for an embedded database."""
        ...

    def server_heartbeat(self, server_id: str, now: datetime) -> bool:
        """Record that the server is alive; False when its row is gone or marked stopped."""
        ...

    def server_stopped(self, server_id: str, now: datetime) -> None:
        """Mark a server that shut down cleanly."""
        ...

    def list_servers(self) -> list[ServerRecord]:
        """Every registered server process, oldest first."""
        ...

    def forget_servers(self, before: datetime) -> int:
        """Drop registry rows whose last heartbeat is older than `before`; how many."""
        ...

    def release_jobs(self, worker_id: str, job_ids: Sequence[int]) -> int:
        """Hand back jobs `worker_id` holds (same attempt, no lease) so another worker claims them now."""
        ...

    def purge_executions(self, before: datetime, limit: int = 500) -> PurgeCount:
        """Delete up to `limit` executions finished before `before`, with their task runs, loop items,
        logs and any leftover queue rows: one short transaction. Call until it returns zero executions."""
        ...

    def purge_logs(self, before: datetime, limit: int = 500) -> int:
        """Delete the logs of up to `limit` executions finished before `before`; how many lines."""
        ...

    # namespace secrets (values sealed) and the audit log ------------------------------------------------
    def secret_get(self, namespace: str, key: str, tenant: str = "main") -> SecretRecord | None:
        """The secret `key` of exactly `namespace`."""
        ...

    def secret_nearest(self, chain: Sequence[str], key: str, tenant: str = "main") -> SecretRecord | None:
        """The secret `key` of the first namespace of `chain` (a namespace, then its parents) holding one."""
        ...

    def secrets_of(self, namespace: str, tenant: str = "main") -> list[SecretRecord]:
        """The secrets of exactly `namespace`, by key."""
        ...

    def secret_put(self, record: SecretRecord, audit: Sequence[AuditEntry] = ()) -> SecretRecord | None:
        """Create or replace a secret and append `audit`, in one transaction; the secret it replaced."""
        ...

    def secret_delete(self, namespace: str, key: str, audit: Sequence[AuditEntry] = (),
                      tenant: str = "main") -> SecretRecord | None:
        """Delete a secret and append `audit` in one transaction; the secret deleted (None: nothing was)."""
        ...

    def secrets_reseal(self, reseal: Callable[[str], str], audit: Sequence[AuditEntry] = ()) -> int:
        """Replace every secret's sealed value, and every sealed SECRET input of a stored execution, by
        `reseal(value)` in ONE transaction (all or nothing); how many secrets."""
        ...

    def audit_append(self, entries: Sequence[AuditEntry]) -> None:
        """Append audit entries: in the write transaction this thread is in (an executor's render), else in one
        of their own."""
        ...

    def audited(self, entries: Sequence[AuditEntry]) -> AbstractContextManager[None]:
        """Within the block, the first write transaction of this thread also appends `entries` (they commit
        or roll back with it); a block that writes nothing appends them on its own when it ends without error."""
        ...

    def audit_search(self, filters: AuditFilter, *, descending: bool = True, limit: int = 100,
                     offset: int = 0) -> tuple[list[AuditRecord], int]:
        """One page of the matching audit entries (newest first by default) and how many match in all."""
        ...

    def purge_audit(self, before: datetime, limit: int = 500) -> int:
        """Delete up to `limit` of the oldest audit entries recorded before `before`; how many."""
        ...
