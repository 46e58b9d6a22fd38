"""The worker's RunContext: what a runnable task sees while it runs, backed by the store and the expression
engine. One WorkerContext serves one attempt of one task run."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from legato.engine.events import ExecutionCreated, ResumeRequested
from legato.engine.start import new_execution
from legato.expressions.errors import ExpressionError
from legato.flows import Flows
from legato.flows.parse import parse_flow
from legato.model.errors import ChecksFailed, FlowDisabledError, FlowValidationError, InputsError, suggest
from legato.model.execution import Execution, LogRecord, TaskRun
from legato.model.flow import Flow
from legato.model.ids import new_id
from legato.model.state import State
from legato.plugins.context import Effects, TaskFailed
from legato.plugins.core import netguard
from legato.runners.select import RunnerSettings
from legato.storage import LocalStorage, Storage, access, default_storage
from legato.storage import functions as storage_functions
from legato.storage import tenants as tenant_storage
from legato.storage.uris import execution_prefix
from legato.store.ports import (
    MAIN,
    AssetEvent,
    AssetRecord,
    AssetStore,
    AssetUsage,
    ExecutionFilter,
    ExecutionStore,
    FlowReader,
    FlowRecord,
    FlowSave,
    FlowStore,
    KVStore,
    LogFilter,
    LogStore,
    Notifying,
    TriggerStore,
)
from legato.store.ports.governance import AuditFilter, AuditLog, AuditRecord

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}
# Listing KV entries "as of" this instant returns expired ones too (nothing had expired yet back then).
_BEFORE_ANY_EXPIRY = datetime(1970, 1, 1, tzinfo=UTC)


class Renderer(Protocol):
    def render(self, template: str, context: Mapping[str, Any], *, functions: Mapping[str, Callable[..., Any]] | None = None,
               masker: Any = None) -> str: ...

    def render_all(
        self, value: Any, context: Mapping[str, Any], *, functions: Mapping[str, Callable[..., Any]] | None = None,
        typed: bool = False, masker: Any = None,
    ) -> Any: ...


class Masker(Protocol):
    def reveal(self, text: str) -> str: ...

    def mask(self, text: str) -> str: ...


class BufferedLogger:
    """The task's logger: records are masked, filtered by level and kept until the worker flushes them."""

    def __init__(self, *, masker: Masker, min_level: str | None, make: Callable[[str, str], LogRecord]) -> None:
        self._masker = masker
        self._min_rank = _RANK.get((min_level or "TRACE").upper(), 0)
        self._make = make
        self._records: list[LogRecord] = []
        self._lock = threading.Lock()  # script runners log from reader threads while the worker flushes

    def trace(self, message: str) -> None:
        self._add("TRACE", message)

    def debug(self, message: str) -> None:
        self._add("DEBUG", message)

    def info(self, message: str) -> None:
        self._add("INFO", message)

    def warn(self, message: str) -> None:
        self._add("WARN", message)

    def error(self, message: str) -> None:
        self._add("ERROR", message)

    def log(self, level: str, message: str) -> None:
        """Log at a level given by name (WARNING is taken as WARN); unknown names log at INFO."""
        name = level.upper()
        self._add("WARN" if name == "WARNING" else name if name in _RANK else "INFO", message)

    def drain(self) -> list[LogRecord]:
        """The buffered records, in order, leaving the buffer empty."""
        with self._lock:
            records, self._records = self._records, []
        return records

    def _add(self, level: str, message: str) -> None:
        if _RANK[level] >= self._min_rank:
            record = self._make(level, self._masker.mask(str(message)))
            with self._lock:
                self._records.append(record)


class OperationStore(FlowStore, ExecutionStore, LogStore, TriggerStore, AuditLog, AssetStore, Notifying, Protocol):
    """What tasks acting on flows, executions and triggers reach (subflows, resume, purge, trigger toggles...)."""


class NamespaceKV(FlowReader, KVStore, Protocol):
    """The KV store, and the flows whose namespaces it lists."""


class TaskStore(FlowStore, ExecutionStore, LogStore, KVStore, TriggerStore, AuditLog, AssetStore, Notifying, Protocol):
    """What one task attempt may reach of the store: those operations and the namespace KV store."""


