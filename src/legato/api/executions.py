"""Executions: create (with inputs, files, labels, wait), read, search, follow (SSE), and the operator's
actions (kill, restart, resume, task-run state). Every change goes through an event for the executor."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from pydantic import Field

from legato.api import dto, forms, masking, sse
from legato.api.context import Acting, ApiContext, Ctx, check_tenant
from legato.api.errors import ApiError, bad_request, not_found
from legato.api.params import LabelsQuery, Page, paging, parse_labels, parse_sort, utc
from legato.api.serialize import execution_dto
from legato.identity.permissions import Action, Resource
from legato.model import state as st
from legato.model.execution import Execution, TaskRun
from legato.model.state import State
from legato.services import executions as service
from legato.services import flows as flow_service
from legato.services.errors import ConflictError, ForbiddenError, NotFoundError
from legato.services.principal import Principal, search_scope
from legato.store.ports import ExecutionFilter

router = APIRouter(prefix="/api/v1/{tenant}/executions", tags=["Executions"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

ExecutionId = Annotated[str, Path(description="The execution's id.", max_length=64)]
# `wait=true` reads the execution every WAIT_POLL_FAST seconds for the first WAIT_FAST_FOR seconds (short flows
# end within them), then backs off up to WAIT_POLL_MAX. One read is a primary-key lookup.
WAIT_POLL_FAST, WAIT_FAST_FOR, WAIT_POLL_MAX = 0.004, 1.0, 0.1
SORTS = {"startDate": "created", "endDate": "ended", "state": "state", "namespace": "namespace",
         "flowId": "flow_id", "id": "id"}


def routers() -> list[APIRouter]:
    return [router]


def _get(ctx: ApiContext, execution_id: str, tenant: str) -> Execution:
    return service.find(ctx.store, execution_id, tenant=tenant)


def _json(ctx: ApiContext, execution: Execution, runs: list[TaskRun] | None = None) -> dto.ExecutionDto:
    """The execution with its task runs (read unless given) as the API shows it: its secrets masked."""
    body = execution_dto(execution, ctx.store.task_runs(execution.id) if runs is None else runs)
    return masking.mask_model(body, masking.masker_for(ctx, execution))


def _load(ctx: ApiContext, execution_id: str, tenant: str) -> dto.ExecutionDto:
    return _json(ctx, _get(ctx, execution_id, tenant))


# ---- fixed paths first ----------------------------------------------------------------------------------------


@router.get("/search", summary="Search executions", response_model=dto.Paged[dto.ExecutionDto])
def search_executions(
    ctx: Ctx, by: Acting, page: Annotated[Page, Depends(paging)],
    namespace: Annotated[str | None, Query(max_length=150, description="This namespace and its children.")] = None,
    flowId: Annotated[str | None, Query(max_length=100, description="Executions of this flow (with `namespace`).")] = None,
    state: Annotated[list[State] | None, Query(description="Any of these states (repeatable).")] = None,
    labels: LabelsQuery = None,
    startDate: Annotated[datetime | None, Query(description="Created at or after this instant (UTC if no zone).")] = None,
    endDate: Annotated[datetime | None, Query(description="Created at or before this instant (UTC if no zone).")] = None,
) -> dto.Paged[dto.ExecutionDto]:
    """Executions matching every filter, newest first unless `sort` says otherwise (startDate, endDate, state,
    namespace, flowId, id)."""
    namespace, within = search_scope(by, Resource.EXECUTION, Action.LIST, namespace or None)
    filters = ExecutionFilter(
        namespace=namespace, within=within, flow_id=flowId, states=frozenset(state) if state else None,
        labels=tuple(parse_labels(labels).items()), created_from=utc(startDate), created_to=utc(endDate), tenant=by.tenant
    )
    field, descending = parse_sort(page.sort, SORTS, "startDate:desc")
    found, total = ctx.store.search_executions(filters, sort=field, descending=descending,  # type: ignore[arg-type]
                                               limit=page.size, offset=page.offset)
    return dto.Paged[dto.ExecutionDto](results=[_json(ctx, x) for x in found], total=total)


@router.post("/{namespace}/{id}/validate", summary="Validate inputs for an execution",
             response_model=dto.ValidatedInputs, openapi_extra=forms.INPUTS_BODY)
async def validate_inputs(
    ctx: Ctx, by: Acting, request: Request,
    namespace: Annotated[str, Path(max_length=150, description="The flow's namespace.")],
    id: Annotated[str, Path(max_length=100, description="The flow's id.")],
    revision: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Check against this revision.")] = None,
) -> dto.ValidatedInputs:
    """Check inputs as `POST /executions/{namespace}/{id}` would, and answer with their typed values (SECRET
    inputs masked) and the flow's checks they fail that do not block; 422 naming each bad input or blocking
    check. Nothing is created and uploaded files are not kept."""
    inputs, files = await forms.read_inputs(request, ctx.data_dir)
    try:
        typed, checks = await run_in_threadpool(_typed_inputs, ctx, namespace, id, revision, inputs, files, by.tenant)
    finally:
        await run_in_threadpool(forms.discard, files)
    return dto.ValidatedInputs(namespace=namespace, flow_id=id, inputs=typed, checks=checks)


def _typed_inputs(ctx: ApiContext, namespace: str, flow_id: str, revision: int | None, inputs: dict[str, Any],
                  files: dict[str, str], tenant: str) -> tuple[dict[str, Any], list[dto.CheckMessage]]:
    execution = service.check_inputs(ctx.store, ctx.flows, namespace, flow_id, inputs, now=ctx.clock(),
                                     revision=revision, files=files, tenant=tenant)
    typed: dict[str, Any] = masking.mask(jsonable_encoder(execution.inputs), masking.masker_for(ctx, execution))
    return typed, [dto.CheckMessage.model_validate(c) for c in execution.scratch.get("checks", [])]


# ---- bulk actions (fixed paths, so that they are not read as /{executionId}/...) -------------------------------


def _bulk(ids: list[str], act: Callable[[str], object]) -> dto.BulkResult:
    """Apply `act` to each execution; those that cannot be acted on (missing, wrong state) are listed in
    `errors` with the reason, and the others are still done."""
    done, problems = 0, []
    for execution_id in dict.fromkeys(ids):
        try:
            act(execution_id)
        except (NotFoundError, ConflictError, ForbiddenError, ApiError) as exc:
            problems.append(dto.BulkError(id=execution_id,
                                          message=exc.message if isinstance(exc, ApiError) else str(exc)))
            continue
        done += 1
    return dto.BulkResult(count=done, errors=problems)


BulkIds = Annotated[list[Annotated[str, Field(max_length=64)]],
                    Body(min_length=1, max_length=1000, description="The execution ids.")]


@router.delete("/kill/by-ids", summary="Kill several executions", response_model=dto.BulkResult)
def kill_by_ids(ctx: Ctx, by: Acting, ids: BulkIds) -> dto.BulkResult:
    """Ask the executor to kill each execution; those already ended are listed in `errors`."""
    return _bulk(ids, lambda i: service.kill(ctx.store, i, by=by))


@router.post("/pause/by-ids", summary="Pause several executions", response_model=dto.BulkResult)
def pause_by_ids(ctx: Ctx, by: Acting, ids: BulkIds) -> dto.BulkResult:
    """Pause each RUNNING execution; the others are listed in `errors`."""
    return _bulk(ids, lambda i: service.pause(ctx.store, i, by=by))


@router.post("/restart/by-ids", summary="Restart several executions", response_model=dto.BulkResult)
def restart_by_ids(ctx: Ctx, by: Acting, ids: BulkIds) -> dto.BulkResult:
    """Restart each FAILED or KILLED execution; the others are listed in `errors`."""
    return _bulk(ids, lambda i: service.restart(ctx.store, i, by=by))


@router.delete("/by-ids", summary="Delete several executions", response_model=dto.BulkResult)
def delete_by_ids(
    ctx: Ctx, by: Acting, ids: BulkIds,
    deleteStorage: Annotated[bool, Query(description="Also delete the executions' files in internal storage.")] = True,
) -> dto.BulkResult:
    """Delete each execution with its task runs, logs and (unless `deleteStorage=false`) files."""
    return _bulk(ids, lambda i: _delete(ctx, i, deleteStorage, by))


# ---- one execution --------------------------------------------------------------------------------------------


@router.get("/{executionId}", summary="Get an execution", response_model=dto.ExecutionDto)
def get_execution(ctx: Ctx, by: Acting, executionId: ExecutionId) -> dto.ExecutionDto:
    """The execution with its task runs, in Kestra's shape."""
    return _load(ctx, executionId, by.tenant)


