"""Execution counts for dashboards: per day by state, and per namespace or flow."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends

from legato.api import dto, scan
from legato.api.context import ApiContext, Ctx, check_tenant
from legato.api.errors import bad_request
from legato.api.params import utc
from legato.model.execution import Execution

router = APIRouter(prefix="/api/v1/{tenant}/stats", tags=["Stats"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)
DEFAULT_DAYS = 30
MAX_DAYS = 366


def routers() -> list[APIRouter]:
    return [router]


def _window(ctx: ApiContext, request: dto.DailyStatsRequest) -> tuple[datetime, datetime]:
    end = utc(request.endDate) or ctx.clock().astimezone(UTC)
    start = utc(request.startDate) or (end - timedelta(days=DEFAULT_DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if start > end:
        raise bad_request("startDate is after endDate")
    if (end - start).days >= MAX_DAYS:
        raise bad_request(f"the window may span at most {MAX_DAYS} days")
    return start, end


def _matching(ctx: ApiContext, request: dto.DailyStatsRequest) -> list[Execution]:
    start, end = _window(ctx, request)
    exact = request.namespace if request.flowId else None
    out = []
    for x in scan.executions(ctx.store, namespace=exact, flow_id=request.flowId, since=start):
        if x.created > end:
            continue
        if request.namespace and not (x.namespace == request.namespace or x.namespace.startswith(request.namespace + ".")):
            continue
        out.append(x)
    return out


def _seconds(execution: Execution) -> float | None:
    if execution.ended is None or not execution.histories:
        return None
    return (execution.ended - execution.histories[0].date).total_seconds()


@router.post("/executions/daily", summary="Executions per day by state", response_model=list[dto.DailyStats])
def daily(ctx: Ctx, request: dto.DailyStatsRequest) -> list[dict[str, Any]]:
    """For each day (UTC) of the window, how many executions started in each state, and how long the ended
    ones took (seconds). Days without executions are included with zero counts."""
    start, end = _window(ctx, request)
    counts: dict[date, Counter[str]] = defaultdict(Counter)
    durations: dict[date, list[float]] = defaultdict(list)
    for x in _matching(ctx, request):
        day = x.created.date()
        counts[day][x.state.value] += 1
        seconds = _seconds(x)
        if seconds is not None:
            durations[day].append(seconds)
    out = []
    day = start.date()
    while day <= end.date():
        spans = durations.get(day, [])
        out.append({"startDate": day.isoformat(), "executionCounts": dict(counts.get(day, {})), "duration": {
            "count": len(spans), "sum": sum(spans), "avg": sum(spans) / len(spans) if spans else None,
            "min": min(spans, default=None), "max": max(spans, default=None)}})
        day += timedelta(days=1)
    return out


@router.post("/executions/group-by-flow", summary="Executions per flow by state", response_model=list[dto.GroupStats])
def by_flow(ctx: Ctx, request: dto.DailyStatsRequest) -> list[dict[str, Any]]:
    """How many executions of each flow started in the window, by state; by namespace then flow."""
    groups: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for x in _matching(ctx, request):
        groups[(x.namespace, x.flow_id)][x.state.value] += 1
    return [{"namespace": ns, "flowId": fid, "executionCounts": dict(c)} for (ns, fid), c in sorted(groups.items())]


@router.post("/executions/group-by-namespace", summary="Executions per namespace by state",
             response_model=list[dto.GroupStats])
def by_namespace(ctx: Ctx, request: dto.DailyStatsRequest) -> list[dict[str, Any]]:
    """How many executions of each namespace started in the window, by state."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for x in _matching(ctx, request):
        groups[x.namespace][x.state.value] += 1
    return [{"namespace": ns, "flowId": None, "executionCounts": dict(c)} for ns, c in sorted(groups.items())]
