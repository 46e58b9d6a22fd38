"""SCIM integrations (Kestra EE's `/api/v1/{tenant}/integrations`): an administrator creates one per identity
provider and gives the provider its SCIM endpoint and bearer token (shown once); the protocol itself is served by
api/scim.py under `/api/v1/{tenant}/integrations/{integrationId}/scim/v2`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from legato.api import dto, iam_dto
from legato.api.context import Acting, Ctx, check_tenant
from legato.api.iam import _call
from legato.identity.records import ScimIntegration
from legato.services import scim

router = APIRouter(prefix="/api/v1/{tenant}/integrations", tags=["Access"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)
IntegrationId = Annotated[str, Path(description="The integration's id.", max_length=64)]


def routers() -> list[APIRouter]:
    return [router]


def endpoint(request: Request, integration: ScimIntegration) -> str:
    """The SCIM base URL of an integration, as this request reached the server."""
    return f"{str(request.base_url).rstrip('/')}/api/v1/{integration.tenant}/integrations/{integration.id}/scim/v2"


def _dto(request: Request, found: ScimIntegration) -> iam_dto.ScimIntegrationDto:
    return iam_dto.ScimIntegrationDto(id=found.id, description=found.description, enabled=found.enabled,
                                      service_account_id=found.account_id, endpoint=endpoint(request, found),
                                      created=found.created, updated=found.updated)


@router.get("", summary="List SCIM integrations", response_model=list[iam_dto.ScimIntegrationDto])
async def list_integrations(ctx: Ctx, by: Acting, request: Request) -> list[iam_dto.ScimIntegrationDto]:
    """Every SCIM provisioning integration, oldest first."""
    return [_dto(request, i) for i in await _call(scim.list_integrations, ctx.store, by=by)]


@router.post("", summary="Create a SCIM integration", response_model=iam_dto.ScimIntegrationCreated)
async def create_integration(ctx: Ctx, by: Acting, request: Request,
                             body: iam_dto.ScimIntegrationCreate) -> iam_dto.ScimIntegrationCreated:
    """A new integration with its own service account (bound to the `SCIM provisioning` role) and the bearer
    token the identity provider sends; the token is in this answer only."""
    created = await _call(scim.create_integration, ctx.store, body.description, by=by, now=ctx.clock())
    shown = _dto(request, created.integration)
    return iam_dto.ScimIntegrationCreated(**shown.model_dump(), token=created.token)


@router.get("/{id}", summary="Get a SCIM integration", response_model=iam_dto.ScimIntegrationDto)
async def get_integration(ctx: Ctx, by: Acting, request: Request, id: IntegrationId) -> iam_dto.ScimIntegrationDto:
    """One integration: whether it is enabled, and the SCIM base URL to give the identity provider."""
    return _dto(request, await _call(scim.get_integration, ctx.store, id, by=by))


@router.put("/{id}", summary="Enable, disable or describe a SCIM integration",
            response_model=iam_dto.ScimIntegrationDto)
async def update_integration(ctx: Ctx, by: Acting, request: Request, id: IntegrationId,
                             body: iam_dto.ScimIntegrationUpdate) -> iam_dto.ScimIntegrationDto:
    """A disabled integration's requests answer 401 until it is enabled again."""
    found = await _call(scim.update_integration, ctx.store, id, enabled=body.enabled, description=body.description,
                        by=by, now=ctx.clock())
    return _dto(request, found)


@router.delete("/{id}", summary="Delete a SCIM integration", status_code=204)
async def delete_integration(ctx: Ctx, by: Acting, id: IntegrationId) -> Response:
    """Remove the integration and its service account (its token stops working); provisioned users and groups
    stay."""
    await _call(scim.delete_integration, ctx.store, id, by=by, now=ctx.clock())
    return Response(status_code=204)
