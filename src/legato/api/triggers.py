"""Triggers: their state (next and last dates, the execution they wait for, enabled or not), the operator's
actions on them (enable/disable, unlock, restart) and backfills of Schedule triggers, on Kestra's routes
under /api/v1/{tenant}/triggers. A trigger's state is Kestra's `Trigger` ("trigger context"): a trigger that
never fired nor was toggled shows with empty dates. Every route sees the triggers of the path's tenant only: its
flows and the state and backfills stored for them there (another tenant's trigger answers 404)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from legato.api import dto
from legato.api.context import Acting, ApiContext, Ctx, check_tenant
from legato.api.errors import ApiError, bad_request
from legato.api.params import Page, paging, sort_items
from legato.identity.permissions import Action, Resource
from legato.model.triggers import Schedule
from legato.scheduler.cron import Cron
from legato.services import backfills, triggers
from legato.services import flows as flow_service
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal, visible
from legato.store.ports import BackfillState

router = APIRouter(prefix="/api/v1/{tenant}/triggers", tags=["Triggers"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

Name = Annotated[str, Field(min_length=1, max_length=255)]
NamespacePath = Annotated[str, Path(max_length=150, description="The flow's namespace.")]
FlowPath = Annotated[str, Path(max_length=100, description="The flow's id.")]
TriggerPath = Annotated[str, Path(max_length=100, description="The trigger's id.")]


class TriggerKey(dto.Wire):
    namespace: Name
    flowId: Name
    triggerId: Name


class BackfillBody(dto.Wire):
    start: datetime = Field(description="First scheduled date to replay (UTC if no zone).")
    end: datetime | None = Field(default=None, description="Last scheduled date to replay (default: now).")
    inputs: dict[str, Any] | None = Field(default=None, description="Inputs of the backfilled executions.")
    labels: list[dto.Label] | dict[str, str] | None = Field(
        default=None, description="Labels of the backfilled executions (they also get `backfill: true`).")


class TriggerUpdate(TriggerKey):
    disabled: bool | None = Field(default=None, description="Disable (true) or enable (false) the trigger.")
    backfill: BackfillBody | None = Field(default=None, description="Start a backfill of this Schedule trigger.")


class SetDisabled(dto.Wire):
    triggers: list[TriggerKey] = Field(min_length=1, max_length=1000)
    disabled: bool


class TriggerContext(dto.Wire):
    tenant_id: str = "main"
    namespace: str
    flow_id: str
    trigger_id: str
    type: str | None = None
    date: datetime | None = Field(default=None, description="The last date it fired for.")
    next_execution_date: datetime | None = None
    execution_id: str | None = Field(default=None, description="The execution it waits for before firing again.")
    updated_date: datetime | None = None
    worker_id: str | None = Field(default=None, description="The scheduler holding a realtime trigger's lease.")
    disabled: bool = False
    disabled_in_source: bool = Field(default=False, description="The flow declares the trigger `disabled: true`.")
    error: str | None = Field(default=None, description="Why the trigger last failed to evaluate.")
    error_date: datetime | None = None
    backfill: dict[str, Any] | None = None
    next_dates: list[datetime] = Field(
        default_factory=list, description="A Schedule's next three fire times (none while it is disabled)."
    )


class TriggerWithDefinition(dto.Wire):
    abstract_trigger: dict[str, Any] | None = Field(description="The trigger as the flow declares it.")
    trigger_context: TriggerContext


class Count(dto.Wire):
    count: int = Field(description="How many triggers were acted on.")


SORTS: dict[str, Any] = {
    "namespace": lambda r: (r.namespace, r.flow_id, r.trigger_id), "flowId": lambda r: (r.flow_id, r.trigger_id),
    "triggerId": lambda r: r.trigger_id,
    "nextExecutionDate": lambda r: r.state.next_date if r.state else None,
    "date": lambda r: r.state.last_date if r.state else None,
}


class _Item(NamedTuple):
    """A trigger of a deployed flow with its backfill, if any."""

    row: triggers.TriggerRow
    backfill: BackfillState | None


def _by_row(key: Callable[[triggers.TriggerRow], Any]) -> Callable[[_Item], Any]:
    return lambda item: key(item.row)


_ITEM_SORTS = {name: _by_row(key) for name, key in SORTS.items()}


def routers() -> list[APIRouter]:
    return [router]


def _next_dates(row: triggers.TriggerRow, now: datetime, count: int = 3) -> list[datetime]:
    """The fire times of an enabled Schedule from its pending date (or from now), for the Triggers tab."""
    trigger = row.definition
    if not isinstance(trigger, Schedule) or not row.enabled:
        return []
    cron = Cron.parse(trigger.cron, with_seconds=trigger.withSeconds, timezone=trigger.timezone)
    pending = row.state.next_date if row.state else None
    if pending is not None:
        return [pending, *cron.upcoming(pending, count - 1)]
    return cron.upcoming(now, count)


def _context(row: triggers.TriggerRow, backfill: BackfillState | None, now: datetime, tenant: str) -> TriggerContext:
    state = row.state
    return TriggerContext(
        tenant_id=tenant, namespace=row.namespace, flow_id=row.flow_id, trigger_id=row.trigger_id,
        type=row.type, date=state.last_date if state else None,
        next_execution_date=state.next_date if state and row.enabled else None,
        execution_id=state.locked_execution_id if state else None,
        updated_date=state.updated if state else None,
        worker_id=getattr(state, "lease_owner", None) if state else None,
        disabled=not row.enabled, disabled_in_source=row.disabled_in_source,
        error=state.error if state else None, error_date=state.error_date if state else None,
        backfill=backfills.as_json(backfill), next_dates=_next_dates(row, now),
    )


def _rows(ctx: ApiContext, tenant: str, namespace: str | None, flow_id: str | None, q: str | None) -> list[_Item]:
    rows = triggers.list_triggers(ctx.store, ctx.flows, namespace, flow_id, tenant=tenant)
    if q:
        text = q.lower()
        rows = [r for r in rows if text in f"{r.namespace}.{r.flow_id}.{r.trigger_id}".lower()]
    found = {(b.namespace, b.flow_id, b.trigger_id): b for b in ctx.store.backfills(namespace, flow_id, tenant=tenant)}
    return [_Item(r, found.get((r.namespace, r.flow_id, r.trigger_id))) for r in rows]


def _one(ctx: ApiContext, tenant: str, namespace: str, flow_id: str, trigger_id: str) -> TriggerContext:
    for item in _rows(ctx, tenant, namespace, flow_id, None):
        if item.row.trigger_id == trigger_id:
            return _context(item.row, item.backfill, ctx.clock(), tenant)
    raise NotFoundError(f"flow {namespace}.{flow_id} has no trigger '{trigger_id}'")


def _definition(row: triggers.TriggerRow) -> dict[str, Any] | None:
    trigger = row.definition
    if trigger is None:
        return None
    return trigger.model_dump(mode="json", exclude_none=True, exclude_defaults=True) | {"id": trigger.id,
                                                                                       "type": trigger.type}


@router.get("/search", summary="Search triggers", response_model=dto.Paged[TriggerWithDefinition])
def search_triggers(
    ctx: Ctx, by: Acting, page: Annotated[Page, Depends(paging)],
    namespace: Annotated[str | None, Query(max_length=150, description="This namespace and its children.")] = None,
    flowId: Annotated[str | None, Query(max_length=100, description="Triggers of this flow.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in namespace.flowId.triggerId.")] = None,
) -> dto.Paged[TriggerWithDefinition]:
    """Every trigger of the deployed flows with its state and its definition, by namespace, flow and declaration
    order; or sorted by namespace, flowId, triggerId, nextExecutionDate or date."""
    items = [i for i in _rows(ctx, by.tenant, None, flowId, q)
             if (not namespace or i.row.namespace == namespace or i.row.namespace.startswith(namespace + "."))
             and visible(by, Resource.TRIGGER, Action.LIST, i.row.namespace)]
    ordered = sort_items(items, page.sort, _ITEM_SORTS, "namespace") if page.sort else items
    results = [TriggerWithDefinition(abstract_trigger=_definition(i.row),
                                     trigger_context=_context(i.row, i.backfill, ctx.clock(), by.tenant))
               for i in page.slice(ordered)]
    return dto.Paged[TriggerWithDefinition](results=results, total=len(items))


@router.get("/{namespace}/{flowId}", summary="Triggers of a flow", response_model=dto.Paged[TriggerContext])
def flow_triggers(
    ctx: Ctx, by: Acting, namespace: NamespacePath, flowId: FlowPath, page: Annotated[Page, Depends(paging)],
    q: Annotated[str | None, Query(max_length=200, description="Text in the trigger id.")] = None,
) -> dto.Paged[TriggerContext]:
    """The triggers of one flow with their state, in declaration order (or `sort`); 404 for an unknown flow."""
    if flow_service.find(ctx.store, namespace, flowId, tenant=by.tenant).deleted:
        raise NotFoundError(f"flow {namespace}.{flowId} not found")
    items = _rows(ctx, by.tenant, namespace, flowId, None)
    if q:
        items = [i for i in items if q.lower() in i.row.trigger_id.lower()]
    if page.sort:
        items = sort_items(items, page.sort, _ITEM_SORTS, "triggerId")
    now = ctx.clock()
    return dto.Paged[TriggerContext](results=[_context(i.row, i.backfill, now, by.tenant) for i in page.slice(items)],
                                     total=len(items))


@router.put("", summary="Update a trigger (enable, disable, backfill)", response_model=TriggerContext,
            responses={409: {"model": dto.ErrorBody, "description": "The trigger already has a backfill"}})
def update_trigger(ctx: Ctx, by: Acting, update: TriggerUpdate) -> TriggerContext:
    """With `backfill`: start a backfill of a Schedule trigger (400 for bad dates or another trigger type, 409
    when one exists, 422 for inputs the flow refuses). Else with `disabled`: disable or enable the trigger."""
    ns, flow_id, trigger_id = update.namespace, update.flowId, update.triggerId
    if update.backfill is not None:
        body = update.backfill
        labels = body.labels if isinstance(body.labels, dict) else {lb.key: lb.value for lb in body.labels or ()}
        try:
            backfills.create(ctx.store, ctx.flows, ns, flow_id, trigger_id, by=by, start=body.start, end=body.end,
                             inputs=body.inputs, labels=labels, now=ctx.clock())
        except backfills.InvalidBackfill as exc:
            raise bad_request(str(exc)) from None
    elif update.disabled is not None:
        triggers.set_trigger_enabled(ctx.store, ctx.flows, ns, flow_id, trigger_id, not update.disabled, by=by,
                                     now=ctx.clock())
    else:
        raise bad_request("say what to change: `disabled` or `backfill`")
    return _one(ctx, by.tenant, ns, flow_id, trigger_id)


@router.post("/{namespace}/{flowId}/{triggerId}/unlock", summary="Unlock a trigger", response_model=TriggerContext,
             responses={409: {"model": dto.ErrorBody, "description": "The trigger is not locked"}})
def unlock(ctx: Ctx, by: Acting, namespace: NamespacePath, flowId: FlowPath, triggerId: TriggerPath) -> TriggerContext:
    """Forget the execution the trigger waits for (it may fire again at once); 409 when it waits for none."""
    triggers.unlock_trigger(ctx.store, ctx.flows, namespace, flowId, triggerId, by=by, now=ctx.clock())
    return _one(ctx, by.tenant, namespace, flowId, triggerId)


@router.post("/{namespace}/{flowId}/{triggerId}/restart", summary="Restart a trigger", response_model=TriggerContext)
def restart(ctx: Ctx, by: Acting, namespace: NamespacePath, flowId: FlowPath, triggerId: TriggerPath) -> TriggerContext:
    """Start the trigger afresh from now: lock and source lease cleared, dates before now not recovered."""
    triggers.restart_trigger(ctx.store, ctx.flows, namespace, flowId, triggerId, by=by, now=ctx.clock())
    return _one(ctx, by.tenant, namespace, flowId, triggerId)


def _backfill_action(ctx: ApiContext, key: TriggerKey, action: str, by: Principal) -> None:
    triggers.find_trigger(ctx.store, ctx.flows, key.namespace, key.flowId, key.triggerId, tenant=by.tenant)
    if action == "delete":
        backfills.delete(ctx.store, key.namespace, key.flowId, key.triggerId, by=by)
    else:
        backfills.set_paused(ctx.store, key.namespace, key.flowId, key.triggerId, action == "pause", by=by,
                            now=ctx.clock())


@router.put("/backfill/pause", summary="Pause a backfill", response_model=TriggerContext)
def pause_backfill(ctx: Ctx, by: Acting, key: TriggerKey) -> TriggerContext:
    """Stop firing the backfill's dates until it is resumed; 404 when the trigger has no backfill."""
    _backfill_action(ctx, key, "pause", by)
    return _one(ctx, by.tenant, key.namespace, key.flowId, key.triggerId)


