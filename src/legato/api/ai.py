"""The AI copilot over HTTP: Kestra's `POST /api/v1/{tenant}/ai/generate/flow` (its body: `userPrompt`, the
current `flowYaml` or `yaml`, `conversationId`), which writes or changes a flow, and "Fix with AI"
(`POST /api/v1/{tenant}/ai/fix/execution/{executionId}`), which changes the flow of a failed execution from what
failed. Both answer a proposal that validates (YAML, unified diff, rounds), never save it, and answer 409 when no
model is configured and 502 when the model gave no valid flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from pydantic import Field

from legato.api import dto, masking
from legato.api.context import Acting, ApiContext, Ctx, check_tenant
from legato.api.errors import ApiError
from legato.services import assist, copilot
from legato.services.principal import Principal

router = APIRouter(prefix="/api/v1/{tenant}/ai", tags=["AI"], dependencies=[Depends(check_tenant)],
                   responses={**dto.ERRORS, 502: {**dto.ERRORS[409], "description": "The model gave no valid flow, or "
                                                  "its API failed (the message says which, with the last errors)"}})
ExecutionId = Annotated[str, Path(description="The failed execution's id.", max_length=64)]
YAML_ANSWERS = ("application/x-yaml", "application/yaml", "text/yaml", "text/plain")


def routers() -> list[APIRouter]:
    return [router]


class FlowGenerationPrompt(dto.Wire):
    user_prompt: str = Field(min_length=1, max_length=8000, description="What to write, or what to change.")
    flow_yaml: str | None = Field(default=None, max_length=500_000,
                                  description="The flow to change (the editor's text); absent: write a new flow.")
    yaml: str | None = Field(default=None, max_length=500_000, description="`flowYaml` under Kestra's newer name.")
    conversation_id: str | None = Field(default=None, max_length=200,
                                        description="Kestra's conversation id; accepted, each request stands alone.")
    namespace: str | None = Field(default=None, max_length=150,
                                  description="Where the flow is to live, when the prompt and the YAML do not say.")
    flow_id: str | None = Field(default=None, max_length=100,
                                description="With `namespace`: the saved flow being edited, whose id and namespace "
                                            "the proposal keeps (an answer that renames it goes back to the model).")


class FixRequest(dto.Wire):
    user_prompt: str | None = Field(default=None, max_length=8000, description="Anything the user adds.")


class FlowProposal(dto.Wire):
    flow: str = Field(description="The proposed flow's YAML: it validates with the installed plugins. Not saved.")
    diff: str = Field(description="Unified diff from the flow given (or from nothing) to the proposal.")
    rounds: int = Field(description="Answers asked of the model, the first one and its repairs included.")
    types: list[str] = Field(description="The task and trigger types the proposed flow uses.")


class FailedTaskDto(dto.Wire):
    task_id: str
    task_type: str | None = None
    error: str | None = Field(default=None, description="The task run's error, masked.")


class FixProposal(FlowProposal):
    namespace: str
    flow_id: str
    revision: int = Field(description="The flow's current revision: the diff is against it.")
    execution_revision: int = Field(description="The revision the failed execution ran.")
    failed_tasks: list[FailedTaskDto] = Field(description="What the model was told had failed.")


def _proposal(proposal: copilot.Proposal) -> FlowProposal:
    return FlowProposal(flow=proposal.source, diff=proposal.diff, rounds=proposal.rounds, types=list(proposal.types))


def _errors(exc: Exception) -> ApiError:
    if isinstance(exc, assist.NotConfigured):
        return ApiError(409, str(exc))
    return ApiError(502, f"the copilot proposes nothing: {exc}")


def _wants_yaml(request: Request) -> bool:
    accept = request.headers.get("accept", "").lower()
    return any(kind in accept for kind in YAML_ANSWERS) and "json" not in accept


@router.post("/generate/flow", summary="Write or change a flow with the AI copilot", response_model=FlowProposal,
             responses={200: {"content": {"application/x-yaml": {"schema": {"type": "string"}}},
                              "description": "The proposal (JSON), or its YAML alone when `Accept` asks for YAML "
                                             "or text (what Kestra answers)"}})
async def generate_flow(ctx: Ctx, by: Acting, request: Request, body: FlowGenerationPrompt) -> FlowProposal | Response:
    """A flow for `userPrompt`, or a change of `flowYaml` (`yaml`), proposed only once it validates: the model's
    invalid answers go back to it with the parser's errors, at most `ai_max_rounds` answers in all. Nothing is
    saved. Needs FLOW:UPDATE (an existing flow) or FLOW:CREATE on the flow's namespace, checked before the model is
    asked and again on the namespace of the proposal."""
    current = body.flow_yaml if body.flow_yaml is not None else body.yaml
    current = current if current and current.strip() else None
    try:
        model = await run_in_threadpool(assist.check_generate, ctx.store, ctx.ai, by=by, current=current,
                                        namespace=body.namespace, flow_id=body.flow_id)
        keep = (body.namespace, body.flow_id) if body.namespace and body.flow_id else None
        proposal = await assist.generate(model, body.user_prompt, current=current, keep=keep)
    except (assist.NotConfigured, copilot.CopilotError) as exc:
        raise _errors(exc) from None
    await run_in_threadpool(assist.check_proposal, ctx.store, by, proposal)
    if _wants_yaml(request):
        return PlainTextResponse(proposal.source, media_type="application/x-yaml")
    return _proposal(proposal)


@router.post("/fix/execution/{executionId}", summary="Fix a failed execution's flow with the AI copilot",
             response_model=FixProposal)
async def fix_execution(ctx: Ctx, by: Acting, executionId: ExecutionId, body: FixRequest | None = None) -> FixProposal:
    """A change of the flow of a FAILED execution, from its failed tasks, their errors and their last log lines
    (masked as the logs routes mask them) and the flow: a diff against the flow's current revision, proposed only
    once it validates and keeps the flow's id and namespace. Nothing is saved. Needs FLOW:UPDATE and
    EXECUTION:ACCESS_LOGS on the execution's namespace; 409 unless it ended FAILED."""
    try:
        model, failure = await run_in_threadpool(_failure, ctx, executionId, by)
        fixed = await assist.fix(model, failure, body.user_prompt if body else None)
    except (assist.NotConfigured, copilot.CopilotError) as exc:
        raise _errors(exc) from None
    proposal = fixed.proposal
    return FixProposal(
        flow=proposal.source, diff=proposal.diff, rounds=proposal.rounds, types=list(proposal.types),
        namespace=failure.namespace, flow_id=failure.flow_id, revision=failure.current.revision,
        execution_revision=failure.executed_revision,
        failed_tasks=[FailedTaskDto(task_id=t.task_id, task_type=t.task_type, error=t.error) for t in failure.tasks])


def _failure(ctx: ApiContext, execution_id: str, by: Principal) -> tuple[copilot.Model, assist.Failure]:
    execution = ctx.store.get_execution(execution_id, tenant=by.tenant)
    masker = masking.masker_for(ctx, execution) if execution is not None else None
    return assist.failure_of(ctx.store, ctx.ai, execution_id, by=by, mask=lambda text: masking.mask(text, masker))
