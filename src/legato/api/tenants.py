"""Tenants, on Kestra Enterprise's paths (`/api/v1/tenants`): create, search, read, rename, delete. Each route
calls the tenant services with the acting principal; the services check the permission again. The routes of a
tenant's resources carry it in their paths (`/api/v1/{tenant}/flows/...`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from legato.api import dto
from legato.api.context import KNOWN, Acting, Ctx
from legato.api.errors import bad_request
from legato.api.params import Page, paging, sort_items
from legato.services import tenants as service
from legato.services.errors import ConflictError
from legato.store.ports import TenantRecord

router = APIRouter(prefix="/api/v1/tenants", tags=["Tenants"], responses=dto.ERRORS)

TenantId = Annotated[str, Path(description="The tenant's id.", max_length=64)]


def routers() -> list[APIRouter]:
    return [router]


class TenantDto(dto.Wire):
    id: str = Field(description="The tenant's id: the `{tenant}` of its API paths.")
    name: str = Field(description="The name people read.")
    created: datetime | None = None
    updated: datetime | None = None


class TenantCreate(dto.Wire):
    id: str = Field(max_length=64, description="2 to 64 lower-case letters, digits, '-' or '_'.")
    name: str | None = Field(default=None, max_length=255, description="The name people read (the id by default).")


class TenantUpdate(dto.Wire):
    name: str = Field(min_length=1, max_length=255, description="The new name people read; the id never changes.")


def _dto(record: TenantRecord) -> TenantDto:
    return TenantDto(id=record.id, name=record.display_name, created=record.created, updated=record.updated)


async def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a service function off the event loop; its ValueError is a 400."""
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except ConflictError:
        raise  # a ValueError too, but a 409
    except ValueError as exc:
        raise bad_request(str(exc)) from None


@router.post("", summary="Create a tenant", response_model=TenantDto)
async def create_tenant(ctx: Ctx, by: Acting, body: TenantCreate) -> TenantDto:
    """A new, empty tenant; its resources live under `/api/v1/{id}/...`. 409 when the id is taken."""
    record: TenantRecord = await _call(service.create_tenant, ctx.store, body.id, body.name, by=by, now=ctx.clock())
    KNOWN.clear()
    return _dto(record)


@router.get("/search", summary="Search tenants", response_model=dto.Paged[TenantDto])
async def search_tenants(
    ctx: Ctx, by: Acting, page: Annotated[Page, Depends(paging)],
    q: Annotated[str | None, Query(max_length=200, description="Text found in the id or the name.")] = None,
) -> dto.Paged[TenantDto]:
    """Tenants (`main` included) whose id or name contains `q`, paged; `sort` by id or name."""
    found: list[TenantRecord] = await _call(service.list_tenants, ctx.store, by=by)
    text = (q or "").lower()
    found = [t for t in found if text in t.id.lower() or text in t.display_name.lower()]
    ordered = sort_items(found, page.sort, {"id": lambda t: t.id, "name": lambda t: t.display_name.lower()}, "id")
    return dto.Paged(results=[_dto(t) for t in ordered[page.offset:page.offset + page.size]], total=len(found))


@router.get("/{id}", summary="Get a tenant", response_model=TenantDto)
async def get_tenant(ctx: Ctx, by: Acting, id: TenantId) -> TenantDto:
    """The tenant's id, name and dates (`main` always exists)."""
    return _dto(await _call(service.get_tenant, ctx.store, id, by=by))


@router.put("/{id}", summary="Rename a tenant", response_model=TenantDto)
async def update_tenant(ctx: Ctx, by: Acting, id: TenantId, body: TenantUpdate) -> TenantDto:
    """Change the name people read; the id, which paths and storage use, never changes."""
    return _dto(await _call(service.rename_tenant, ctx.store, id, body.name, by=by, now=ctx.clock()))


@router.delete("/{id}", summary="Delete a tenant", status_code=204)
async def delete_tenant(ctx: Ctx, by: Acting, id: TenantId) -> Response:
    """Refused (409) while the tenant holds flows or running executions, and for `main`; otherwise everything it
    holds (executions, logs, KV, secrets, bindings, files...) goes with it, but its audit log."""
    await _call(service.delete_tenant, ctx.store, id, by=by, now=ctx.clock(), storage=ctx.files)
    KNOWN.clear()
    return Response(status_code=204)