class StoreKV:
    """The namespace KV store over the store's kv_* queries, with the flow's namespace as the default."""

    def __init__(self, store: NamespaceKV, default_namespace: str, clock: Callable[[], datetime], *,
                 tenant: str = MAIN) -> None:
        self._store = store
        self._namespace = default_namespace
        self._clock = clock
        self._tenant = tenant  # the execution's: a task reaches the KV of its own tenant only

    def get(self, key: str, namespace: str | None = None) -> tuple[str, Any] | None:
        entry = self._store.kv_get(namespace or self._namespace, key, self._clock(), tenant=self._tenant)
        return None if entry is None else (entry.type, entry.value)

    def set(
        self, key: str, value: Any, *, type: str, ttl_seconds: float | None, overwrite: bool = True, namespace: str | None = None
    ) -> bool:
        now = self._clock()
        expires_at = None if ttl_seconds is None else now + timedelta(seconds=ttl_seconds)
        return self._store.kv_set(
            namespace or self._namespace, key, value, type=type, expires_at=expires_at, now=now, overwrite=overwrite, tenant=self._tenant
        )

    def delete(self, key: str, namespace: str | None = None) -> bool:
        return self._store.kv_delete(namespace or self._namespace, key, tenant=self._tenant)

    def keys(self, prefix: str | None = None, namespace: str | None = None) -> list[str]:
        return [e.key for e in self._store.kv_list(namespace or self._namespace, self._clock(), prefix, tenant=self._tenant)]

    def purge(self, *, expired_only: bool, keys: list[str] | None = None, namespace: str | None = None) -> int:
        return self._store.kv_purge(namespace or self._namespace, self._clock(), expired_only=expired_only, keys=keys, tenant=self._tenant)

    def namespaces(self) -> list[str]:
        """Namespaces known to the store (those of its flows) and the flow's own."""
        return sorted({self._namespace, *(f.namespace for f in self._store.list_flows(tenant=self._tenant))})

    def expiries(self, namespace: str) -> dict[str, datetime | None]:
        """Every key of `namespace`, expired ones included, with its expiry time."""
        return {e.key: e.expires_at for e in self._store.kv_list(namespace, _BEFORE_ANY_EXPIRY, tenant=self._tenant)}


