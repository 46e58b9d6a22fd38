"""The audit log, on Kestra's paths: search with filters (resource, namespace and its children, actor, action,
time range) page by page, and export the matching entries as JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import Field

from legato.api import dto
from legato.api.context import Ctx, check_tenant
from legato.api.errors import bad_request
from legato.api.params import PageNumber
from legato.store.ports.governance import AuditFilter, AuditRecord

router = APIRouter(prefix="/api/v1/{tenant}/auditlogs", tags=["Audit logs"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)
EXPORT_BATCH = 1000


def routers() -> list[APIRouter]:
    return [router]


class AuditLogDto(dto.Wire):
    id: int = Field(description="Increasing with the order entries were recorded in.")
    tenant_id: str
    date: datetime = Field(description="When it happened (UTC).")
    type: str = Field(description="The action: CREATE, UPDATE, DELETE, READ, KILL, RESTART, ...")
    resource: str = Field(description="The resource type: FLOW, EXECUTION, TRIGGER, SECRET, ...")
    resource_id: str
    namespace: str | None = None
    user_id: str = Field(description="Who: a user's name, or `system` / `anonymous`.")
    actor_kind: str
    ip_address: str | None = None
    token_id: str | None = None
    details: dict[str, Any] | None = Field(default=None, description="The change: before/after, or `diff`.")


def audit_dto(record: AuditRecord) -> AuditLogDto:
    """One entry as the search answers it and the export writes it."""
    e = record.entry
    return AuditLogDto(id=record.id, tenant_id=e.tenant, date=e.at, type=e.action, resource=e.resource,
                       resource_id=e.resource_id, namespace=e.namespace, user_id=e.actor, actor_kind=e.actor_kind,
                       ip_address=e.ip, token_id=e.token_id, details=e.details)


def filters(tenant: str,
            resource: Annotated[str | None, Query(max_length=32, description="Resource type, e.g. FLOW.")] = None,
            namespace: Annotated[str | None, Query(max_length=255, description="A namespace and its children.")] = None,
            userId: Annotated[str | None, Query(max_length=255, description="The actor's name.")] = None,
            type: Annotated[str | None, Query(max_length=32, description="The action, e.g. DELETE.")] = None,
            resourceId: Annotated[str | None, Query(max_length=512, description="One resource.")] = None,
            startDate: Annotated[datetime | None, Query(description="From this date (inclusive).")] = None,
            endDate: Annotated[datetime | None, Query(description="Until this date (exclusive).")] = None,
            ) -> AuditFilter:
    for name, value in (("startDate", startDate), ("endDate", endDate)):
        if value is not None and value.tzinfo is None:
            raise bad_request(f"{name}: give a time zone (e.g. 2026-01-01T00:00:00Z)")
    if startDate and endDate and startDate >= endDate:
        raise bad_request("startDate must be before endDate")
    return AuditFilter(resource=resource, namespace=namespace, actor=userId, action=type, resource_id=resourceId,
                       since=startDate, until=endDate, tenant=tenant)


Filters = Annotated[AuditFilter, Depends(filters)]


@router.get("/search", summary="Search the audit log", response_model=dto.Paged[AuditLogDto])
def search(ctx: Ctx, found: Filters,
           page: PageNumber = 1,
           size: Annotated[int, Query(ge=1, le=1000, description="Entries per page.")] = 25,
           sort: Annotated[str, Query(pattern="^date:(asc|desc)$", description="date:desc (newest first) or date:asc.")] = "date:desc",
           ) -> dto.Paged[AuditLogDto]:
    """One page of the matching entries and how many match in all."""
    records, total = ctx.store.audit_search(found, descending=sort.endswith("desc"), limit=size,
                                            offset=(page - 1) * size)
    return dto.Paged[AuditLogDto](results=[audit_dto(r) for r in records], total=total)


@router.get("/export", summary="Export the audit log as JSON lines",
            responses={200: {"content": {"application/x-ndjson": {}}, "description": "One entry per line."}})
def export(ctx: Ctx, found: Filters) -> StreamingResponse:
    """Every matching entry, oldest first, one JSON object per line."""

    def lines() -> Iterator[bytes]:
        after: int | None = None
        while True:
            cursor = AuditFilter(**{**found.__dict__, "after_id": after})
            records, _ = ctx.store.audit_search(cursor, descending=False, limit=EXPORT_BATCH)
            for record in records:
                yield (json.dumps(audit_dto(record).wire(), separators=(",", ":")) + "\n").encode()
            if len(records) < EXPORT_BATCH:
                return
            after = records[-1].id

    return StreamingResponse(lines(), media_type="application/x-ndjson",
                             headers={"content-disposition": 'attachment; filename="auditlogs.jsonl"'})
