"""Assets (Kestra's Assets, an Enterprise feature there): search them, read one with its lineage and the
executions that used it, register or fix one by hand, delete one. Flows record assets themselves when a task
declaring `assets` succeeds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from legato.api import dto
from legato.api.asset_dto import AssetBody, AssetDetailDto, AssetDto, AssetUsageDto, ExecutionAssetDto
from legato.api.context import Acting, Ctx, check_tenant
from legato.api.errors import bad_request
from legato.api.params import Page, paging
from legato.services import assets as service
from legato.store.ports import AssetFilter, AssetRecord, AssetUsage

router = APIRouter(prefix="/api/v1/{tenant}/assets", tags=["Assets"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

# an execution's assets, beside its other views
executions = APIRouter(prefix="/api/v1/{tenant}/executions", tags=["Assets"], dependencies=[Depends(check_tenant)],
                       responses=dto.ERRORS)

AssetId = Annotated[str, Path(description="The asset's id (it may hold slashes: s3://bucket/key).", max_length=255)]
ExecutionId = Annotated[str, Path(description="The execution's id.", max_length=64)]


def routers() -> list[APIRouter]:
    return [router, executions]


def _dto(record: AssetRecord) -> AssetDto:
    return AssetDto(id=record.id, namespace=record.namespace, type=record.type, display_name=record.display_name,
                    description=record.description, metadata=record.metadata, created=record.created,
                    updated=record.updated)


def _usage(usage: AssetUsage) -> AssetUsageDto:
    return AssetUsageDto(direction=usage.direction, execution_id=usage.execution_id, namespace=usage.namespace,
                         flow_id=usage.flow_id, task_id=usage.task_id, task_run_id=usage.task_run_id,
                         created=usage.created)


def _change(body: AssetBody) -> service.AssetChange:
    return service.AssetChange(namespace=body.namespace or None, type=body.type or None,
                               display_name=body.display_name or None, description=body.description or None,
                               metadata=body.metadata)


@router.get("/search", summary="Search assets", response_model=dto.Paged[AssetDto])
def search(ctx: Ctx, by: Acting, page: Annotated[Page, Depends(paging)],
           q: Annotated[str | None, Query(max_length=255, description="Id or display name contains this.")] = None,
           namespace: Annotated[str | None, Query(max_length=255, description="In this namespace (and below).")] = None,
           type: Annotated[str | None, Query(max_length=255, description="Of this type.")] = None,
           ) -> dto.Paged[AssetDto]:
    """Assets by id, paged."""
    filters = AssetFilter(namespace=namespace or None, type=type or None, q=q or None, limit=page.size,
                          offset=page.offset)
    found, total = service.search(ctx.store, filters, by=by)
    return dto.Paged[AssetDto](results=[_dto(r) for r in found], total=total)


@router.post("", summary="Create an asset", response_model=AssetDto, status_code=201)
def create(ctx: Ctx, by: Acting, body: AssetBody) -> AssetDto:
    """Register an asset no flow manages (409 when its id is taken)."""
    return _dto(service.create(ctx.store, body.id, _change(body), by=by, now=ctx.clock()))


@router.get("/{id:path}", summary="Get an asset", response_model=AssetDetailDto)
def get(ctx: Ctx, by: Acting, id: AssetId,
        usages: Annotated[int, Query(ge=0, le=1000, description="How many of its latest uses to list.")] = 100,
        ) -> AssetDetailDto:
    """One asset with the assets directly upstream and downstream of it and its latest uses by executions."""
    found = service.detail(ctx.store, id, by=by, usages=usages)
    return AssetDetailDto(**_dto(found.record).model_dump(), upstream=[_dto(r) for r in found.upstream],
                          downstream=[_dto(r) for r in found.downstream], usages=[_usage(u) for u in found.usages])


@router.put("/{id:path}", summary="Update an asset", response_model=AssetDto)
def update(ctx: Ctx, by: Acting, id: AssetId, body: AssetBody) -> AssetDto:
    """Replace what is said of an asset: namespace, type, display name, description, metadata (404 when none)."""
    if body.id != id:
        raise bad_request(f"the body's id '{body.id}' is not the asset's id '{id}'")
    return _dto(service.update(ctx.store, id, _change(body), by=by, now=ctx.clock()))


@router.delete("/{id:path}", summary="Delete an asset", status_code=204, response_class=Response)
def delete(ctx: Ctx, by: Acting, id: AssetId) -> Response:
    """Remove an asset and its recorded uses (a flow declaring it records it again on its next run)."""
    service.delete(ctx.store, id, by=by, now=ctx.clock())
    return Response(status_code=204)


@executions.get("/{executionId}/assets", summary="Assets of an execution", response_model=list[ExecutionAssetDto])
def of_execution(ctx: Ctx, by: Acting, executionId: ExecutionId) -> list[ExecutionAssetDto]:
    """What the execution's task runs read and wrote, in the order recorded, each with its asset as it is now."""
    return [ExecutionAssetDto(asset_id=e.usage.asset_id, direction=e.usage.direction, task_id=e.usage.task_id,
                              task_run_id=e.usage.task_run_id, created=e.usage.created,
                              asset=_dto(e.asset) if e.asset else None)
            for e in service.of_execution(ctx.store, executionId, by=by)]
