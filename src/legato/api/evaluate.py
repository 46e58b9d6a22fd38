"""Evaluating an expression against an execution, as a task run of it would see it: the debugging console
of the UI. Rendering is bounded in time and size (legato.expressions) and secrets are masked."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool

from legato.api import dto, masking
from legato.api.context import Acting, ApiContext, Ctx, check_tenant
from legato.api.errors import ApiError, bad_request
from legato.expressions import ExpressionError, LimitExceeded, Masker, Renderer, to_text
from legato.services import evaluation, executions
from legato.storage import functions as storage_functions
from legato.storage import tenants as tenant_storage
from legato.store import functions

router = APIRouter(prefix="/api/v1/{tenant}/executions", tags=["Executions"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)
MAX_EXPRESSION = 64 * 1024
# Renders of this endpoint at once: each may use a core and its memory budget until its time limit, so
# a burst of hostile previews queues here instead of taking every thread and the server's memory.
CONCURRENT_RENDERS = 4
_renders = threading.BoundedSemaphore(CONCURRENT_RENDERS)
EXPRESSION_BODY = {"requestBody": {"required": True, "description": "The expression, e.g. `{{ outputs.a.value }}`.",
                                   "content": {"text/plain": {"schema": {"type": "string"}}}}}


def routers() -> list[APIRouter]:
    return [router]


async def _expression(request: Request) -> str:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_EXPRESSION:
            raise ApiError(413, f"the expression is longer than {MAX_EXPRESSION // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("the expression is not UTF-8 text") from None


@router.post("/{executionId}/eval/{taskRunId}", summary="Evaluate an expression against an execution",
             response_model=dto.EvalResult, openapi_extra=EXPRESSION_BODY)
async def evaluate(
    ctx: Ctx, by: Acting, request: Request,
    executionId: Annotated[str, Path(description="The execution's id.", max_length=64)],
    taskRunId: Annotated[str, Path(description="Render as this task run would.", max_length=64)],
) -> dto.EvalResult:
    """Render the body (text with `{{ }}` expressions) with the variables the task run sees: inputs, outputs,
    vars, labels, taskrun, parents... `error` says why when it cannot be rendered. A render that exceeds one
    of the expression limits (time, output, memory, ...) is refused with 422 naming the limit."""
    expression = await _expression(request)
    return await run_in_threadpool(_bounded_render, ctx, executionId, taskRunId, expression, by.tenant)


def _bounded_render(ctx: ApiContext, execution_id: str, task_run_id: str, expression: str,
                    tenant: str) -> dto.EvalResult:
    if not _renders.acquire(timeout=10):
        raise ApiError(429, "too many expressions are being evaluated at once; try again")
    try:
        return _render(ctx, execution_id, task_run_id, expression, tenant)
    finally:
        _renders.release()


def _render(ctx: ApiContext, execution_id: str, task_run_id: str, expression: str, tenant: str) -> dto.EvalResult:
    execution = executions.find(ctx.store, execution_id, tenant=tenant)
    variables = evaluation.task_run_variables(ctx.store, ctx.flows, execution, task_run_id)
    bound = functions.bind(ctx.store, execution.namespace, execution.id, ctx.clock, tenant=execution.tenant)
    if ctx.storage is not None:  # read(), fileSize()... as the execution's tasks see them
        scope = storage_functions.FileScope(execution.namespace, execution.flow_id, execution.id,
                                            trigger=execution.trigger, parent_id=execution.parent_id)
        files = tenant_storage.of_tenant(ctx.storage, execution.tenant)
        bound = {**storage_functions.bind(files, scope), **bound}
    # secret() gives a placeholder the masker knows, so the console never shows a secret's value
    masker = masking.masker_for(ctx, execution) or Masker()
    try:
        value = Renderer(clock=ctx.clock).render_typed(expression, variables, functions=bound, masker=masker)
    except LimitExceeded as exc:  # not a mistake to show in the console: the request itself is refused
        raise ApiError(422, masking.mask(str(exc), masker), [dto.ErrorDetail(path="limit", message=exc.limit,
                                                                              line=exc.line, column=exc.column)]) from None
    except ExpressionError as exc:
        return dto.EvalResult(error=masking.mask(str(exc), masker))
    except (RecursionError, MemoryError, ValueError, TypeError, KeyError, ArithmeticError) as exc:
        return dto.EvalResult(error=masking.mask(f"{type(exc).__name__}: {exc}", masker))
    return dto.EvalResult(result=masking.mask(to_text(value), masker))
