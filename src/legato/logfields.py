"""The structured `extra` of a lifecycle log line: what happened (`action`) and to which execution and task run,
so a log pipeline can follow one execution through the executor, the workers and the scheduler."""

from __future__ import annotations


def lifecycle(action: str, *, execution_id: str | None = None, task_run_id: str | None = None) -> dict[str, str | None]:
    """`extra=` for `log.info(...)` and friends: the record gets `action`, `execution_id` and `task_run_id`."""
    return {"action": action, "execution_id": execution_id, "task_run_id": task_run_id}
