"""Apps: create, read, update, delete, list and validate their YAML, preview a stage in the editor; and the routes
an app's page calls (see its blocks, submit, resume, cancel, follow, download a file), which a PUBLIC app answers
without credentials (access.APP rule) and which reach only the executions the app started."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from legato.api import dto, execution_files, forms, masking, sse
from legato.api.context import Acting, ApiContext, Ctx, check_tenant
from legato.api.errors import bad_request, problem_detail
from legato.api.params import YAML_BODY, Page, paging, yaml_body
from legato.apps import App, Stage, parse_app
from legato.model import state as st
from legato.model.errors import FlowValidationError
from legato.services import app_runtime, apps
from legato.services.principal import Principal
from legato.store.ports import AppRecord

router = APIRouter(prefix="/api/v1/{tenant}/apps", tags=["Apps"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

AppId = Annotated[str, Path(description="The app's id.", max_length=100)]
ExecutionId = Annotated[str, Path(description="An execution the app started.", max_length=64)]
ExecutionQuery = Annotated[str | None, Query(max_length=64, description="The execution the page follows.")]
Source = Annotated[str, Depends(yaml_body)]


def routers() -> list[APIRouter]:
    return [router]


def _dto(record: AppRecord, app: App, *, source: bool = True) -> dto.AppDto:
    return dto.AppDto(
        id=record.id, display_name=app.display_name, description=app.description, namespace=app.namespace,
        flow_id=app.flow_id, access=dto.AppAccessDto(type=app.access.type, groups=app.access.groups,
                                                     catalog=app.access.catalog),
        tags=app.tags, disabled=app.disabled, url=app_runtime.app_url(record.id),
        source_code=record.source if source else None, created=record.created, updated=record.updated)


# ---- managing apps (APP permission) ----------------------------------------------------------------------------


@router.get("", summary="Search apps", response_model=dto.Paged[dto.AppDto])
def search(ctx: Ctx, by: Acting, page: Annotated[Page, Depends(paging)],
           q: Annotated[str | None, Query(max_length=255, description="Id or display name contains this.")] = None,
           namespace: Annotated[str | None, Query(max_length=150, description="In this namespace (and below).")] = None,
           tags: Annotated[list[str] | None, Query(description="Apps with every one of these tags.")] = None,
           ) -> dto.Paged[dto.AppDto]:
    """Apps by display name then id, paged (without their sources)."""
    found = apps.search(ctx.store, q, namespace=namespace, tags=tags, by=by)
    shown = [_dto(record, app, source=False) for record, app in page.slice(found)]
    return dto.Paged[dto.AppDto](results=shown, total=len(found))


@router.get("/catalog", summary="The apps catalogue", response_model=list[dto.AppDto])
def catalog(ctx: Ctx, by: Acting) -> list[dto.AppDto]:
    """The apps the caller may open (PUBLIC ones, and PRIVATE ones of namespaces it may use apps of) that are
    listed in the catalogue, not disabled."""
    return [_dto(record, app, source=False) for record, app in app_runtime.catalog(ctx.store, by=by, now=ctx.clock())]


@router.post("", summary="Create an app", response_model=dto.AppDto, openapi_extra=YAML_BODY)
def create(ctx: Ctx, by: Acting, source: Source) -> dto.AppDto:
    """Store a new app from its YAML: 422 with the line and path of each problem, 409 when its id is taken."""
    saved = apps.create(ctx.store, source, by=by, now=ctx.clock())
    return _dto(saved.record, saved.app)


@router.post("/validate", summary="Validate an app", response_model=dto.ValidateResult, openapi_extra=YAML_BODY)
def validate(source: Source) -> dto.ValidateResult:
    """Check an app's YAML without storing it: `constraints` and located `details` when it is invalid."""
    try:
        apps.validate(source)
    except FlowValidationError as exc:
        return dto.ValidateResult(index=0, constraints=str(exc), details=[problem_detail(p) for p in exc.problems])
    return dto.ValidateResult(index=0)


@router.post("/preview", summary="Preview a stage of an app not saved yet", response_model=dto.AppViewDto)
def preview(ctx: Ctx, by: Acting, request: dto.AppPreviewRequest) -> dto.AppViewDto:
    """The blocks of `stage` of the app written in `source`, as its page would show them without an execution
    (the editor's preview); 422 with the line and path of each problem of the YAML."""
    try:
        stage = Stage(request.stage)
    except ValueError:
        raise bad_request(f"unknown stage '{request.stage}'; use one of {', '.join(Stage)}") from None
    app = parse_app(request.source)
    now = ctx.clock()
    record = AppRecord(app.id, app.namespace, app.flow_id, app.display_name, app.access.type, request.source, now, now, tenant=by.tenant)
    shown = app_runtime.preview(ctx.store, ctx.flows, record, app, stage, by=by)
    return _view_dto(ctx, shown)


@router.get("/{id}", summary="Get an app", response_model=dto.AppDto)
def get(ctx: Ctx, by: Acting, id: AppId) -> dto.AppDto:
    """One app: its YAML source and what it parses to."""
    record, app = apps.get(ctx.store, id, by=by)
    return _dto(record, app)


@router.put("/{id}", summary="Update an app", response_model=dto.AppDto, openapi_extra=YAML_BODY)
def update(ctx: Ctx, by: Acting, id: AppId, source: Source) -> dto.AppDto:
    """Replace an app's YAML (422 when invalid, 404 when there is no such app)."""
    saved = apps.update(ctx.store, id, source, by=by, now=ctx.clock())
    return _dto(saved.record, saved.app)


