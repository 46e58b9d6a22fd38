"""Metrics of an execution (Kestra's `GET /api/v1/{tenant}/metrics/{executionId}`): the counters and timers its
task runs reported (through the `::{"metrics": [...]}::` stdout protocol or a plugin), one row each. They are
kept on the task runs; this route flattens them, filtered by task or task run and paged."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from legato.api import dto, masking
from legato.api.context import Acting, Ctx, check_tenant
from legato.api.params import Page, paging, sort_items
from legato.model.execution import Execution, TaskRun
from legato.services import executions

router = APIRouter(prefix="/api/v1/{tenant}/metrics", tags=["Executions"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)
SORTS = {"name": lambda m: m.name, "taskId": lambda m: m.task_id, "type": lambda m: m.type,
         "value": lambda m: m.value, "timestamp": lambda m: m.timestamp}


def routers() -> list[APIRouter]:
    return [router]


@router.get("/{executionId}", summary="Metrics of an execution", response_model=dto.Paged[dto.MetricEntry])
def execution_metrics(
    ctx: Ctx, by: Acting, page: Annotated[Page, Depends(paging)],
    executionId: Annotated[str, Path(description="The execution's id.", max_length=64)],
    taskRunId: Annotated[str | None, Query(max_length=64, description="Only this task run's metrics.")] = None,
    taskId: Annotated[str | None, Query(max_length=100, description="Only the metrics of this task's runs.")] = None,
) -> dto.Paged[dto.MetricEntry]:
    """Every metric the execution's task runs reported, in the order the tasks ran unless `sort` says otherwise
    (name, taskId, type, value, timestamp). Timer values are milliseconds."""
    execution = executions.find(ctx.store, executionId, tenant=by.tenant)
    runs = [r for r in ctx.store.task_runs(executionId)
            if (taskRunId is None or r.id == taskRunId) and (taskId is None or r.task_id == taskId)]
    entries = [e for run in runs for e in _entries(execution, run)]
    if page.sort:
        entries = sort_items(entries, page.sort, SORTS, "name")
    body = dto.Paged[dto.MetricEntry](results=page.slice(entries), total=len(entries))
    return masking.mask_model(body, masking.masker_for(ctx, execution))


def _entries(execution: Execution, run: TaskRun) -> list[dto.MetricEntry]:
    ended = run.histories[-1].date if run.histories else None
    return [entry for raw in run.metrics if (entry := _entry(execution, run, raw, ended)) is not None]


def _entry(execution: Execution, run: TaskRun, raw: dict[str, Any], ended: datetime | None) -> dto.MetricEntry | None:
    """The API's row for a metric as a task reported it; None for one without a name or a numeric value."""
    value = raw.get("value")
    if not isinstance(raw.get("name"), str) or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value):
        return None
    timer = raw.get("type") == "timer"
    tags = raw.get("tags") if isinstance(raw.get("tags"), dict) else {}
    return dto.MetricEntry(
        namespace=execution.namespace, flow_id=execution.flow_id, execution_id=execution.id, task_id=run.task_id,
        task_run_id=run.id, type="timer" if timer else "counter", name=raw["name"],
        value=float(value) * 1000 if timer else float(value), timestamp=ended,
        tags={str(k): str(v) for k, v in (tags or {}).items()},
    )