@router.put("/backfill/unpause", summary="Resume a backfill", response_model=TriggerContext)
def unpause_backfill(ctx: Ctx, by: Acting, key: TriggerKey) -> TriggerContext:
    """Fire the backfill's remaining dates again; 404 when the trigger has no backfill."""
    _backfill_action(ctx, key, "unpause", by)
    return _one(ctx, by.tenant, key.namespace, key.flowId, key.triggerId)


@router.post("/backfill/delete", summary="Delete a backfill", response_model=TriggerContext)
def delete_backfill(ctx: Ctx, by: Acting, key: TriggerKey) -> TriggerContext:
    """Stop and forget the backfill (its executions stay); 404 when the trigger has no backfill."""
    _backfill_action(ctx, key, "delete", by)
    return _one(ctx, by.tenant, key.namespace, key.flowId, key.triggerId)


TriggerKeys = Annotated[list[TriggerKey], Body(min_length=1, max_length=1000, description="The triggers.")]


def _count(act: Callable[[TriggerKey], object], keys: list[TriggerKey]) -> Count:
    """Apply `act` to each trigger; those it does not fit (unknown, not locked, no backfill) are not counted."""
    done = 0
    for key in keys:
        try:
            act(key)
        except (NotFoundError, ConflictError, ApiError):
            continue
        done += 1
    return Count(count=done)


