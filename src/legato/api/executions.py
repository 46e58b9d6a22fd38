"""Executions: create (with inputs, files, labels, wait), read, search, follow (SSE), and the operator's
actions (kill, restart, resume, task-run state). Every change goes through an event for the executor."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from legato.api import dto, forms, scan, sse
from legato.api.context import ApiContext, Ctx, check_tenant
from legato.api.errors import not_found
from legato.api.params import LabelsQuery, Page, paging, parse_labels, sort_items, utc
from legato.model import state as st
from legato.model.execution import Execution
from legato.model.state import State
from legato.runtime import actions
from legato.runtime.serialize import execution_json

router = APIRouter(prefix="/api/v1/{tenant}/executions", tags=["Executions"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

ExecutionId = Annotated[str, Path(description="The execution's id.", max_length=64)]
# `wait=true` reads the execution every WAIT_POLL_FAST seconds for the first WAIT_FAST_FOR seconds (short flows
# end within them), then backs off up to WAIT_POLL_MAX. One read is a primary-key lookup.
WAIT_POLL_FAST, WAIT_FAST_FOR, WAIT_POLL_MAX = 0.004, 1.0, 0.1


def routers() -> list[APIRouter]:
    return [router]


def _get(ctx: ApiContext, execution_id: str) -> Execution:
    execution = ctx.store.get_execution(execution_id)
    if execution is None:
        raise not_found(f"execution {execution_id} not found")
    return execution


def _json(ctx: ApiContext, execution: Execution) -> dict[str, Any]:
    body = execution_json(execution, ctx.store.task_runs(execution.id))
    body["scheduleDate"] = execution.scheduled_at.isoformat() if execution.scheduled_at else None
    return body


def _load(ctx: ApiContext, execution_id: str) -> dict[str, Any]:
    return _json(ctx, _get(ctx, execution_id))


# ---- fixed paths first ----------------------------------------------------------------------------------------


@router.get("/search", summary="Search executions", response_model=dto.Paged[dto.ExecutionDto])
def search_executions(
    ctx: Ctx, page: Annotated[Page, Depends(paging)],
    namespace: Annotated[str | None, Query(max_length=150, description="This namespace and its children.")] = None,
    flowId: Annotated[str | None, Query(max_length=100, description="Executions of this flow (with `namespace`).")] = None,
    state: Annotated[list[State] | None, Query(description="Any of these states (repeatable).")] = None,
    labels: LabelsQuery = None,
    startDate: Annotated[datetime | None, Query(description="Created at or after this instant (UTC if no zone).")] = None,
    endDate: Annotated[datetime | None, Query(description="Created at or before this instant (UTC if no zone).")] = None,
) -> dict[str, Any]:
    """Executions matching every filter, newest first unless `sort` says otherwise (startDate, endDate, state,
    namespace, flowId, id)."""
    wanted = parse_labels(labels)
    startDate, endDate = utc(startDate), utc(endDate)
    exact = namespace if flowId is not None else None
    found = []
    for execution in scan.executions(ctx.store, namespace=exact, flow_id=flowId, states=state, since=startDate):
        if namespace and not (execution.namespace == namespace or execution.namespace.startswith(namespace + ".")):
            continue
        if endDate is not None and execution.created > endDate:
            continue
        if wanted and not wanted.items() <= {lb.key: lb.value for lb in execution.labels}.items():
            continue
        found.append(execution)
    keys = {"startDate": lambda x: x.created, "endDate": lambda x: x.ended, "state": lambda x: x.state.value,
            "namespace": lambda x: (x.namespace, x.flow_id), "flowId": lambda x: x.flow_id, "id": lambda x: x.id}
    ordered = sort_items(found, page.sort, keys, "startDate:desc")
    return {"results": [_json(ctx, x) for x in page.slice(ordered)], "total": len(found)}


# ---- one execution --------------------------------------------------------------------------------------------


@router.get("/{executionId}", summary="Get an execution", response_model=dto.ExecutionDto)
def get_execution(ctx: Ctx, executionId: ExecutionId) -> dict[str, Any]:
    """The execution with its task runs, in Kestra's shape."""
    return _load(ctx, executionId)


@router.delete("/{executionId}/kill", summary="Kill an execution", status_code=202, response_model=dto.ExecutionDto,
               responses={409: {"model": dto.ErrorBody, "description": "The execution has already ended"}})
def kill_execution(ctx: Ctx, executionId: ExecutionId) -> dict[str, Any]:
    """Ask the executor to kill the execution (and the executions its subflow tasks started); answers at once
    with the execution as it is, 409 if it already ended."""
    actions.kill(ctx.store, executionId)
    return _load(ctx, executionId)


@router.post("/{executionId}/restart", summary="Restart an execution", response_model=dto.ExecutionDto,
             responses={409: {"model": dto.ErrorBody, "description": "Only FAILED or KILLED executions restart"}})
