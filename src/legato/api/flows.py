"""Flows: YAML sources with revisions. Create, read, update, delete, search, validate, bulk update, graph."""

from __future__ import annotations

import io
import zipfile
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from legato.api import dto, graph, sources
from legato.api.context import Acting, ApiContext, Ctx, check_tenant
from legato.api.errors import ApiError, bad_request, problem_detail
from legato.api.params import YAML_BODY, LabelsQuery, Page, paging, parse_labels, sort_items, yaml_body
from legato.api.uploads import read_part, upload_body
from legato.expressions import flowlint
from legato.flows import documents, parse_flow
from legato.identity.permissions import Action, Resource
from legato.model.errors import FlowValidationError
from legato.services import flows as service
from legato.services.principal import Principal, require, visible
from legato.store.ports import FlowRecord

FLOW, LIST, EXPORT = Resource.FLOW, Action.LIST, Action.EXPORT

router = APIRouter(prefix="/api/v1/{tenant}/flows", tags=["Flows"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

Namespace = Annotated[str, Path(description="The flow's namespace.", max_length=150)]
FlowId = Annotated[str, Path(description="The flow's id.", max_length=100)]
Source = Annotated[str, Depends(yaml_body)]
Q = Annotated[str | None, Query(max_length=200, description="Text found in the id, namespace or description.")]
UnderNamespace = Annotated[str | None, Query(max_length=150, description="This namespace and its children.")]
MAX_IMPORT = 50 * 1024 * 1024


def routers() -> list[APIRouter]:
    return [router]


def _matching(ctx: ApiContext, by: Principal, q: str | None, namespace: str | None, labels: list[str] | None,
              action: Action = LIST) -> list[FlowRecord]:
    """The live flows whose id, namespace or description contains `q`, in `namespace` or its children, with
    every label of `labels` (the filters of search and of the by-query bulk actions), among those `by` may
    `action` (list, by default)."""
    wanted = parse_labels(labels)
    text = q.lower() if q else None
    found = []
    for record in ctx.store.list_flows(tenant=by.tenant):
        if not service.in_namespace(record.namespace, namespace) or not visible(by, FLOW, action, record.namespace):
            continue
        flow = ctx.flows.of(record)
        if text and not any(text in (s or "").lower() for s in (record.id, record.namespace, flow.description)):
            continue
        if wanted and not wanted.items() <= {lb.key: lb.value for lb in flow.labels}.items():
            continue
        found.append(record)
    return found


def _latest(ctx: ApiContext, namespace: str, flow_id: str, tenant: str) -> FlowRecord:
    return service.find(ctx.store, namespace, flow_id, tenant=tenant)


# ---- fixed paths first, so they are not read as a namespace ---------------------------------------------------


@router.get("/search", summary="Search flows", response_model=dto.Paged[dto.FlowDto])
def search_flows(
    ctx: Ctx, by: Acting, page: Annotated[Page, Depends(paging)],
    q: Q = None, namespace: UnderNamespace = None, labels: LabelsQuery = None,
) -> dto.Paged[dto.FlowDto]:
    """Live flows (latest revisions) matching every filter, paged; `sort` by id, namespace or updated."""
    found = _matching(ctx, by, q, namespace, labels)
    keys = {"id": lambda r: r.id, "namespace": lambda r: (r.namespace, r.id), "updated": lambda r: r.updated}
    ordered = sort_items(found, page.sort, keys, "namespace:asc")
    return dto.Paged[dto.FlowDto](results=[sources.flow_dto(r) for r in page.slice(ordered)], total=len(found))


@router.get("/distinct-namespaces", summary="Namespaces that have flows", response_model=list[str])
def distinct_namespaces(
    ctx: Ctx, by: Acting, q: Annotated[str | None, Query(max_length=150, description="Text the namespace contains.")] = None,
) -> list[str]:
    """Every namespace holding at least one live flow, sorted."""
    names = {r.namespace for r in ctx.store.list_flows(tenant=by.tenant) if visible(by, FLOW, LIST, r.namespace)}
    return sorted(n for n in names if not q or q.lower() in n)


ZIP_ANSWER: dict[int | str, dict[str, Any]] = {200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                    "description": "One YAML file per flow, `<namespace>.<id>.yml`"}}
Ids = Annotated[list[dto.FlowIdentity], Body(max_length=1000, description="The flows, by namespace and id.")]


@router.get("/export/by-query", summary="Export flows as a zip", response_class=Response, responses=ZIP_ANSWER)
def export_flows(ctx: Ctx, by: Acting, namespace: UnderNamespace = None, q: Q = None,
                 labels: LabelsQuery = None) -> Response:
    """The sources of the live flows matching the filters, as a zip archive (what `/import` takes back)."""
    return _zip(_matching(ctx, by, q, namespace, labels, EXPORT))


@router.post("/export/by-ids", summary="Export flows by ids as a zip", response_class=Response, responses=ZIP_ANSWER)
def export_by_ids(ctx: Ctx, by: Acting, ids: Ids) -> Response:
    """The sources of the given live flows as a zip archive; 404 naming the first that does not exist, 403 the
    first namespace not to be exported."""
    for i in ids:
        require(by, FLOW, EXPORT, i.namespace)
    return _zip([_latest(ctx, i.namespace, i.id, by.tenant) for i in ids])


def _zip(records: list[FlowRecord]) -> Response:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            archive.writestr(f"{record.namespace}.{record.id}.yml", record.source)
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="flows.zip"'})


@router.post("/import", summary="Import flows", response_model=list[str], openapi_extra=upload_body("fileUpload"))
async def import_flows(ctx: Ctx, by: Acting, request: Request) -> list[str]:
    """Import the flows of the multipart part `fileUpload`: a YAML file (several flows separated by `---`) or a
    zip of YAML files (as `/export` makes). Valid flows are saved (a new revision when the flow exists), in one
    transaction; the answer lists the files (or `file#n` documents) that are not valid flows."""
    name, data = await read_part(request, "fileUpload", MAX_IMPORT, "imports")
    files = _import_files(name, data)
    _, rejected = await run_in_threadpool(partial(service.import_flows, by=by, now=ctx.clock()), ctx.store, files)
    return rejected


def _import_files(name: str, data: bytes) -> list[tuple[str, str]]:
    lowered = name.lower()
    if lowered.endswith((".yml", ".yaml")):
        return [(name, _text(name, data))]
    if not lowered.endswith(".zip"):
        raise bad_request(f"cannot import '{name}': send a .yml/.yaml file or a .zip of them")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = [e for e in archive.infolist() if not e.is_dir() and e.filename.lower().endswith((".yml", ".yaml"))]
            if sum(e.file_size for e in entries) > MAX_IMPORT:
                raise ApiError(413, f"imports are limited to {MAX_IMPORT // (1024 * 1024)} MiB uncompressed")
            return [(e.filename, _text(e.filename, archive.read(e))) for e in entries]
    except zipfile.BadZipFile as exc:
        raise bad_request(f"'{name}' is not a valid zip archive: {exc}") from None


def _text(name: str, data: bytes) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise bad_request(f"'{name}' is not UTF-8 text") from None


@router.delete("/delete/by-ids", summary="Delete flows by ids", response_model=dto.FlowCount)
def delete_by_ids(ctx: Ctx, by: Acting, ids: Ids) -> dto.FlowCount:
    """Delete the given flows in one transaction (404, and nothing deleted, when one does not exist); their
    executions are kept."""
    return dto.FlowCount(count=service.delete_many(ctx.store, _pairs(ids), by=by, now=ctx.clock()))


@router.delete("/delete/by-query", summary="Delete flows matching a query", response_model=dto.FlowCount)
def delete_by_query(ctx: Ctx, by: Acting, namespace: UnderNamespace = None, q: Q = None,
                    labels: LabelsQuery = None) -> dto.FlowCount:
    """Delete the live flows matching the filters, in one transaction."""
    found = [(r.namespace, r.id) for r in _matching(ctx, by, q, namespace, labels)]
    return dto.FlowCount(count=service.delete_many(ctx.store, found, by=by, now=ctx.clock()))


@router.post("/disable/by-ids", summary="Disable flows by ids", response_model=dto.FlowCount)
def disable_by_ids(ctx: Ctx, by: Acting, ids: Ids) -> dto.FlowCount:
    """Disable the given flows (a new revision with `disabled: true`); those already disabled are not counted."""
    return _set_disabled(ctx, by, _pairs(ids), True)


@router.post("/enable/by-ids", summary="Enable flows by ids", response_model=dto.FlowCount)
def enable_by_ids(ctx: Ctx, by: Acting, ids: Ids) -> dto.FlowCount:
    """Enable the given flows (a new revision with `disabled: false`); those already enabled are not counted."""
    return _set_disabled(ctx, by, _pairs(ids), False)


@router.post("/disable/by-query", summary="Disable flows matching a query", response_model=dto.FlowCount)
def disable_by_query(ctx: Ctx, by: Acting, namespace: UnderNamespace = None, q: Q = None,
                     labels: LabelsQuery = None) -> dto.FlowCount:
    """Disable the live flows matching the filters."""
    return _set_disabled(ctx, by, [(r.namespace, r.id) for r in _matching(ctx, by, q, namespace, labels)], True)


@router.post("/enable/by-query", summary="Enable flows matching a query", response_model=dto.FlowCount)
def enable_by_query(ctx: Ctx, by: Acting, namespace: UnderNamespace = None, q: Q = None,
                    labels: LabelsQuery = None) -> dto.FlowCount:
    """Enable the live flows matching the filters."""
    return _set_disabled(ctx, by, [(r.namespace, r.id) for r in _matching(ctx, by, q, namespace, labels)], False)


def _set_disabled(ctx: ApiContext, by: Principal, ids: list[tuple[str, str]], disabled: bool) -> dto.FlowCount:
    return dto.FlowCount(count=len(service.set_disabled(ctx.store, ids, disabled, by=by, now=ctx.clock())))


def _pairs(ids: list[dto.FlowIdentity]) -> list[tuple[str, str]]:
    return [(i.namespace, i.id) for i in ids]


@router.post("/validate", summary="Validate flows", response_model=list[dto.ValidateResult], openapi_extra=YAML_BODY)
async def validate_flows(ctx: Ctx, by: Acting, source: Source) -> list[dto.ValidateResult]:
    """Check each document of a multi-document YAML text; one result per document, with its problems located
    at lines of the text sent. Nothing is stored."""
    return await run_in_threadpool(_validate_all, ctx, source, by.tenant)


def _validate_all(ctx: ApiContext, text: str, tenant: str) -> list[dto.ValidateResult]:
    return [_validate_one(ctx, chunk, tenant) for chunk in documents.split_documents(text)]


def _validate_one(ctx: ApiContext, chunk: documents.Chunk, tenant: str) -> dto.ValidateResult:
    try:
        flow = documents.parse_chunk(chunk)
    except FlowValidationError as exc:
        return dto.ValidateResult(index=chunk.index, constraints=str(exc),
                                  details=[problem_detail(p) for p in exc.problems])
    existing = ctx.store.get_flow(flow.namespace, flow.id, tenant=tenant)
    found = flowlint.lint_source(chunk.text, "", chunk.first_line)
    return dto.ValidateResult(
        index=chunk.index, flow=flow.id, namespace=flow.namespace,
        outdated=existing is not None and existing.source != chunk.text,
        warnings=[f"{p.line}:{p.column}: {p.path}: {p.message}" for p in found],
        warning_details=[problem_detail(p) for p in found],
    )


@router.post("/graph", summary="Topology of a flow source", response_model=dto.FlowGraph, openapi_extra=YAML_BODY)
async def source_graph(source: Source) -> dto.FlowGraph:
    """The topology of an unsaved flow source (the editor's live view); 422 with located problems if the
    source is invalid. Nothing is stored."""
    flow = await run_in_threadpool(parse_flow, source)
    return graph.flow_graph(flow)


@router.post("", summary="Create a flow", response_model=dto.FlowDto, openapi_extra=YAML_BODY,
             responses={409: {"model": dto.ErrorBody, "description": "A flow with this id exists in the namespace"}})
async def create_flow(ctx: Ctx, by: Acting, source: Source) -> dto.FlowDto:
    """Store a new flow from its YAML source (revision 1). 409 if the flow exists; 422 with located problems
    if the source is invalid."""
    record = await run_in_threadpool(partial(service.create, by=by, now=ctx.clock()), ctx.store, source)
    return sources.flow_dto(record, source=True)


@router.post("/{namespace}", summary="Update every flow of a namespace", response_model=list[dto.FlowDto],
             openapi_extra=YAML_BODY)
async def update_namespace(
    ctx: Ctx, by: Acting, namespace: Namespace, source: Source,
    delete: Annotated[bool, Query(description="Delete the namespace's flows that the YAML does not contain.")] = True,
) -> list[dto.FlowDto]:
    """Create or update each flow of a multi-document YAML text, all in `namespace` (or its children), in one
    transaction: nothing is written unless every document is valid, and then all of it is. With `delete=true`,
    flows of the namespace absent from the text are deleted."""
    saved = await run_in_threadpool(partial(service.update_namespace, delete=delete, by=by, now=ctx.clock()),
                                    ctx.store, namespace, source)
    return [sources.flow_dto(r) for r in saved]


@router.get("/{namespace}", summary="Flows of a namespace", response_model=list[dto.FlowDto])
def list_namespace(ctx: Ctx, by: Acting, namespace: Namespace) -> list[dto.FlowDto]:
    """The live flows of exactly this namespace, by id."""
    return [sources.flow_dto(r) for r in ctx.store.list_flows(namespace, tenant=by.tenant)]


# ---- one flow -------------------------------------------------------------------------------------------------


@router.get("/{namespace}/{id}", summary="Get a flow", response_model=dto.FlowDto)
def get_flow(
    ctx: Ctx, by: Acting, namespace: Namespace, id: FlowId,
    source: Annotated[bool, Query(description="Include the YAML source.")] = False,
    revision: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="A past revision (default: the latest).")] = None,
) -> dto.FlowDto:
    """The latest revision of a live flow, or the given revision."""
    return sources.flow_dto(service.find(ctx.store, namespace, id, revision, tenant=by.tenant), source=source)