class StoreOperations:
    """Actions on other executions (through the store's event queue) and on trigger state."""

    def __init__(self, store: OperationStore, clock: Callable[[], datetime], flows: Flows, storage: Storage | None = None,
                 *, tenant: str = MAIN) -> None:
        self._store = store
        self._clock = clock
        self._flows = flows
        self._tenant = tenant  # the execution's: a task acts on the flows and executions of its own tenant only
        # the tenant's whole internal storage, for PurgeExecutions (tasks see a scoped one)
        self._storage = tenant_storage.of_tenant(storage, tenant) if storage is not None else None

    def resume_execution(self, execution_id: str, inputs: dict[str, Any]) -> None:
        target = self._store.get_execution(execution_id, tenant=self._tenant)
        if target is None:
            raise TaskFailed(f"no execution found for execution id {execution_id}")
        if target.state != State.PAUSED:
            raise TaskFailed(f"execution {execution_id} is {target.state.value}, not PAUSED, so it cannot be resumed")
        self._store.send_event(execution_id, ResumeRequested(inputs=dict(inputs)))
        self._store.wakeups.notify("events")

    def toggle_trigger(self, namespace: str, flow_id: str, trigger_id: str, enabled: bool | None) -> bool:
        self._check_trigger(namespace, flow_id, trigger_id)
        disabled = None if enabled is None else not enabled
        return self._store.set_trigger_disabled(namespace, flow_id, trigger_id, disabled, self._clock(),
                                                tenant=self._tenant).enabled

    def find_execution(self, execution_id: str) -> Execution | None:
        return self._store.get_execution(execution_id, tenant=self._tenant)

    def execution_task_runs(self, execution_id: str) -> list[TaskRun]:
        return self._store.task_runs(execution_id)

    def execution_logs(self, execution_id: str, *, min_level: str | None, after: int, limit: int) -> list[tuple[int, LogRecord]]:
        if self._store.get_execution(execution_id, tenant=self._tenant) is None:
            return []
        lines = self._store.logs_after(LogFilter(execution_id=execution_id, min_level=min_level), after, limit)
        return [(line.id, line.record) for line in lines]

    def logs_after(self, filters: LogFilter, *, after: int, limit: int) -> list[tuple[int, LogRecord]]:
        lines = self._store.logs_after(replace(filters, tenant=self._tenant), after, limit)
        return [(line.id, line.record) for line in lines]

    def audit_after(self, filters: AuditFilter, *, limit: int) -> list[AuditRecord]:
        found, _ = self._store.audit_search(replace(filters, tenant=self._tenant), descending=False, limit=limit)
        return found

    def asset_events_after(self, after: int, limit: int, *, since: datetime | None,
                           namespace: str | None) -> list[AssetEvent]:
        return self._store.asset_usages_after(after, limit, since=since, namespace=namespace, tenant=self._tenant)

    def search_executions(self, filters: ExecutionFilter, *, limit: int, offset: int = 0) -> tuple[list[Execution], int]:
        filters = replace(filters, tenant=self._tenant)
        return self._store.search_executions(filters, descending=False, limit=limit, offset=offset)

    def count_executions(self, filters: ExecutionFilter) -> dict[tuple[str, str], int]:
        counts = self._store.count_executions(replace(filters, tenant=self._tenant), ["namespace", "flow_id"])
        return {(c.key[0], c.key[1]): c.count for c in counts}

    def delete_execution(self, execution_id: str) -> bool:
        if self._store.get_execution(execution_id, tenant=self._tenant) is None:
            return False
        return self._store.delete_execution(execution_id)

    def delete_logs(self, filters: LogFilter) -> int:
        if filters.execution_id is not None and self._store.get_execution(filters.execution_id,
                                                                          tenant=self._tenant) is None:
            return 0
        return self._store.delete_logs(replace(filters, tenant=self._tenant))

    def delete_execution_files(self, execution: Execution) -> int:
        if self._storage is None:
            return 0
        return self._storage.delete_prefix(execution_prefix(execution.namespace, execution.flow_id, execution.id))

    def flows_in(self, namespace: str, *, children: bool) -> list[FlowRecord]:
        found = [r for r in self._store.list_flows(tenant=self._tenant) if r.namespace == namespace
                 or (children and r.namespace.startswith(namespace + "."))]
        return sorted(found, key=lambda r: (r.namespace, r.id))

    def flow_error(self, source: str) -> str | None:
        try:
            parse_flow(source)
        except FlowValidationError as exc:
            return str(exc)
        return None

    def replace_flows(self, sources: list[str], deletions: list[tuple[str, str]]) -> list[FlowRecord]:
        saves = []
        for source in sources:
            try:
                flow = parse_flow(source)
            except FlowValidationError as exc:
                raise TaskFailed(str(exc)) from None
            saves.append(FlowSave(flow.namespace, flow.id, source, flow.disabled))
        return self._store.replace_flows(saves, deletions, self._clock(), tenant=self._tenant)

    def find_flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        record = self._store.get_flow(namespace, flow_id, revision, tenant=self._tenant)
        if record is None or record.deleted:
            return None
        try:
            return self._flows.of(record)
        except FlowValidationError as exc:
            raise TaskFailed(f"flow {namespace}.{flow_id} cannot be loaded: {exc}") from None

    def start_execution(self, namespace: str, flow_id: str, inputs: dict[str, Any], *, labels: dict[str, str],
                        revision: int | None = None, scheduled_at: datetime | None = None) -> Execution:
        record = self._store.get_flow(namespace, flow_id, revision, tenant=self._tenant)
        if record is None or record.deleted:
            raise TaskFailed(f"flow {namespace}.{flow_id} not found")
        try:
            execution = new_execution(self._flows.of(record), record.revision, inputs, execution_id=new_id(),
                                      now=self._clock(), labels=labels, scheduled_at=scheduled_at,
                                      tenant=self._tenant)
        except (FlowValidationError, InputsError, ChecksFailed, FlowDisabledError) as exc:
            raise TaskFailed(f"cannot start flow {namespace}.{flow_id}: {exc}") from None
        self._store.create_execution(execution, ExecutionCreated())
        return execution

    def _check_trigger(self, namespace: str, flow_id: str, trigger_id: str) -> None:
        """TaskFailed unless the deployed flow `namespace.flow_id` declares the trigger `trigger_id`."""
        record = self._store.get_flow(namespace, flow_id, tenant=self._tenant)
        if record is None:
            raise TaskFailed(f"flow {namespace}.{flow_id} not found, so its trigger '{trigger_id}' cannot be toggled")
        try:
            flow = self._flows.of(record)
        except FlowValidationError as exc:
            raise TaskFailed(f"flow {namespace}.{flow_id} cannot be loaded: {exc}") from None
        ids = [t.id for t in flow.triggers or ()]
        if trigger_id not in ids:
            known = f"its triggers: {', '.join(ids)}" if ids else "it has no triggers"
            raise TaskFailed(f"flow {namespace}.{flow_id} has no trigger '{trigger_id}'{suggest(trigger_id, ids)}; {known}")


