"""Logs of executions: read (by level, task run, attempt), search, download as text, follow (SSE), delete."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from legato.api import dto, masking, sse
from legato.api.context import Acting, ApiContext, Ctx, check_tenant
from legato.api.params import Page, paging, parse_sort, utc
from legato.expressions import Masker
from legato.identity.permissions import Action, Resource
from legato.model import state as st
from legato.model.execution import Execution, LogRecord
from legato.services import executions
from legato.services.principal import search_scope
from legato.store.ports import LogFilter, StoredLog

router = APIRouter(prefix="/api/v1/{tenant}/logs", tags=["Logs"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

Level = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
ExecutionId = Annotated[str, Path(description="The execution's id.", max_length=64)]
MinLevel = Annotated[Level | None, Query(description="Only lines of this level or more severe.")]
TaskRunId = Annotated[str | None, Query(max_length=64, description="Only lines of this task run.")]
AttemptNumber = Annotated[int | None, Query(ge=0, le=10_000, description="Only lines of this attempt (0-based).")]
BATCH = 1000  # log lines read per query when streaming them out


def routers() -> list[APIRouter]:
    return [router]


def _entry(record: LogRecord, namespace: str | None, flow_id: str | None, masker: Masker | None) -> dto.LogEntry:
    return dto.LogEntry(
        execution_id=record.execution_id, task_run_id=record.task_run_id, task_id=record.task_id,
        attempt_number=record.attempt, level=record.level, message=masking.mask(record.message, masker),
        timestamp=record.timestamp.isoformat(), namespace=namespace, flow_id=flow_id,
    )


def _execution(ctx: ApiContext, execution_id: str, tenant: str) -> Execution:
    return executions.find(ctx.store, execution_id, tenant=tenant)


def _lines(ctx: ApiContext, filters: LogFilter) -> Iterator[StoredLog]:
    """Every matching line in insertion order, read in batches."""
    after = 0
    while True:
        batch = ctx.store.logs_after(filters, after, BATCH)
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1].id


@router.get("/search", summary="Search logs", response_model=dto.Paged[dto.LogEntry])
def search_logs(
    ctx: Ctx, by: Acting, page: Annotated[Page, Depends(paging)],
    q: Annotated[str | None, Query(max_length=200, description="Text the message contains (case-insensitive).")] = None,
    namespace: Annotated[str | None, Query(max_length=150, description="Executions of this namespace and its children.")] = None,
    flowId: Annotated[str | None, Query(max_length=100, description="Executions of this flow (with `namespace`).")] = None,
    minLevel: MinLevel = None,
    startDate: Annotated[datetime | None, Query(description="Lines logged at or after this instant.")] = None,
    endDate: Annotated[datetime | None, Query(description="Lines logged at or before this instant.")] = None,
) -> dto.Paged[dto.LogEntry]:
    """Log lines of every execution matching the filters, newest first unless `sort` says `timestamp:asc`."""
    scope, within = search_scope(by, Resource.EXECUTION, Action.ACCESS_LOGS, namespace or None)
    filters = LogFilter(text=q or None, namespace=scope, within=within, flow_id=flowId, min_level=minLevel,
                        time_from=utc(startDate), time_to=utc(endDate), tenant=by.tenant)
    _, descending = parse_sort(page.sort, {"timestamp": "timestamp"}, "timestamp:desc")
    found, total = ctx.store.search_logs(filters, descending=descending, limit=page.size, offset=page.offset)
    maskers: dict[str, Masker | None] = {}
    results = []
    for line in found:
        if line.record.execution_id not in maskers:
            execution = ctx.store.get_execution(line.record.execution_id, tenant=by.tenant)
            maskers[line.record.execution_id] = masking.masker_for(ctx, execution) if execution else None
        results.append(_entry(line.record, line.namespace, line.flow_id, maskers[line.record.execution_id]))
    return dto.Paged[dto.LogEntry](results=results, total=total)


@router.get("/{executionId}", summary="Logs of an execution", response_model=list[dto.LogEntry])
def execution_logs(ctx: Ctx, by: Acting, executionId: ExecutionId, minLevel: MinLevel = None, taskRunId: TaskRunId = None,
                   attempt: AttemptNumber = None) -> list[dto.LogEntry]:
    """The execution's log lines in the order they were written."""
    execution = _execution(ctx, executionId, by.tenant)
    masker = masking.masker_for(ctx, execution)
    filters = LogFilter(execution_id=executionId, min_level=minLevel, task_run_id=taskRunId, attempt=attempt, tenant=by.tenant)
    return [_entry(line.record, execution.namespace, execution.flow_id, masker) for line in _lines(ctx, filters)]


