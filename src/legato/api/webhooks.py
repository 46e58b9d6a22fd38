"""Webhooks: `GET|POST|PUT /api/v1/{tenant}/executions/webhook/{namespace}/{flowId}/{key}` starts an execution
of a flow through one of its Webhook triggers (see legato.services.webhooks for matching and variables).

Answers, as Kestra does: 200 with the created execution; 204 when the trigger's conditions do not hold; 404
(one body for a missing flow, a disabled flow or trigger, and a wrong key); 413 for a body over MAX_BODY;
422 when the trigger's inputs do not render or validate. With `wait` (the trigger's property, or `?wait=true`)
the answer comes once the execution ended: the final execution, or with `returnOutputs` the flow's outputs
as the body (`responseContentType`, default application/json); the status is then 500 when the execution
ended FAILED, as in Kestra, so that callers see the failure. These routes need no credentials, even when
basic auth protects the rest of the API: the key is the credential.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from legato.api import dto, executions, masking
from legato.api.context import ApiContext, Ctx, check_tenant
from legato.api.errors import ApiError
from legato.api.serialize import execution_dto
from legato.model.execution import Execution
from legato.model.state import State
from legato.services import webhooks as hooks
from legato.services.principal import ANONYMOUS, in_tenant
from legato.store.ports import MAIN

MAX_BODY = 10 * 1024 * 1024  # bytes a webhook call may carry
PREFIX = "/api/v1/{tenant}/executions/webhook"

router = APIRouter(prefix=PREFIX, tags=["Executions"], dependencies=[Depends(check_tenant)],
                   responses={**dto.ERRORS, 413: {"model": dto.ErrorBody, "description": "The body is too large"}})

Namespace = Annotated[str, Path(max_length=150, description="The flow's namespace.")]
FlowId = Annotated[str, Path(max_length=100, description="The flow's id.")]
Key = Annotated[str, Path(max_length=256, description="The webhook trigger's key.")]
Wait = Annotated[bool | None, Query(description="Answer once the execution ended (default: the trigger's `wait`).")]

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The execution created (with `wait`: the ended execution, or the flow's outputs with "
                         "`returnOutputs`).",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExecutionDto"}}}},
    204: {"description": "The trigger's conditions do not hold: no execution created."},
    500: {"description": "With `wait`: the execution ended FAILED (the body is the execution or its outputs)."},
}


def routers() -> list[APIRouter]:
    return [router]


def _webhooks(request: Request, ctx: ApiContext) -> hooks.Webhooks:
    found: hooks.Webhooks | None = getattr(request.app.state, "legato_webhooks", None)
    if found is None:
        found = request.app.state.legato_webhooks = hooks.Webhooks(ctx.store, flows=ctx.flows)
    return found


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiError(413, f"the body is larger than {MAX_BODY} bytes")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise ApiError(413, f"the body is larger than {MAX_BODY} bytes")
    return bytes(data)


def _multi(items: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in items:
        out.setdefault(name, []).append(value)
    return out


async def _handle(ctx: ApiContext, request: Request, namespace: str, flow_id: str, key: str,
                  wait: bool | None) -> Response:
    webhooks = _webhooks(request, ctx)
    tenant = str(request.path_params.get("tenant", MAIN))  # checked registered by access.authorize
    match = await run_in_threadpool(partial(webhooks.find, tenant=tenant), namespace, flow_id, key)
    call = hooks.WebhookCall(
        body=await _body(request), content_type=request.headers.get("content-type", ""),
        headers=_multi([(k.lower(), v) for k, v in request.headers.items()]),
        parameters=_multi(list(request.query_params.multi_items())),
    )
    execution = await run_in_threadpool(webhooks.fire, match, call, by=in_tenant(ANONYMOUS, tenant), now=ctx.clock())
    if execution is None:
        return Response(status_code=204)
    trigger = match.trigger
    if not (trigger.wait if wait is None else wait):
        return JSONResponse((await run_in_threadpool(_json, ctx, execution)).wire())
    ended = await executions.wait_for_end(ctx, request, execution.id)
    status = 500 if ended.state == State.FAILED else 200
    if trigger.returnOutputs:
        return _outputs_response(ctx, ended, trigger.responseContentType, status)
    return JSONResponse((await run_in_threadpool(_json, ctx, ended)).wire(), status_code=status)


def _json(ctx: ApiContext, execution: Execution) -> dto.ExecutionDto:
    """The execution as the executions routes send it (secrets masked); sent through a JSONResponse, since the
    webhook's status follows the execution's end."""
    body = execution_dto(execution, ctx.store.task_runs(execution.id))
    return masking.mask_model(body, masking.masker_for(ctx, execution))


def _outputs_response(ctx: ApiContext, execution: Execution, content_type: str | None, status: int) -> Response:
    """The flow's outputs as the body: JSON by default; for a text type, a single text output as is."""
    outputs = masking.mask(execution.outputs or {}, masking.masker_for(ctx, execution))
    kind = (content_type or "application/json").strip()
    if kind.split(";")[0].strip().lower() in ("application/json", ""):
        return JSONResponse(outputs, status_code=status)
    values = list(outputs.values()) if isinstance(outputs, dict) else []
    text = values[0] if len(values) == 1 and isinstance(values[0], str) else json.dumps(outputs, default=str)
    return Response(text, status_code=status, media_type=kind)


_DOC = ("Start an execution through the flow's Webhook trigger with this key. `trigger.body`, `trigger.headers` "
        "and `trigger.parameters` hold the request. 404 (same body) for a missing or disabled flow or trigger "
        "and a wrong key; 204 when the trigger's conditions do not hold.")


@router.post("/{namespace}/{flowId}/{key}", summary="Start an execution by a POST webhook", response_model=None,
             responses=_RESPONSES, description=_DOC)
async def webhook_post(ctx: Ctx, request: Request, namespace: Namespace, flowId: FlowId, key: Key,
                       wait: Wait = None) -> Response:
    return await _handle(ctx, request, namespace, flowId, key, wait)


@router.get("/{namespace}/{flowId}/{key}", summary="Start an execution by a GET webhook", response_model=None,
            responses=_RESPONSES, description=_DOC)
async def webhook_get(ctx: Ctx, request: Request, namespace: Namespace, flowId: FlowId, key: Key,
                      wait: Wait = None) -> Response:
    return await _handle(ctx, request, namespace, flowId, key, wait)


@router.put("/{namespace}/{flowId}/{key}", summary="Start an execution by a PUT webhook", response_model=None,
            responses=_RESPONSES, description=_DOC)
async def webhook_put(ctx: Ctx, request: Request, namespace: Namespace, flowId: FlowId, key: Key,
                      wait: Wait = None) -> Response:
    return await _handle(ctx, request, namespace, flowId, key, wait)