@router.delete("/{executionId}", summary="Delete an execution", status_code=204, response_class=Response)
def delete_execution(
    ctx: Ctx, by: Acting, executionId: ExecutionId,
    deleteStorage: Annotated[bool, Query(description="Also delete the execution's files in internal storage.")] = True,
) -> Response:
    """Delete the execution with its task runs and logs (and its files, unless `deleteStorage=false`). A running
    execution is deleted too: its workers' results are then ignored."""
    _delete(ctx, executionId, deleteStorage, by)
    return Response(status_code=204)


def _delete(ctx: ApiContext, execution_id: str, storage: bool, by: Principal) -> None:
    service.delete(ctx.store, execution_id, by=by, storage=ctx.files if storage else None)


@router.post("/{executionId}/labels", summary="Set labels of an execution", response_model=dto.ExecutionDto)
def set_labels(ctx: Ctx, by: Acting, executionId: ExecutionId,
               labels: Annotated[list[dto.Label], Body(max_length=100, description="Labels to add or change.")]) -> dto.ExecutionDto:
    """Add labels or change their values (other labels stay); the executor applies them, in any state. Answers
    with the execution as it is."""
    for label in labels:
        if not label.key:
            raise bad_request("a label needs a non-empty key", [dto.ErrorDetail(path="key", message="empty")])
    service.set_labels(ctx.store, executionId, {lb.key: lb.value for lb in labels}, by=by)
    return _load(ctx, executionId, by.tenant)


