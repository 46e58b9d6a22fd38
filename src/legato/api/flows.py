"""Flows: YAML sources with revisions. Create, read, update, delete, search, validate, bulk update, graph."""

from __future__ import annotations

import io
import zipfile
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from legato.api import dto, graph, sources
from legato.api.context import ApiContext, Ctx, check_tenant
from legato.api.errors import ApiError, not_found, problem_detail
from legato.api.params import YAML_BODY, LabelsQuery, Page, paging, parse_labels, sort_items, yaml_body
from legato.expressions import flowlint
from legato.model.errors import FlowValidationError, Problem
from legato.runtime.runtime import parse_flow
from legato.store.ports import FlowRecord

router = APIRouter(prefix="/api/v1/{tenant}/flows", tags=["Flows"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

Namespace = Annotated[str, Path(description="The flow's namespace.", max_length=150)]
FlowId = Annotated[str, Path(description="The flow's id.", max_length=100)]
Source = Annotated[str, Depends(yaml_body)]


def routers() -> list[APIRouter]:
    return [router]


def _latest(ctx: ApiContext, namespace: str, flow_id: str) -> FlowRecord:
    record = ctx.store.get_flow(namespace, flow_id)
    if record is None:
        raise not_found(f"flow {namespace}.{flow_id} not found")
    return record


def _in_namespace(namespace: str, prefix: str | None) -> bool:
    return prefix is None or namespace == prefix or namespace.startswith(prefix + ".")


# ---- fixed paths first, so they are not read as a namespace ---------------------------------------------------


@router.get("/search", summary="Search flows", response_model=dto.Paged[dto.FlowDto])
def search_flows(
    ctx: Ctx, page: Annotated[Page, Depends(paging)],
    q: Annotated[str | None, Query(max_length=200, description="Text found in the id, namespace or description.")] = None,
    namespace: Annotated[str | None, Query(max_length=150, description="This namespace and its children.")] = None,
    labels: LabelsQuery = None,
) -> dict[str, Any]:
    """Live flows (latest revisions) matching every filter, paged; `sort` by id, namespace or updated."""
    wanted = parse_labels(labels)
    text = q.lower() if q else None
    found = []
    for record in ctx.store.list_flows():
        if not _in_namespace(record.namespace, namespace):
            continue
        flow = sources.cached_flow(record.source)
        if text and not any(text in (s or "").lower() for s in (record.id, record.namespace, flow.description)):
            continue
        if wanted and not wanted.items() <= {lb.key: lb.value for lb in flow.labels}.items():
            continue
        found.append(record)
    keys = {"id": lambda r: r.id, "namespace": lambda r: (r.namespace, r.id), "updated": lambda r: r.updated}
    ordered = sort_items(found, page.sort, keys, "namespace:asc")
    return {"results": [sources.flow_json(r) for r in page.slice(ordered)], "total": len(found)}


@router.get("/distinct-namespaces", summary="Namespaces that have flows", response_model=list[str])
def distinct_namespaces(
    ctx: Ctx, q: Annotated[str | None, Query(max_length=150, description="Text the namespace contains.")] = None,
) -> list[str]:
    """Every namespace holding at least one live flow, sorted."""
    names = {r.namespace for r in ctx.store.list_flows()}
    return sorted(n for n in names if not q or q.lower() in n)


@router.get("/export/by-query", summary="Export flows as a zip", response_class=Response,
            responses={200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "One YAML file per flow, `<namespace>.<id>.yml`"}})
def export_flows(
    ctx: Ctx,
    namespace: Annotated[str | None, Query(max_length=150, description="This namespace and its children.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text found in the id or namespace.")] = None,
) -> Response:
    """The sources of the live flows matching the filters, as a zip archive (what `flow namespace update` takes
    back)."""
    text = q.lower() if q else None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in ctx.store.list_flows():
            if not _in_namespace(record.namespace, namespace):
                continue
            if text and text not in record.id.lower() and text not in record.namespace.lower():
                continue
            archive.writestr(f"{record.namespace}.{record.id}.yml", record.source)
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="flows.zip"'})


@router.post("/validate", summary="Validate flows", response_model=list[dto.ValidateResult], openapi_extra=YAML_BODY)
async def validate_flows(ctx: Ctx, source: Source) -> list[dict[str, Any]]:
    """Check each document of a multi-document YAML text; one result per document, with its problems located
    at lines of the text sent. Nothing is stored."""
    return await run_in_threadpool(_validate_all, ctx, source)


def _validate_all(ctx: ApiContext, text: str) -> list[dict[str, Any]]:
    out = []
    for chunk in sources.split_documents(text):
        result: dict[str, Any] = {"index": chunk.index, "flow": None, "namespace": None, "constraints": None,
                                  "outdated": False, "details": [], "warnings": [], "warningDetails": []}
        try:
            flow = sources.parse_chunk(chunk)
            existing = ctx.store.get_flow(flow.namespace, flow.id)
            found = flowlint.lint_source(chunk.text, "", chunk.first_line)
            result.update(flow=flow.id, namespace=flow.namespace,
                          outdated=existing is not None and existing.source != chunk.text,
                          warnings=[f"{p.line}:{p.column}: {p.path}: {p.message}" for p in found],
                          warningDetails=[problem_detail(p) for p in found])
        except FlowValidationError as exc:
            result.update(constraints=str(exc), details=[problem_detail(p) for p in exc.problems])
        out.append(result)
    return out


@router.post("/graph", summary="Topology of a flow source", response_model=dto.FlowGraph, openapi_extra=YAML_BODY)
async def source_graph(source: Source) -> dict[str, Any]:
    """The topology of an unsaved flow source (the editor's live view); 422 with located problems if the
    source is invalid. Nothing is stored."""
    flow = await run_in_threadpool(parse_flow, source)
    return graph.flow_graph(flow)


@router.post("", summary="Create a flow", response_model=dto.FlowDto, openapi_extra=YAML_BODY,
             responses={409: {"model": dto.ErrorBody, "description": "A flow with this id exists in the namespace"}})
async def create_flow(ctx: Ctx, source: Source) -> dict[str, Any]:
    """Store a new flow from its YAML source (revision 1). 409 if the flow exists; 422 with located problems
    if the source is invalid."""
    return await run_in_threadpool(_create, ctx, source)


def _create(ctx: ApiContext, source: str) -> dict[str, Any]:
    flow = parse_flow(source)
    if ctx.store.get_flow(flow.namespace, flow.id) is not None:
        raise ApiError(409, f"flow {flow.namespace}.{flow.id} already exists; update it with PUT")
    record = ctx.store.save_flow(flow.namespace, flow.id, source, disabled=flow.disabled, now=ctx.clock())
    return sources.flow_json(record, source=True)


@router.post("/{namespace}", summary="Update every flow of a namespace", response_model=list[dto.FlowDto],
             openapi_extra=YAML_BODY)
async def update_namespace(
    ctx: Ctx, namespace: Namespace, source: Source,
    delete: Annotated[bool, Query(description="Delete the namespace's flows that the YAML does not contain.")] = True,
) -> list[dict[str, Any]]:
    """Create or update each flow of a multi-document YAML text, all in `namespace` (or its children). Nothing
    is written unless every document is valid. With `delete=true`, flows of the namespace absent from the text
    are deleted."""
    return await run_in_threadpool(_update_namespace, ctx, namespace, source, delete)


def _update_namespace(ctx: ApiContext, namespace: str, text: str, delete: bool) -> list[dict[str, Any]]:
    parsed = []
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for chunk in sources.split_documents(text):
        try:
            flow = sources.parse_chunk(chunk)
        except FlowValidationError as exc:
            problems.extend(exc.problems)
            continue
        where = Problem("namespace", "", chunk.first_line, 1)
        if not _in_namespace(flow.namespace, namespace):
            problems.append(Problem(where.path, f"flow {flow.id} is in namespace '{flow.namespace}', not in '{namespace}'", where.line, 1))
        elif (flow.namespace, flow.id) in seen:
            problems.append(Problem("id", f"flow {flow.namespace}.{flow.id} appears twice", where.line, 1))
        seen.add((flow.namespace, flow.id))
        parsed.append((flow, chunk.text))
    if problems:
        raise FlowValidationError(problems)
    now = ctx.clock()
    saved = [ctx.store.save_flow(f.namespace, f.id, text, disabled=f.disabled, now=now) for f, text in parsed]
    if delete:
        for record in ctx.store.list_flows():
            if _in_namespace(record.namespace, namespace) and (record.namespace, record.id) not in seen:
                ctx.store.delete_flow(record.namespace, record.id, now)
    return [sources.flow_json(r) for r in saved]


@router.get("/{namespace}", summary="Flows of a namespace", response_model=list[dto.FlowDto])
def list_namespace(ctx: Ctx, namespace: Namespace) -> list[dict[str, Any]]:
    """The live flows of exactly this namespace, by id."""
    return [sources.flow_json(r) for r in ctx.store.list_flows(namespace)]


# ---- one flow -------------------------------------------------------------------------------------------------


@router.get("/{namespace}/{id}", summary="Get a flow", response_model=dto.FlowDto)
def get_flow(
    ctx: Ctx, namespace: Namespace, id: FlowId,
    source: Annotated[bool, Query(description="Include the YAML source.")] = False,
    revision: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="A past revision (default: the latest).")] = None,
) -> dict[str, Any]:
    """The latest revision of a live flow, or the given revision."""
    record = ctx.store.get_flow(namespace, id, revision)
    if record is None:
        what = f"revision {revision} of flow" if revision else "flow"
        raise not_found(f"{what} {namespace}.{id} not found")
    return sources.flow_json(record, source=source)