@router.get("/{executionId}/download", summary="Download the logs of an execution", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {}}, "description": "One line per log entry"}})
def download_logs(ctx: Ctx, by: Acting, executionId: ExecutionId, minLevel: MinLevel = None, taskRunId: TaskRunId = None,
                  attempt: AttemptNumber = None) -> PlainTextResponse:
    """The log lines as text, `timestamp level [taskId] message`, as an attachment."""
    masker = masking.masker_for(ctx, _execution(ctx, executionId, by.tenant))
    filters = LogFilter(execution_id=executionId, min_level=minLevel, task_run_id=taskRunId, attempt=attempt, tenant=by.tenant)
    lines = [f"{r.timestamp.isoformat()} {r.level:<5} [{r.task_id or '-'}] {masking.mask(r.message, masker)}"
             for r in (line.record for line in _lines(ctx, filters))]
    return PlainTextResponse("\n".join(lines) + ("\n" if lines else ""), headers={
        "Content-Disposition": f'attachment; filename="{executionId}.log"'})


@router.delete("/{executionId}", summary="Delete the logs of an execution", status_code=204, response_class=Response)
def delete_logs(ctx: Ctx, by: Acting, executionId: ExecutionId, taskRunId: TaskRunId = None,
                attempt: AttemptNumber = None) -> Response:
    """Delete the execution's log lines, or only those of one task run (and attempt)."""
    executions.delete_logs(ctx.store, executionId, by=by, task_run_id=taskRunId, attempt=attempt)
    return Response(status_code=204)


@router.get("/{executionId}/follow", summary="Follow the logs of an execution (SSE)", response_model=None,
            responses=sse.SSE_RESPONSE)
async def follow_logs(ctx: Ctx, by: Acting, request: Request, executionId: ExecutionId, minLevel: MinLevel = None,
                      taskRunId: TaskRunId = None) -> Response:
    """Server-Sent Events: each log line (JSON) as it is written, from the first; the stream ends once the
    execution has ended and its last lines were sent."""
    await run_in_threadpool(_execution, ctx, executionId, by.tenant)

    filters = LogFilter(execution_id=executionId, min_level=minLevel, task_run_id=taskRunId, tenant=by.tenant)

    async def events() -> AsyncIterator[str]:
        after, idle = 0, 0.0
        while not await request.is_disconnected():
            execution = await run_in_threadpool(ctx.store.get_execution, executionId)
            if execution is None:
                return
            ended = execution.state in st.TERMINAL and execution.ended is not None
            masker = await run_in_threadpool(masking.masker_for, ctx, execution)
            while True:  # one batch in memory at a time, however far behind the client is
                batch = await run_in_threadpool(ctx.store.logs_after, filters, after, BATCH)
                for line in batch:
                    after, idle = line.id, 0.0
                    entry = _entry(line.record, execution.namespace, execution.flow_id, masker)
                    yield sse.event(sse.to_json(entry.wire()), event_id=line.id)
                if len(batch) < BATCH:
                    break
            if ended:  # read after seeing the end, so the last lines are in
                return
            if idle >= sse.KEEPALIVE_SECONDS:
                idle = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(ctx.poll_seconds)
            idle += ctx.poll_seconds

    return sse.stream(events())