@router.post("/{executionId}/replay", summary="Replay an execution", response_model=dto.ExecutionDto,
             responses={409: {"model": dto.ErrorBody, "description": "The execution has not ended"}})
def replay_execution(
    ctx: Ctx, by: Acting, executionId: ExecutionId,
    taskRunId: Annotated[str | None, Query(max_length=64, description="Run again from this task run (default: the first).")] = None,
    revision: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Run this revision of the flow.")] = None,
) -> dto.ExecutionDto:
    """A new execution reusing the outputs of the task runs before `taskRunId` and running again from it."""
    execution = _get(ctx, executionId, by.tenant)
    if revision is not None:
        flow_service.find(ctx.store, execution.namespace, execution.flow_id, revision, tenant=by.tenant)
    if taskRunId is None:
        runs = ctx.store.task_runs(executionId)
        if not runs:
            raise ApiError(409, f"execution {executionId} has no task run to replay from")
        taskRunId = runs[0].id
    new = service.replay(ctx.store, executionId, taskRunId, by=by, now=ctx.clock(), revision=revision)
    return _json(ctx, new)


@router.post("/{executionId}/force-run", summary="Start a queued execution now", response_model=dto.ExecutionDto,
             responses={409: {"model": dto.ErrorBody, "description": "The execution is not QUEUED"}})