@router.put("/{namespace}/{id}", summary="Update a flow", response_model=dto.FlowDto, openapi_extra=YAML_BODY)
async def update_flow(ctx: Ctx, namespace: Namespace, id: FlowId, source: Source) -> dict[str, Any]:
    """Store a new revision of an existing flow (an unchanged source keeps the revision). The source's id and
    namespace must be those of the path."""
    return await run_in_threadpool(_update, ctx, namespace, id, source)


def _update(ctx: ApiContext, namespace: str, flow_id: str, source: str) -> dict[str, Any]:
    flow = parse_flow(source)
    if (flow.namespace, flow.id) != (namespace, flow_id):
        detail = {"path": "id", "message": f"the source defines {flow.namespace}.{flow.id}", "line": None, "column": None}
        raise ApiError(422, f"the source must define flow {namespace}.{flow_id}", [detail])
    _latest(ctx, namespace, flow_id)
    record = ctx.store.save_flow(namespace, flow_id, source, disabled=flow.disabled, now=ctx.clock())
    return sources.flow_json(record, source=True)


@router.delete("/{namespace}/{id}", summary="Delete a flow", status_code=204, response_class=Response)
def delete_flow(ctx: Ctx, namespace: Namespace, id: FlowId) -> Response:
    """Delete a flow (its revisions stay readable with `revision=`; its executions are kept)."""
    if not ctx.store.delete_flow(namespace, id, ctx.clock()):
        raise not_found(f"flow {namespace}.{id} not found")
    return Response(status_code=204)


@router.get("/{namespace}/{id}/revisions", summary="Revisions of a flow", response_model=list[dto.FlowDto])
def revisions(ctx: Ctx, namespace: Namespace, id: FlowId) -> list[dict[str, Any]]:
    """Every revision of a live flow, oldest first, with their sources."""
    _latest(ctx, namespace, id)
    return [sources.flow_json(record, source=True) for record in ctx.store.flow_revisions(namespace, id)]


@router.get("/{namespace}/{id}/graph", summary="Topology of a flow", response_model=dto.FlowGraph)
def flow_graph(
    ctx: Ctx, namespace: Namespace, id: FlowId,
    revision: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="A past revision (default: the latest).")] = None,
) -> dict[str, Any]:
    """Nodes (tasks, cluster roots and ends), edges with their relation, and clusters of flowable tasks."""
    record = ctx.store.get_flow(namespace, id, revision)
    if record is None:
        raise not_found(f"flow {namespace}.{id} not found")
    return graph.flow_graph(sources.cached_flow(record.source))
