"""Health and readiness probes, server configuration and Prometheus metrics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Protocol

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from legato.api import dto
from legato.api.context import TENANT, Ctx, Tenant, check_tenant
from legato.api.metrics import MetricsPorts, StoreCollector
from legato.store.ports import FlowReader
from legato.telemetry import metrics as telemetry


class Schema(Protocol):
    def schema_at_head(self) -> bool:
        """Whether the database answers and its schema is at the newest revision this code ships."""
        ...


class ProbePorts(MetricsPorts, Schema, Protocol):
    """What the probes read: health (a flow lookup), readiness (the schema) and the metrics."""


router = APIRouter()
tenant_router = APIRouter(prefix="/api/v1/{tenant}", dependencies=[Depends(check_tenant)], responses=dto.ERRORS)


def routers() -> list[APIRouter]:
    return [router, tenant_router]


FEATURES = ["flows", "executions", "logs", "kv", "plugins", "stats", "sse", "metrics"]


def legato_version() -> str:
    try:
        return version("legato")
    except PackageNotFoundError:
        return "0.0.0"


@router.get("/health", tags=["System"], summary="Health probe", response_model=dto.Health,
            responses={503: {"model": dto.Health, "description": "The database does not answer"}})
def health(ctx: Ctx) -> JSONResponse:
    """UP when the API runs and its database answers a query; DOWN (503) otherwise. Needs no credentials."""
    return health_of(ctx.store)


def health_of(store: FlowReader) -> JSONResponse:
    """The health probe's answer for a process on `store`."""
    try:
        store.get_flow("", "")  # a cheap indexed query that matches nothing
    except Exception:  # any database failure means "not healthy", whatever its type
        return JSONResponse(dto.Health(status="DOWN", database="DOWN").model_dump(), status_code=503)
    return JSONResponse(dto.Health(status="UP", database="UP").model_dump())


class Readiness(BaseModel):
    status: str = Field(description="UP when this process may take traffic: its database answers and the schema "
                                    "is at the revision this version ships; DOWN otherwise.")
    database: str = Field(description="UP, or DOWN when the database does not answer.")
    schema_: str = Field(alias="schema", description="UP, or PENDING while migrations remain (or DOWN).")


@router.get("/ready", tags=["System"], summary="Readiness probe", response_model=Readiness,
            responses={503: {"model": Readiness, "description": "Not ready: database down or migrations pending"}})
def ready(ctx: Ctx) -> JSONResponse:
    """UP when the database answers and its schema is at the newest migration; DOWN (503) otherwise, e.g. while
    another process migrates. Needs no credentials."""
    return readiness_of(ctx.store)


def readiness_of(store: Schema) -> JSONResponse:
    """The readiness probe's answer for a process on `store`."""
    try:
        at_head = store.schema_at_head()
    except Exception:  # any database failure means "not ready", whatever its type
        down = Readiness(status="DOWN", database="DOWN", schema="DOWN")
        return JSONResponse(down.model_dump(by_alias=True), status_code=503)
    answer = Readiness(status="UP" if at_head else "DOWN", database="UP", schema="UP" if at_head else "PENDING")
    return JSONResponse(answer.model_dump(by_alias=True), status_code=200 if at_head else 503)


def metrics_of(store: MetricsPorts, clock: Callable[[], datetime]) -> Response:
    """The `/metrics` answer for a process on `store`."""
    body = telemetry.exposition([StoreCollector(store, clock)])
    return Response(body, media_type=telemetry.CONTENT_TYPE)


def _configs(ctx: Ctx, tenant: str = TENANT) -> dto.Configs:
    return dto.Configs(
        version=legato_version(), tenant=tenant, backend=str(getattr(ctx.store, "backend", "unknown")),
        basicAuthEnabled=ctx.basic_auth, features=[*FEATURES, *(["ai"] if ctx.ai else [])], startedAt=ctx.started,
        isAiEnabled=ctx.ai is not None,
    )


@router.get("/api/v1/configs", tags=["System"], summary="Server configuration", response_model=dto.Configs)
def configs(ctx: Ctx) -> dto.Configs:
    """Version, database backend, whether basic auth is on, the features this server offers, and whether its AI
    copilot has a model (`isAiEnabled`, as Kestra says it)."""
    return _configs(ctx)


@tenant_router.get("/configs", tags=["System"], summary="Server configuration (tenant path)", response_model=dto.Configs)
def tenant_configs(ctx: Ctx, tenant: Tenant) -> dto.Configs:
    """The same as `/api/v1/configs`, under the tenant prefix (`tenant`: that tenant)."""
    return _configs(ctx, tenant)


@router.get("/metrics", tags=["System"], summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format 0.0.4"}})
def metrics(ctx: Ctx) -> Response:
    """Executions (ended, by state; stored, by state), task attempt durations, the job queue, worker slots,
    scheduler lag, database pool and HTTP requests by route (counts and latency histograms)."""
    return metrics_of(ctx.store, ctx.clock)