def force_run(ctx: Ctx, by: Acting, executionId: ExecutionId) -> dto.ExecutionDto:
    """Start a QUEUED execution without waiting for a concurrency slot of its flow."""
    service.force_run(ctx.store, executionId, by=by)
    return _load(ctx, executionId, by.tenant)


@router.post("/{executionId}/unqueue", summary="Take an execution out of its queue", response_model=dto.ExecutionDto,
             responses={409: {"model": dto.ErrorBody, "description": "The execution is not QUEUED"}})
def unqueue(ctx: Ctx, by: Acting, executionId: ExecutionId,
            state: Annotated[Literal["RUNNING", "KILLED"], Query(description="RUNNING starts it now; KILLED drops it.")] = "RUNNING",
            ) -> dto.ExecutionDto:
    """Move a QUEUED execution out of the queue: start it now (RUNNING) or kill it (KILLED)."""
    execution = _get(ctx, executionId, by.tenant)
    if execution.state != State.QUEUED:
        raise ApiError(409, f"execution {executionId} is {execution.state}, not QUEUED")
    if state == "RUNNING":
        service.force_run(ctx.store, executionId, by=by)
    else:
        service.kill(ctx.store, executionId, by=by)
    return _load(ctx, executionId, by.tenant)


@router.delete("/{executionId}/kill", summary="Kill an execution", status_code=202, response_model=dto.ExecutionDto,
               responses={409: {"model": dto.ErrorBody, "description": "The execution has already ended"}})
def kill_execution(ctx: Ctx, by: Acting, executionId: ExecutionId) -> dto.ExecutionDto:
    """Ask the executor to kill the execution (and the executions its subflow tasks started); answers at once
    with the execution as it is, 409 if it already ended."""
    service.kill(ctx.store, executionId, by=by)
    return _load(ctx, executionId, by.tenant)


@router.post("/{executionId}/restart", summary="Restart an execution", response_model=dto.ExecutionDto,
             responses={409: {"model": dto.ErrorBody, "description": "Only FAILED or KILLED executions restart"}})
def restart_execution(ctx: Ctx, by: Acting, executionId: ExecutionId) -> dto.ExecutionDto:
    """Re-run the failed part of a FAILED or KILLED execution; answers at once with the execution as it is."""
    service.restart(ctx.store, executionId, by=by)
    return _load(ctx, executionId, by.tenant)


@router.post("/{executionId}/pause", summary="Pause a running execution", status_code=204,
             response_class=Response,
             responses={409: {"model": dto.ErrorBody, "description": "The execution is not RUNNING"}})
def pause_execution(ctx: Ctx, by: Acting, executionId: ExecutionId) -> Response:
    """Pause a RUNNING execution: the tasks running now run to their end, no task starts until it is resumed
    (`POST .../resume`); the execution shows PAUSED meanwhile."""
    service.pause(ctx.store, executionId, by=by)
    return Response(status_code=204)


@router.post("/{executionId}/resume", summary="Resume a paused execution", status_code=204,
             response_class=Response, openapi_extra=forms.INPUTS_BODY,
             responses={409: {"model": dto.ErrorBody, "description": "The execution is not PAUSED"}})
async def resume_execution(ctx: Ctx, by: Acting, request: Request, executionId: ExecutionId) -> Response:
    """Resume a PAUSED execution, with the pause's `onResume` inputs as form fields (validated: 422 names each
    bad input, and the execution stays paused)."""
    inputs, files = await forms.read_inputs(request, ctx.data_dir)
    try:
        await run_in_threadpool(partial(service.resume, by=by, files=files, storage=ctx.files), ctx.store, executionId, inputs)
    finally:
        await run_in_threadpool(forms.discard, files)
    return Response(status_code=204)


@router.post("/{executionId}/state", summary="Change a task run's state", response_model=dto.ExecutionDto,
             responses={409: {"model": dto.ErrorBody, "description": "The task run has not ended"}})
