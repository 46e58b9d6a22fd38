"""What `legato deploy --server` calls: a namespace's whole change (flows, test suites, apps, namespace files, and
what to delete of them) in one request, applied by the services in one transaction, all or nothing; and the
instance's dashboards likewise."""

from __future__ import annotations

import base64
import binascii
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from legato.api import dto
from legato.api.context import Acting, Ctx, check_tenant
from legato.api.errors import bad_request
from legato.deploy.bundle import namespace_change
from legato.model.flow import NAMESPACE_PATTERN
from legato.services import dashboards as dashboard_service
from legato.services import flows as flow_service

router = APIRouter(prefix="/api/v1/{tenant}/deploy", tags=["Deploy"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

Namespace = Annotated[str, Path(description="The namespace deployed.", pattern=NAMESPACE_PATTERN, max_length=150)]


def routers() -> list[APIRouter]:
    return [router]


class NamespaceBundle(dto.Wire):
    """Everything a deploy changes in one namespace."""

    flows: list[str] = Field(default_factory=list, description="Flow YAML sources to create or update.")
    flow_deletions: list[str] = Field(default_factory=list, description="Ids of flows to delete.")
    suites: list[str] = Field(default_factory=list, description="Test suite YAML sources to create or update.")
    suite_deletions: list[str] = Field(default_factory=list, description="Ids of test suites to delete.")
    apps: list[str] = Field(default_factory=list, description="App YAML sources to create or update.")
    app_deletions: list[str] = Field(default_factory=list, description="Ids of apps to delete.")
    files: dict[str, str] = Field(default_factory=dict, description="Namespace files to write: `/path` → base64 "
                                                                    "content.")
    file_deletions: list[str] = Field(default_factory=list, description="Paths of namespace files to delete.")


class DeployedNamespace(dto.Wire):
    namespace: str
    flows: int = Field(description="Flows saved.")


class DashboardBundle(dto.Wire):
    """Every change of the instance's dashboards a deploy makes."""

    dashboards: list[str] = Field(default_factory=list, description="Dashboard YAML sources to create or update.")
    deletions: list[str] = Field(default_factory=list, description="Ids of dashboards to delete.")


@router.post("/namespaces/{namespace}", summary="Deploy a namespace", response_model=DeployedNamespace)
async def deploy_namespace(ctx: Ctx, by: Acting, namespace: Namespace, bundle: NamespaceBundle) -> DeployedNamespace:
    """Apply a namespace's flows, test suites, apps and files, and their deletions, all or nothing: everything is
    validated and every permission checked before anything is written, then the flows, suites and apps are saved
    in one transaction (a 4xx names what is wrong and nothing changes)."""
    files = {}
    for path, data in bundle.files.items():
        try:
            files[path] = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise bad_request(f"files[{path}]: not base64") from None
    change = namespace_change(namespace, flows=bundle.flows, flow_deletions=bundle.flow_deletions,
                              suites=bundle.suites, suite_deletions=bundle.suite_deletions, apps=bundle.apps,
                              app_deletions=bundle.app_deletions, files=files, file_deletions=bundle.file_deletions)
    saved = await run_in_threadpool(partial(flow_service.deploy_namespace, by=by, now=ctx.clock()),
                                    ctx.store, ctx.storage, change)
    return DeployedNamespace(namespace=namespace, flows=len(saved))


@router.post("/dashboards", summary="Deploy dashboards", status_code=204)
async def deploy_dashboards(ctx: Ctx, by: Acting, bundle: DashboardBundle) -> None:
    """Create, replace and delete dashboards in one transaction, all or nothing."""
    await run_in_threadpool(partial(dashboard_service.deploy, by=by, now=ctx.clock()), ctx.store,
                            bundle.dashboards, bundle.deletions)