class WorkerContext:
    """RunContext for one attempt of one task run."""

    def __init__(
        self,
        *,
        store: TaskStore,
        flows: Flows,
        renderer: Renderer,
        masker: Masker,
        variables: Mapping[str, Any],
        execution: Execution,
        task_run: TaskRun,
        attempt: int,
        flow_namespace: str,
        flow_id: str,
        log_level: str | None,
        clock: Callable[[], datetime],
        cancelled: asyncio.Event,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        storage: Storage | None = None,
        runner_settings: RunnerSettings | None = None,
    ) -> None:
        backend = storage if storage is not None else default_storage()
        if runner_settings is None:  # scripts never see the files of other executions
            hidden = [backend.root] if isinstance(backend, LocalStorage) else []
            runner_settings = RunnerSettings.from_env(hidden=hidden, address_check=netguard.resolve_checked)
        self.runner_settings = runner_settings
        self.working_dir: Path | None = None  # set by a WorkingDirectory for the tasks it runs
        self.execution = execution
        self.task_run = task_run
        self.attempt = attempt
        self.flow_namespace = flow_namespace
        self.flow_id = flow_id
        self.variables = variables
        self.effects = Effects()
        self.kv = StoreKV(store, flow_namespace, clock, tenant=execution.tenant)
        self.operations = StoreOperations(store, clock, flows, backend, tenant=execution.tenant)
        backend = tenant_storage.of_tenant(backend, execution.tenant)  # this tenant's files only
        self.logger = BufferedLogger(masker=masker, min_level=log_level, make=self._record)
        self._store = store
        self._renderer = renderer
        self._masker = masker
        self._clock = clock
        self._cancelled = cancelled
        scope = storage_functions.FileScope(execution.namespace, execution.flow_id, execution.id,
                                            trigger=execution.trigger, parent_id=execution.parent_id,
                                            lookup=partial(store.get_execution, tenant=execution.tenant))
        # every task reaches internal storage through this one check (legato.storage.access)
        self.storage: Storage = access.ScopedStorage(backend, scope)
        # read(), fileSize()... over this attempt's storage; functions the caller binds take precedence
        self._functions: dict[str, Callable[..., Any]] = {**storage_functions.bind(self.storage, scope), **dict(functions or {})}

    def now(self) -> datetime:
        return self._clock()

    def render(self, value: Any) -> Any:
        """Render every string in `value`; a string that is one whole `{{ expr }}` keeps the expression's type."""
        try:
            rendered = self._renderer.render_all(value, self.variables, functions=self._functions, typed=True,
                                                  masker=self._masker)
        except ExpressionError as exc:
            raise TaskFailed(str(exc)) from None
        return self._reveal(rendered)

    def render_with(self, value: Any, extra: Mapping[str, Any]) -> Any:
        """`render` with `extra` variables over the task's own (each item of a file, for instance)."""
        try:
            rendered = self._renderer.render_all(value, {**self.variables, **extra}, functions=self._functions, typed=True,
                                                  masker=self._masker)
        except ExpressionError as exc:
            raise TaskFailed(str(exc)) from None
        return self._reveal(rendered)

    def render_string(self, value: Any) -> str:
        """Render to text, as Kestra does for string properties."""
        if isinstance(value, str):
            try:
                text = self._renderer.render(value, self.variables, functions=self._functions, masker=self._masker)
            except ExpressionError as exc:
                raise TaskFailed(str(exc)) from None
            return self._masker.reveal(text)
        return _text(self.render(value))

    async def sleep(self, seconds: float) -> None:
        """Sleep, ending early with TaskFailed(KILLED) when the task is killed."""
        if not self._cancelled.is_set():
            try:
                await asyncio.wait_for(self._cancelled.wait(), timeout=max(seconds, 0.0))
            except TimeoutError:
                return
        raise TaskFailed("killed", State.KILLED)

    def drain(self) -> list[LogRecord]:
        """The logs buffered since the last drain or flush."""
        return self.logger.drain()

    def record_assets(self, inputs: Sequence[AssetRecord], outputs: Sequence[AssetRecord],
                      usages: Sequence[AssetUsage]) -> None:
        """Write the assets this attempt read and wrote, and its usages of them (legato.worker.assets)."""
        self._store.record_asset_usages(inputs, outputs, usages)

    def flush(self) -> None:
        """Write the buffered logs to the store."""
        records = self.logger.drain()
        if records:
            self._store.append_logs(records)

    def _record(self, level: str, message: str) -> LogRecord:
        return LogRecord(
            execution_id=self.execution.id,
            task_run_id=self.task_run.id,
            task_id=self.task_run.task_id,
            attempt=self.attempt - 1,  # the job counts from 1; logs number attempts from 0, as Kestra does
            level=level,
            message=message,
            timestamp=self._clock(),
        )

    def _reveal(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._masker.reveal(value)
        if isinstance(value, dict):
            return {self._reveal(k): self._reveal(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._reveal(v) for v in value]
        return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return value if isinstance(value, str) else str(value)