def change_task_run_state(ctx: Ctx, by: Acting, executionId: ExecutionId, change: dto.TaskRunStateChange) -> dto.ExecutionDto:
    """Set a finished task run to another final state (e.g. FAILED to SUCCESS); the executor then carries the
    execution on from there. Answers with the execution as it is."""
    service.change_task_run_state(ctx.store, executionId, change.task_run_id, change.state, by=by)
    return _load(ctx, executionId, by.tenant)


@router.get("/{executionId}/follow", summary="Follow an execution (SSE)", response_model=None,
            responses=sse.SSE_RESPONSE)
async def follow_execution(ctx: Ctx, by: Acting, request: Request, executionId: ExecutionId) -> Response:
    """Server-Sent Events: the execution (JSON) each time it changes; the stream ends once it has ended."""
    await run_in_threadpool(_get, ctx, executionId, by.tenant)

    async def read() -> tuple[str, bool] | None:
        execution = await run_in_threadpool(ctx.store.get_execution, executionId)
        if execution is None:
            return None
        runs = await run_in_threadpool(ctx.store.task_runs, executionId)
        ended = execution.state in st.TERMINAL and execution.ended is not None
        body = masking.mask_model(execution_dto(execution, runs), masking.masker_for(ctx, execution))
        return sse.to_json(body.wire()), ended

    return sse.progress(request, read, ctx.poll_seconds)


# ---- create: last, so that /{executionId}/restart and the like are not read as /{namespace}/{flowId} ------------


@router.post("/{namespace}/{id}", summary="Start an execution", response_model=dto.ExecutionDto,
             openapi_extra=forms.INPUTS_BODY)
async def create_execution(
    ctx: Ctx, by: Acting, request: Request,
    namespace: Annotated[str, Path(max_length=150, description="The flow's namespace.")],
    id: Annotated[str, Path(max_length=100, description="The flow's id.")],
    labels: LabelsQuery = None,
    wait: Annotated[bool, Query(description="Answer once the execution has ended, with its final state.")] = False,
    revision: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Run this revision of the flow.")] = None,
    scheduleDate: Annotated[datetime | None, Query(description="Start at this instant instead of now (UTC if no zone).")] = None,
) -> dto.ExecutionDto:
    """Create an execution of a flow. Inputs come as multipart/form-data fields (FILE inputs as file parts) or
    a JSON object; labels as `labels=key:value`. Invalid inputs: 422 naming each one, and nothing is created."""
    extra = parse_labels(labels)
    inputs, files = await forms.read_inputs(request, ctx.data_dir)
    try:
        execution = await run_in_threadpool(partial(
            service.create_execution, ctx.store, namespace, id, inputs, by=by, now=ctx.clock(), revision=revision,
            labels=extra, files=files, storage=ctx.files, scheduled_at=utc(scheduleDate), flows=ctx.flows,
        ))
    finally:
        await run_in_threadpool(forms.discard, files)
    if wait:
        execution = await _wait_for_end(ctx, request, execution.id)
        return await run_in_threadpool(_json, ctx, execution)
    # As created: its task runs are made by the executor, after this execution's commit; none to read.
    return await run_in_threadpool(_json, ctx, execution, [])


async def _wait_for_end(ctx: ApiContext, request: Request, execution_id: str) -> Execution:
    """The execution once terminal (or as it is when the client has gone away)."""
    loop = asyncio.get_running_loop()
    fast_until = loop.time() + WAIT_FAST_FOR
    delay = WAIT_POLL_FAST
    while True:
        execution = await run_in_threadpool(ctx.store.get_execution, execution_id)  # created by this request
        if execution is None:
            raise not_found(f"execution {execution_id} not found")
        if execution.state in st.TERMINAL and execution.ended is not None:
            return execution
        if await request.is_disconnected():
            return execution
        await asyncio.sleep(delay)
        if loop.time() > fast_until:
            delay = min(delay * 1.5, WAIT_POLL_MAX)


wait_for_end = _wait_for_end  # shared with the webhook routes