@router.put("/{namespace}/{id}", summary="Update a flow", response_model=dto.FlowDto, openapi_extra=YAML_BODY)
async def update_flow(ctx: Ctx, by: Acting, namespace: Namespace, id: FlowId, source: Source) -> dto.FlowDto:
    """Store a new revision of an existing flow (an unchanged source keeps the revision). The source's id and
    namespace must be those of the path."""
    return await run_in_threadpool(_update, ctx, namespace, id, source, by)


def _update(ctx: ApiContext, namespace: str, flow_id: str, source: str, by: Principal) -> dto.FlowDto:
    flow = parse_flow(source)
    if (flow.namespace, flow.id) != (namespace, flow_id):
        detail = dto.ErrorDetail(path="id", message=f"the source defines {flow.namespace}.{flow.id}")
        raise ApiError(422, f"the source must define flow {namespace}.{flow_id}", [detail])
    record = service.update(ctx.store, flow, source, by=by, now=ctx.clock())
    return sources.flow_dto(record, source=True)


@router.delete("/{namespace}/{id}", summary="Delete a flow", status_code=204, response_class=Response)
def delete_flow(ctx: Ctx, by: Acting, namespace: Namespace, id: FlowId) -> Response:
    """Delete a flow (its revisions stay readable with `revision=`; its executions are kept)."""
    service.delete(ctx.store, namespace, id, by=by, now=ctx.clock())
    return Response(status_code=204)


@router.get("/{namespace}/{id}/revisions", summary="Revisions of a flow", response_model=list[dto.FlowDto])
def revisions(ctx: Ctx, by: Acting, namespace: Namespace, id: FlowId) -> list[dto.FlowDto]:
    """Every revision of a live flow, oldest first, with their sources."""
    _latest(ctx, namespace, id, by.tenant)
    return [sources.flow_dto(record, source=True) for record in ctx.store.flow_revisions(namespace, id, tenant=by.tenant)]


@router.get("/{namespace}/{id}/graph", summary="Topology of a flow", response_model=dto.FlowGraph)
def flow_graph(
    ctx: Ctx, by: Acting, namespace: Namespace, id: FlowId,
    revision: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="A past revision (default: the latest).")] = None,
) -> dto.FlowGraph:
    """Nodes (tasks, cluster roots and ends), edges with their relation, and clusters of flowable tasks."""
    record = service.find(ctx.store, namespace, id, revision, tenant=by.tenant)
    return graph.flow_graph(ctx.flows.of(record))
