"""execution.Fail, Exit, Assert and Resume: end, check or resume executions."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.expressions import truthy
from legato.model.state import State
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_optional_text

ExitState = Literal["SUCCESS", "WARNING", "KILLED", "FAILED", "CANCELED", "CANCELLED"]
_EXIT_STATES = {
    "SUCCESS": State.SUCCESS,
    "WARNING": State.WARNING,
    "KILLED": State.KILLED,
    "FAILED": State.FAILED,
    "CANCELED": State.CANCELLED,  # Kestra's spelling
    "CANCELLED": State.CANCELLED,
}


@TASKS.register
class Fail(RunnableTask):
    """Fail the task (and so the execution, unless handled), always or when a condition renders true."""

    TYPE: ClassVar[str] = "execution.Fail"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.execution.Fail", "io.kestra.core.tasks.executions.Fail")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: fail
type: io.kestra.plugin.core.execution.Fail
errorMessage: Something went wrong, check the upstream data
""",
        """\
id: fail_on_condition
type: io.kestra.plugin.core.execution.Fail
condition: "{{ inputs.param == 'fail' }}"
""",
    )

    # Named fail_condition in Python because Task.condition() is the run condition (runIf / when).
    fail_condition: str | bool | None = Field(
        default=None,
        alias="condition",
        description="Fail only when this renders truthy (false, 0, '' and null are falsy); without it, always fail.",
    )
    errorMessage: str = Field(default="Task failure", description="The error message of the failure (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if self.fail_condition is not None and not truthy(ctx.render(self.fail_condition)):
            return {}
        message = ctx.render_string(self.errorMessage)
        if self.fail_condition is not None:
            ctx.logger.error(message)
        raise TaskFailed(message)


@TASKS.register
class Exit(RunnableTask):
    """End the execution now in the given state. Tasks still running elsewhere (parallel branches) keep
    running unless the state is KILLED."""

    TYPE: ClassVar[str] = "execution.Exit"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.execution.Exit",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: exit
type: io.kestra.plugin.core.execution.Exit
state: KILLED
""",
    )

    state: ExitState | Expression = Field(
        default="SUCCESS", description="The state the execution ends in: SUCCESS, WARNING, KILLED, FAILED or CANCELED."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        name: str = render_as(ctx, self.state, ExitState, "state")
        ctx.effects.exit_state = _EXIT_STATES[name]
        return {}


@TASKS.register
class Assert(RunnableTask):
    """Check that every condition renders truthy; fail listing those that do not."""

    TYPE: ClassVar[str] = "execution.Assert"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.execution.Assert",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: check
type: io.kestra.plugin.core.execution.Assert
conditions:
  - "{{ inputs.param == 'ok' }}"
  - "{{ outputs.count.value > 0 }}"
errorMessage: The input data is not usable
""",
    )

    conditions: list[str | bool] = Field(
        min_length=1, description="Expressions that must all render truthy (false, 0, '' and null are falsy)."
    )
    errorMessage: str | None = Field(default=None, description="Extra text appended to the failure message (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        failed: list[str] = []
        for condition in self.conditions:
            shown = condition if isinstance(condition, str) else str(condition).lower()
            try:
                ok = truthy(ctx.render(condition))
            except TaskFailed as exc:
                ctx.logger.error(f"Assertion `{shown}` failed: it could not be rendered ({exc})")
                failed.append(shown)
                continue
            if not ok:
                ctx.logger.error(f"Assertion `{shown}` failed!")
                failed.append(shown)
        if not failed:
            return {}
        plural = "s" if len(failed) > 1 else ""
        message = f"{len(failed)} assertion{plural} failed: " + ", ".join(f"`{c}`" for c in failed)
        extra = render_optional_text(ctx, self.errorMessage)
        raise TaskFailed(message + (f"\n{extra}" if extra else ""))


@TASKS.register
class Resume(RunnableTask):
    """Resume a PAUSED execution, this one by default, optionally passing the pause's onResume inputs."""

    TYPE: ClassVar[str] = "execution.Resume"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.execution.Resume",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: resume
type: io.kestra.plugin.core.execution.Resume
namespace: company.team
flowId: approvals
executionId: "{{ trigger.executionId }}"
inputs:
  approved: true
""",
    )

    namespace: str | None = Field(default=None, description="Namespace of the target execution's flow (with flowId).")
    flowId: str | None = Field(default=None, description="Flow of the target execution (with namespace).")
    executionId: str | None = Field(default=None, description="The execution to resume; the current one when unset.")
    inputs: dict[str, Any] | None = Field(default=None, description="Values for the pause's onResume inputs (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace = render_optional_text(ctx, self.namespace)
        flow_id = render_optional_text(ctx, self.flowId)
        execution_id = render_optional_text(ctx, self.executionId)
        if (namespace is None) != (flow_id is None):
            raise TaskFailed("set both 'namespace' and 'flowId' to resume an execution of another flow, or neither")
        if execution_id is None:
            if namespace is not None:
                raise TaskFailed("'executionId' is required when 'namespace' and 'flowId' are set")
            execution_id = ctx.execution.id
        inputs = ctx.render(self.inputs) if self.inputs else {}
        ctx.operations.resume_execution(execution_id, inputs)
        ctx.effects.set_variables = {
            "resumedExecution": {
                "id": execution_id,
                "namespace": namespace or ctx.flow_namespace,
                "flowId": flow_id or ctx.flow_id,
            }
        }
        return {}
