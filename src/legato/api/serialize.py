"""Executions and task runs in Kestra's JSON shape (camelCase), for the CLI and the API."""

from __future__ import annotations

from typing import Any

from legato.model.execution import Execution, StateEntry, TaskRun


def _state(current: Any, histories: tuple[StateEntry, ...]) -> dict[str, Any]:
    return {
        "current": str(current),
        "histories": [{"state": str(h.state), "date": h.date.isoformat()} for h in histories],
        "startDate": histories[0].date.isoformat() if histories else None,
        "endDate": histories[-1].date.isoformat() if histories else None,
    }


def task_run_json(run: TaskRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "executionId": run.execution_id,
        "taskId": run.task_id,
        "parentTaskRunId": run.parent_id,
        "value": run.value,
        "iteration": run.iteration,
        "state": _state(run.state, run.histories),
        "attempts": [
            {"state": {"current": str(a.state), "startDate": a.started.isoformat() if a.started else None,
                       "endDate": a.ended.isoformat() if a.ended else None}, "workerId": a.worker_id,
             **({"runner": a.runner} if a.runner else {})}
            for a in run.attempts
        ],
        "outputs": run.outputs,
        "metrics": run.metrics,
        "error": run.error,
    }


def execution_json(execution: Execution, runs: list[TaskRun]) -> dict[str, Any]:
    return {
        "id": execution.id,
        "namespace": execution.namespace,
        "flowId": execution.flow_id,
        "flowRevision": execution.flow_revision,
        "state": _state(execution.state, execution.histories),
        "inputs": execution.inputs,
        "outputs": execution.outputs or {},
        "variables": execution.variables,
        "labels": [{"key": lb.key, "value": lb.value} for lb in execution.labels],
        "trigger": execution.trigger,
        "parentId": execution.parent_id,
        "originalId": execution.origin_id or execution.id,
        "error": execution.error,
        "taskRunList": [task_run_json(r) for r in runs],
    }
