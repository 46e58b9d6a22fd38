"""Logs of executions: read (by level, task run, attempt), search, download as text, follow (SSE)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from legato.api import dto, scan, sse
from legato.api.context import ApiContext, Ctx, check_tenant
from legato.api.errors import not_found
from legato.api.params import Page, paging, sort_items, utc
from legato.model import state as st
from legato.model.execution import Execution, LogRecord

router = APIRouter(prefix="/api/v1/{tenant}/logs", tags=["Logs"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

Level = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
ExecutionId = Annotated[str, Path(description="The execution's id.", max_length=64)]
MinLevel = Annotated[Level | None, Query(description="Only lines of this level or more severe.")]
TaskRunId = Annotated[str | None, Query(max_length=64, description="Only lines of this task run.")]
AttemptNumber = Annotated[int | None, Query(ge=0, le=10_000, description="Only lines of this attempt (0-based).")]
SEARCH_EXECUTIONS = 500  # a search reads the logs of at most this many (newest) matching executions


def routers() -> list[APIRouter]:
    return [router]


def _entry(record: LogRecord, execution: Execution | None) -> dict[str, Any]:
    return {
        "executionId": record.execution_id, "taskRunId": record.task_run_id, "taskId": record.task_id,
        "attemptNumber": record.attempt, "level": record.level, "message": record.message,
        "timestamp": record.timestamp.isoformat(),
        "namespace": execution.namespace if execution else None, "flowId": execution.flow_id if execution else None,
    }


def _execution(ctx: ApiContext, execution_id: str) -> Execution:
    execution = ctx.store.get_execution(execution_id)
    if execution is None:
        raise not_found(f"execution {execution_id} not found")
    return execution


def _lines(ctx: ApiContext, execution_id: str, min_level: str | None, task_run_id: str | None,
           attempt: int | None) -> list[LogRecord]:
    records = ctx.store.logs(execution_id, task_run_id=task_run_id, min_level=min_level)
    return [r for r in records if attempt is None or r.attempt == attempt]


@router.get("/search", summary="Search logs", response_model=dto.Paged[dto.LogEntry])
def search_logs(
    ctx: Ctx, page: Annotated[Page, Depends(paging)],
    q: Annotated[str | None, Query(max_length=200, description="Text the message contains (case-insensitive).")] = None,
    namespace: Annotated[str | None, Query(max_length=150, description="Executions of this namespace and its children.")] = None,
    flowId: Annotated[str | None, Query(max_length=100, description="Executions of this flow (with `namespace`).")] = None,
    minLevel: MinLevel = None,
    startDate: Annotated[datetime | None, Query(description="Lines logged at or after this instant.")] = None,
    endDate: Annotated[datetime | None, Query(description="Lines logged at or before this instant.")] = None,
) -> dict[str, Any]:
    """Log lines of the newest matching executions (at most 500 executions are read), newest first unless
    `sort` says `timestamp:asc`."""
    text = q.lower() if q else None
    startDate, endDate = utc(startDate), utc(endDate)
    found: list[tuple[LogRecord, Execution]] = []
    # not `since=startDate`: an execution created earlier may still have logged within the window
    executions = scan.executions(ctx.store, namespace=namespace if flowId else None, flow_id=flowId)
    for count, execution in enumerate(executions):
        if count >= SEARCH_EXECUTIONS:
            break
        if namespace and not (execution.namespace == namespace or execution.namespace.startswith(namespace + ".")):
            continue
        for record in ctx.store.logs(execution.id, min_level=minLevel):
            if text and text not in record.message.lower():
                continue
            if (startDate and record.timestamp < startDate) or (endDate and record.timestamp > endDate):
                continue
            found.append((record, execution))
    ordered = sort_items(found, page.sort, {"timestamp": lambda item: item[0].timestamp}, "timestamp:desc")
    return {"results": [_entry(r, x) for r, x in page.slice(ordered)], "total": len(found)}


@router.get("/{executionId}", summary="Logs of an execution", response_model=list[dto.LogEntry])
def execution_logs(ctx: Ctx, executionId: ExecutionId, minLevel: MinLevel = None, taskRunId: TaskRunId = None,
                   attempt: AttemptNumber = None) -> list[dict[str, Any]]:
    """The execution's log lines in the order they were written."""
    execution = _execution(ctx, executionId)
    return [_entry(r, execution) for r in _lines(ctx, executionId, minLevel, taskRunId, attempt)]


@router.get("/{executionId}/download", summary="Download the logs of an execution", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {}}, "description": "One line per log entry"}})
def download_logs(ctx: Ctx, executionId: ExecutionId, minLevel: MinLevel = None, taskRunId: TaskRunId = None,
                  attempt: AttemptNumber = None) -> PlainTextResponse:
    """The log lines as text, `timestamp level [taskId] message`, as an attachment."""
    _execution(ctx, executionId)
    lines = [f"{r.timestamp.isoformat()} {r.level:<5} [{r.task_id or '-'}] {r.message}"
             for r in _lines(ctx, executionId, minLevel, taskRunId, attempt)]
    return PlainTextResponse("\n".join(lines) + ("\n" if lines else ""), headers={
        "Content-Disposition": f'attachment; filename="{executionId}.log"'})


@router.get("/{executionId}/follow", summary="Follow the logs of an execution (SSE)", response_model=None,
            responses=sse.SSE_RESPONSE)
async def follow_logs(ctx: Ctx, request: Request, executionId: ExecutionId, minLevel: MinLevel = None,
                      taskRunId: TaskRunId = None) -> Response:
    """Server-Sent Events: each log line (JSON) as it is written, from the first; the stream ends once the
    execution has ended and its last lines were sent."""
    await run_in_threadpool(_execution, ctx, executionId)

    async def events() -> AsyncIterator[str]:
        sent, idle = 0, 0.0
        while not await request.is_disconnected():
            execution = await run_in_threadpool(ctx.store.get_execution, executionId)
            if execution is None:
                return
            ended = execution.state in st.TERMINAL and execution.ended is not None
            records = await run_in_threadpool(_lines, ctx, executionId, minLevel, taskRunId, None)
            for record in records[sent:]:
                sent, idle = sent + 1, 0.0
                yield sse.event(sse.to_json(_entry(record, execution)), event_id=sent)
            if ended:  # read after seeing the end, so the last lines are in
                return
            if idle >= sse.KEEPALIVE_SECONDS:
                idle = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(ctx.poll_seconds)
            idle += ctx.poll_seconds

    return sse.stream(events())