def restart_execution(ctx: Ctx, executionId: ExecutionId) -> dict[str, Any]:
    """Re-run the failed part of a FAILED or KILLED execution; answers at once with the execution as it is."""
    actions.restart(ctx.store, executionId)
    return _load(ctx, executionId)


@router.post("/{executionId}/resume", summary="Resume a paused execution", status_code=204,
             response_class=Response, openapi_extra=forms.INPUTS_BODY,
             responses={409: {"model": dto.ErrorBody, "description": "The execution is not PAUSED"}})
async def resume_execution(ctx: Ctx, request: Request, executionId: ExecutionId) -> Response:
    """Resume a PAUSED execution, with the pause's `onResume` inputs as form fields (validated: 422 names each
    bad input, and the execution stays paused)."""
    inputs, files = await forms.read_inputs(request, ctx.data_dir)
    await run_in_threadpool(actions.resume, ctx.store, executionId, {**inputs, **files})
    return Response(status_code=204)


@router.post("/{executionId}/state", summary="Change a task run's state", response_model=dto.ExecutionDto,
             responses={409: {"model": dto.ErrorBody, "description": "The task run has not ended"}})
def change_task_run_state(ctx: Ctx, executionId: ExecutionId, change: dto.TaskRunStateChange) -> dict[str, Any]:
    """Set a finished task run to another final state (e.g. FAILED to SUCCESS); the executor then carries the
    execution on from there. Answers with the execution as it is."""
    actions.change_task_run_state(ctx.store, executionId, change.taskRunId, change.state)
    return _load(ctx, executionId)


@router.get("/{executionId}/follow", summary="Follow an execution (SSE)", response_model=None,
            responses=sse.SSE_RESPONSE)
async def follow_execution(ctx: Ctx, request: Request, executionId: ExecutionId) -> Response:
    """Server-Sent Events: the execution (JSON) each time it changes; the stream ends once it has ended."""
    await run_in_threadpool(_get, ctx, executionId)

    async def read() -> tuple[str, bool] | None:
        execution = await run_in_threadpool(ctx.store.get_execution, executionId)
        if execution is None:
            return None
        runs = await run_in_threadpool(ctx.store.task_runs, executionId)
        ended = execution.state in st.TERMINAL and execution.ended is not None
        return sse.to_json(execution_json(execution, runs)), ended

    async def events() -> AsyncIterator[str]:
        count = 0
        async for text, finished in sse.snapshots(request, read, ctx.poll_seconds):
            if not text:
                yield ": keep-alive\n\n"
                continue
            count += 1
            yield sse.event(text, name="end" if finished else "progress", event_id=count)

    return sse.stream(events())


# ---- create: last, so that /{executionId}/restart and the like are not read as /{namespace}/{flowId} ------------


@router.post("/{namespace}/{id}", summary="Start an execution", response_model=dto.ExecutionDto,
             openapi_extra=forms.INPUTS_BODY)
async def create_execution(
    ctx: Ctx, request: Request,
    namespace: Annotated[str, Path(max_length=150, description="The flow's namespace.")],
    id: Annotated[str, Path(max_length=100, description="The flow's id.")],
    labels: LabelsQuery = None,
    wait: Annotated[bool, Query(description="Answer once the execution has ended, with its final state.")] = False,
    revision: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Run this revision of the flow.")] = None,
    scheduleDate: Annotated[datetime | None, Query(description="Start at this instant instead of now (UTC if no zone).")] = None,
) -> dict[str, Any]:
    """Create an execution of a flow. Inputs come as multipart/form-data fields (FILE inputs as file parts) or
    a JSON object; labels as `labels=key:value`. Invalid inputs: 422 naming each one, and nothing is created."""
    extra = parse_labels(labels)
    inputs, files = await forms.read_inputs(request, ctx.data_dir)
    execution = await run_in_threadpool(
        actions.create_execution, ctx.store, namespace, id, inputs, now=ctx.clock(), revision=revision,
        labels=extra, files=files, scheduled_at=utc(scheduleDate),
    )
    if wait:
        execution = await _wait_for_end(ctx, request, execution.id)
    return await run_in_threadpool(_json, ctx, execution)


async def _wait_for_end(ctx: ApiContext, request: Request, execution_id: str) -> Execution:
    """The execution once terminal (or as it is when the client has gone away)."""
    loop = asyncio.get_running_loop()
    fast_until = loop.time() + WAIT_FAST_FOR
    delay = WAIT_POLL_FAST
    while True:
        execution = await run_in_threadpool(_get, ctx, execution_id)
        if execution.state in st.TERMINAL and execution.ended is not None:
            return execution
        if await request.is_disconnected():
            return execution
        await asyncio.sleep(delay)
        if loop.time() > fast_until:
            delay = min(delay * 1.5, WAIT_POLL_MAX)
