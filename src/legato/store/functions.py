"""Expression functions that read the store (`kv`, `errorLogs`, `secret`), bound to one execution. The executor
injects them when it renders flowable properties and flow outputs, the worker when it renders tasks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from legato.expressions import ExpressionError
from legato.store import secret_backends
from legato.store.ports import Governance, KVStore, LogStore
from legato.store.ports.governance import AuditEntry
from legato.store.ports.tenants import MAIN


class FunctionStore(LogStore, KVStore, Governance, Protocol):
    """What the expression functions read: secrets (each read audited), KV entries and log lines."""


def bind(store: FunctionStore, flow_namespace: str, execution_id: str, clock: Callable[[], datetime], *,
         tenant: str = MAIN) -> dict[str, Callable[..., Any]]:
    """`kv(key, namespace=flow's, errorOnMissing=true)`, `errorLogs()` and `secret(key)` for one execution of
    `tenant` (KV and secrets of that tenant only).
    `secret` looks in the flow's namespace, then its parents, then Kestra's SECRET_<KEY> environment form;
    each secret read from a namespace is audited once per binding (a task attempt, an executor render)."""
    audited: set[tuple[str, str]] = set()

    def on_read(namespace: str, key: str) -> None:
        if (namespace, key) in audited:
            return
        audited.add((namespace, key))
        store.audit_append([AuditEntry(
            at=clock(), action="READ", resource="SECRET", resource_id=f"{namespace}/{key}", namespace=namespace,
            actor_kind="system", actor="system", details={"executionId": execution_id, "flowNamespace": flow_namespace},
            tenant=tenant)])

    def secret(key: Any) -> str:
        return secret_backends.resolve(store, flow_namespace, key, tenant=tenant, on_read=on_read)

    def kv(key: Any, namespace: Any = None, errorOnMissing: Any = True) -> Any:
        target = str(namespace or flow_namespace)
        entry = store.kv_get(target, str(key), clock(), tenant=tenant)
        if entry is not None:
            return entry.value
        if errorOnMissing not in (False, "false", None):
            raise ExpressionError(f"the key '{key}' does not exist in the namespace '{target}'")
        return None

    def error_logs() -> list[dict[str, Any]]:
        return [
            {"taskId": r.task_id, "taskRunId": r.task_run_id, "message": r.message, "level": r.level,
             "timestamp": r.timestamp}
            for r in store.logs(execution_id, min_level="ERROR")
        ]

    return {"kv": kv, "errorLogs": error_logs, "secret": secret}
