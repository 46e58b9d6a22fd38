"""Expression functions that read the store (`kv`, `errorLogs`), bound to one execution. The executor
injects them when it renders flowable properties and flow outputs, the worker when it renders tasks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from legato.expressions import ExpressionError
from legato.store.ports import Store


def bind(store: Store, flow_namespace: str, execution_id: str, clock: Callable[[], datetime]) -> dict[str, Callable[..., Any]]:
    """`kv(key, namespace=flow's, errorOnMissing=true)` and `errorLogs()` for one execution."""

    def kv(key: Any, namespace: Any = None, errorOnMissing: Any = True) -> Any:
        target = str(namespace or flow_namespace)
        entry = store.kv_get(target, str(key), clock())
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

    return {"kv": kv, "errorLogs": error_logs}