@router.delete("/{id}", summary="Delete an app", status_code=204, response_class=Response)
def delete(ctx: Ctx, by: Acting, id: AppId) -> Response:
    """Remove an app (the executions it started stay)."""
    apps.delete(ctx.store, id, by=by, now=ctx.clock())
    return Response(status_code=204)


# ---- an app's page (PUBLIC apps: no credentials needed) ----------------------------------------------------------


def _view_dto(ctx: ApiContext, view: app_runtime.AppView) -> dto.AppViewDto:
    execution = view.execution
    body = dto.AppViewDto(
        app=_dto(view.record, view.app, source=False), stage=view.stage.value, shown_stage=view.shown.value,
        ended=execution is not None and execution.state in st.TERMINAL and execution.ended is not None,
        execution=dto.AppExecutionDto(id=execution.id, state=execution.state.value) if execution else None,
        blocks=view.blocks)
    return masking.mask_model(body, masking.masker_for(ctx, execution)) if execution else body


def _view(ctx: ApiContext, by: Principal, key: str, execution_id: str | None) -> dto.AppViewDto:
    return _view_dto(ctx, app_runtime.view(ctx.store, ctx.flows, key, execution_id, by=by, now=ctx.clock()))


@router.get("/{id}/view", summary="An app's page", response_model=dto.AppViewDto)
def view(ctx: Ctx, by: Acting, id: AppId, execution: ExecutionQuery = None) -> dto.AppViewDto:
    """The stage the app is at (OPEN without `execution`, else the stage of that execution of the app) and the
    blocks it shows. PUBLIC apps answer anyone; PRIVATE ones need APPEXECUTION:VIEW on the app's namespace."""
    return _view(ctx, by, id, execution)


@router.get("/{id}/follow", summary="Follow an app's page (SSE)", response_model=None, responses=sse.SSE_RESPONSE)
async def follow(ctx: Ctx, by: Acting, request: Request, id: AppId, execution: ExecutionQuery = None) -> Response:
    """Server-Sent Events: the page (as `view` answers it) each time it changes; the stream ends once the
    execution has ended."""
    await run_in_threadpool(_view, ctx, by, id, execution)

    async def read() -> tuple[str, bool] | None:
        page = await run_in_threadpool(_view, ctx, by, id, execution)
        return sse.to_json(page.wire()), page.ended or page.execution is None

    return sse.progress(request, read, ctx.poll_seconds)


@router.post("/{id}/executions", summary="Submit an app's form", response_model=dto.AppViewDto,
             openapi_extra=forms.INPUTS_BODY)
async def submit(ctx: Ctx, by: Acting, request: Request, id: AppId) -> dto.AppViewDto:
    """Start the app's flow with the form's inputs (multipart/form-data, FILE inputs as file parts, or JSON): the
    execution is labelled `system.app:<id>`; 422 naming each bad input, and nothing is created. Answers with the
    page for the new execution."""
    inputs, files = await forms.read_inputs(request, ctx.data_dir)
    try:
        execution = await run_in_threadpool(partial(
            app_runtime.submit, ctx.store, id, inputs, by=by, now=ctx.clock(), files=files, storage=ctx.files,
            flows=ctx.flows))
    finally:
        await run_in_threadpool(forms.discard, files)
    return await run_in_threadpool(_view, ctx, by, id, execution.id)


@router.post("/{id}/executions/{executionId}/resume", summary="Resume an app's paused execution",
             response_model=dto.AppViewDto, openapi_extra=forms.INPUTS_BODY)
async def resume(ctx: Ctx, by: Acting, request: Request, id: AppId, executionId: ExecutionId) -> dto.AppViewDto:
    """Resume the app's PAUSED execution with the pause's `onResume` inputs (422 naming each bad one; 409 when it
    is not paused)."""
    inputs, files = await forms.read_inputs(request, ctx.data_dir)
    try:
        await run_in_threadpool(partial(app_runtime.resume, ctx.store, id, executionId, inputs, by=by,
                                        now=ctx.clock(), files=files, storage=ctx.files))
    finally:
        await run_in_threadpool(forms.discard, files)
    return await run_in_threadpool(_view, ctx, by, id, executionId)


@router.post("/{id}/executions/{executionId}/cancel", summary="Cancel an app's execution",
             response_model=dto.AppViewDto)
def cancel(ctx: Ctx, by: Acting, id: AppId, executionId: ExecutionId) -> dto.AppViewDto:
    """Kill the app's execution (409 once it has ended)."""
    app_runtime.cancel(ctx.store, id, executionId, by=by, now=ctx.clock())
    return _view(ctx, by, id, executionId)


@router.get("/{id}/executions/{executionId}/file", summary="Download a file of an app's execution",
            response_class=Response, responses=execution_files.FILE_RESPONSE)
def download(ctx: Ctx, by: Acting, id: AppId, executionId: ExecutionId,
             path: Annotated[str, Query(max_length=2048, description="The file's kestra:/// URI.")]) -> Response:
    """A file of the app's execution (an input or output file) as an attachment; only URIs inside that
    execution's folder are served."""
    app_runtime.file_of(ctx.store, id, executionId, by=by, now=ctx.clock())
    return execution_files.attachment(*execution_files.checked_uri(ctx, executionId, path, by.tenant))