@router.post("/backfill/{action}/by-triggers", summary="Pause, resume or delete the backfills of triggers",
             response_model=Count)
async def backfills_by_triggers(
    ctx: Ctx, by: Acting, action: Annotated[str, Path(pattern="^(pause|unpause|delete)$", description="pause, unpause or delete.")],
    keys: TriggerKeys,
) -> Count:
    """Act on the backfill of each trigger; triggers without one are skipped (not counted)."""
    return await run_in_threadpool(_count, lambda k: _backfill_action(ctx, k, action, by), keys)


@router.post("/unlock/by-triggers", summary="Unlock triggers", response_model=Count)
def unlock_by_triggers(ctx: Ctx, by: Acting, keys: TriggerKeys) -> Count:
    """Unlock each trigger; those not locked are skipped (not counted)."""
    return _count(lambda k: triggers.unlock_trigger(ctx.store, ctx.flows, k.namespace, k.flowId, k.triggerId, by=by,
                                                     now=ctx.clock()),
                  keys)


@router.post("/set-disabled/by-triggers", summary="Disable or enable triggers", response_model=Count)
def set_disabled_by_triggers(ctx: Ctx, by: Acting, body: SetDisabled) -> Count:
    """Disable (`disabled: true`) or enable each trigger; unknown ones are skipped (not counted)."""
    return _count(lambda k: triggers.set_trigger_enabled(ctx.store, ctx.flows, k.namespace, k.flowId, k.triggerId,
                                                         not body.disabled, by=by, now=ctx.clock()), body.triggers)
