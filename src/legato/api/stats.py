"""Execution counts for dashboards: per day by state, and per namespace or flow."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends

from legato.api import dto
from legato.api.context import Acting, ApiContext, Ctx, check_tenant
from legato.api.errors import bad_request
from legato.api.params import utc
from legato.identity.permissions import Action, Resource
from legato.services.principal import Principal, search_scope
from legato.store.ports import ExecutionCount, ExecutionFilter

router = APIRouter(prefix="/api/v1/{tenant}/stats", tags=["Stats"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)
DEFAULT_DAYS = 30
MAX_DAYS = 366


def routers() -> list[APIRouter]:
    return [router]


def _zone(request: dto.DailyStatsRequest) -> ZoneInfo:
    try:
        return ZoneInfo(request.timeZone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(f"timeZone: unknown time zone '{request.timeZone}'") from None


def _window(ctx: ApiContext, request: dto.DailyStatsRequest) -> tuple[datetime, datetime]:
    zone = _zone(request)
    end = utc(request.endDate) or ctx.clock().astimezone(UTC)
    first_day = end.astimezone(zone).date() - timedelta(days=DEFAULT_DAYS - 1)
    start = utc(request.startDate) or datetime.combine(first_day, time(), zone).astimezone(UTC)
    if start > end:
        raise bad_request("startDate is after endDate")
    if (end - start).days >= MAX_DAYS:
        raise bad_request(f"the window may span at most {MAX_DAYS} days")
    return start, end


def _filters(ctx: ApiContext, request: dto.DailyStatsRequest, by: Principal) -> ExecutionFilter:
    start, end = _window(ctx, request)
    scope, within = search_scope(by, Resource.EXECUTION, Action.LIST, request.namespace or None)
    return ExecutionFilter(namespace=scope, within=within, flow_id=request.flowId, created_from=start,
                           created_to=end, tenant=by.tenant)


@router.post("/executions/daily", summary="Executions per day by state", response_model=list[dto.DailyStats])
def daily(ctx: Ctx, by: Acting, request: dto.DailyStatsRequest) -> list[dto.DailyStats]:
    """For each day of the window, in `timeZone` (default UTC), how many executions started in each state,
    and how long the ended ones took (seconds). Days without executions are included with zero counts."""
    zone = _zone(request)
    start, end = _window(ctx, request)
    counts: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    spans: dict[date, list[ExecutionCount]] = defaultdict(list)
    for group in ctx.store.count_executions(_filters(ctx, request, by), ["quarter_hour", "state"]):
        quarter, state = group.key
        day = datetime.fromtimestamp(int(quarter) * 900, zone).date()  # every zone's offset is whole quarters
        counts[day][state] += group.count
        spans[day].append(group)
    out = []
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    while day <= last:
        groups = [g for g in spans.get(day, []) if g.ended]
        ended = sum(g.ended for g in groups)
        total = sum(g.seconds_sum for g in groups)
        out.append(dto.DailyStats(start_date=day.isoformat(), execution_counts=dict(counts.get(day, {})),
                                  duration=dto.DurationStats(
            count=ended, sum=total, avg=total / ended if ended else None,
            min=min((g.seconds_min for g in groups if g.seconds_min is not None), default=None),
            max=max((g.seconds_max for g in groups if g.seconds_max is not None), default=None))))
        day += timedelta(days=1)
    return out


@router.post("/executions/group-by-flow", summary="Executions per flow by state", response_model=list[dto.GroupStats])
def by_flow(ctx: Ctx, by: Acting, request: dto.DailyStatsRequest) -> list[dto.GroupStats]:
    """How many executions of each flow started in the window, by state; by namespace then flow."""
    groups: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for group in ctx.store.count_executions(_filters(ctx, request, by), ["namespace", "flow_id", "state"]):
        namespace, flow_id, state = group.key
        groups[(namespace, flow_id)][state] = group.count
    return [dto.GroupStats(namespace=ns, flow_id=fid, execution_counts=c) for (ns, fid), c in sorted(groups.items())]


@router.post("/executions/group-by-namespace", summary="Executions per namespace by state",
             response_model=list[dto.GroupStats])
def by_namespace(ctx: Ctx, by: Acting, request: dto.DailyStatsRequest) -> list[dto.GroupStats]:
    """How many executions of each namespace started in the window, by state."""
    groups: dict[str, dict[str, int]] = defaultdict(dict)
    for group in ctx.store.count_executions(_filters(ctx, request, by), ["namespace", "state"]):
        namespace, state = group.key
        groups[namespace][state] = group.count
    return [dto.GroupStats(namespace=ns, execution_counts=c) for ns, c in sorted(groups.items())]
