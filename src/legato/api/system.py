"""Health probe, server configuration and Prometheus metrics."""

from __future__ import annotations

from collections import Counter
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, PlainTextResponse

from legato.api import dto
from legato.api.context import TENANT, Ctx, check_tenant
from legato.api.metrics import gauge
from legato.model.state import State
from legato.store.ports import ExecutionFilter

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
    try:
        ctx.store.get_flow("", "")  # a cheap indexed query that matches nothing
    except Exception:  # any database failure means "not healthy", whatever its type
        return JSONResponse({"status": "DOWN", "database": "DOWN"}, status_code=503)
    return JSONResponse({"status": "UP", "database": "UP"})


def _configs(ctx: Ctx) -> dto.Configs:
    return dto.Configs(
        version=legato_version(), tenant=TENANT, backend=str(getattr(ctx.store, "backend", "unknown")),
        basicAuthEnabled=ctx.basic_auth, features=FEATURES, startedAt=ctx.started,
    )


@router.get("/api/v1/configs", tags=["System"], summary="Server configuration", response_model=dto.Configs)
def configs(ctx: Ctx) -> dto.Configs:
    """Version, database backend, whether basic auth is on, and the features this server offers."""
    return _configs(ctx)


@tenant_router.get("/configs", tags=["System"], summary="Server configuration (tenant path)", response_model=dto.Configs)
def tenant_configs(ctx: Ctx) -> dto.Configs:
    """The same as `/api/v1/configs`, under the tenant prefix."""
    return _configs(ctx)


@router.get("/metrics", tags=["System"], summary="Prometheus metrics", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format 0.0.4"}})
def metrics(ctx: Ctx) -> PlainTextResponse:
    """Executions by state, live flows, and HTTP requests by route (counts and latency histograms)."""
    by_state = {State(c.key[0]): c.count for c in ctx.store.count_executions(ExecutionFilter(), ["state"])}
    flows = Counter(f.namespace for f in ctx.store.list_flows())
    lines = gauge("legato_executions", "Executions currently in each state.",
                  (({"state": s.value}, by_state.get(s, 0)) for s in State))
    lines += gauge("legato_flows", "Live flows, by namespace.", (({"namespace": ns}, n) for ns, n in sorted(flows.items())))
    lines += ctx.metrics.lines()
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
