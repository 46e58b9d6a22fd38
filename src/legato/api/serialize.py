"""Executions and task runs in Kestra's JSON shape (camelCase), for the CLI and the API."""

from __future__ import annotations

from legato.api import dto
from legato.model.execution import Attempt, Execution, StateEntry, TaskRun
from legato.model.state import State


def _state(current: State, histories: tuple[StateEntry, ...]) -> dto.StateDto:
    return dto.StateDto(
        current=str(current),
        histories=[dto.StateHistory(state=str(h.state), date=h.date.isoformat()) for h in histories],
        start_date=histories[0].date.isoformat() if histories else None,
        end_date=histories[-1].date.isoformat() if histories else None,
    )


def _attempt(attempt: Attempt) -> dto.AttemptDto:
    return dto.AttemptDto(
        state=dto.AttemptState(current=str(attempt.state),
                               start_date=attempt.started.isoformat() if attempt.started else None,
                               end_date=attempt.ended.isoformat() if attempt.ended else None),
        worker_id=attempt.worker_id, runner=attempt.runner or None,
    )


def task_run_dto(run: TaskRun) -> dto.TaskRunDto:
    return dto.TaskRunDto(
        id=run.id, execution_id=run.execution_id, task_id=run.task_id, parent_task_run_id=run.parent_id,
        value=run.value, iteration=run.iteration, state=_state(run.state, run.histories),
        attempts=[_attempt(a) for a in run.attempts], outputs=run.outputs, metrics=run.metrics, error=run.error,
    )


def execution_dto(execution: Execution, runs: list[TaskRun]) -> dto.ExecutionDto:
    return dto.ExecutionDto(
        id=execution.id, namespace=execution.namespace, flow_id=execution.flow_id,
        flow_revision=execution.flow_revision, state=_state(execution.state, execution.histories),
        inputs=execution.inputs, outputs=execution.outputs or {}, variables=execution.variables,
        labels=[dto.Label(key=lb.key, value=lb.value) for lb in execution.labels], trigger=execution.trigger,
        parent_id=execution.parent_id, original_id=execution.origin_id or execution.id, error=execution.error,
        task_run_list=[task_run_dto(r) for r in runs],
        schedule_date=execution.scheduled_at.isoformat() if execution.scheduled_at else None,
    )
