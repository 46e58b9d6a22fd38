"""Kestra's execution summary, as the `*Execution` notification tasks send it: a link to the execution in the UI,
its namespace, flow, id, state, start date and duration, the failed task (or the last one), custom fields and a
custom message.

The execution is the current one by default (`executionId: "{{ execution.id }}"`), or the one that fired a Flow
trigger (`executionId: "{{ trigger.executionId }}"`, Kestra's system-flow pattern). Another execution is read once
it has ended (or is in the state the Flow trigger fired on), waiting with back-off up to 10 minutes while it has
not, as Kestra does; an id that names no execution fails at once.

Where Kestra's summary of the current execution names the notification task itself as the last task, and so
never names the failure when it runs in `errors`, this one leaves its own run out: in `errors` or
`afterExecution` it names the task that failed, and reports FAILED while the store still says RUNNING."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from legato.model import state as states
from legato.model.execution import Execution
from legato.model.state import State
from legato.model.task import Frozen
from legato.plugins.context import RunContext, TaskFailed

ENV_URL = "LEGATO_URL"  # Kestra's `kestra.url`: where users reach the UI, for links in notifications
_WAIT = timedelta(minutes=10)  # how long another execution may take to end, as Kestra's retry bounds it


class ExecutionFields(Frozen):
    """The properties Kestra's `*Execution` tasks share (ExecutionInterface)."""

    executionId: str = Field(
        default="{{ execution.id }}",
        description="The execution to report: the current one by default; `{{ trigger.executionId }}` in a flow started by a Flow trigger.",
    )
    customFields: dict[str, Any] | None = Field(
        default=None, description="Extra fields added to the notification (values rendered)."
    )
    customMessage: str | None = Field(
        default=None, description="A message added to the notification (rendered)."
    )


@dataclass(frozen=True)
class Summary:
    execution: Execution
    state: str
    link: str
    duration: str
    start: datetime
    failed_task: str | None  # Kestra's firstFailed.taskId
    last_task: str | None  # Kestra's lastTask.taskId
    custom_fields: dict[str, Any]
    custom_message: str | None

    @property
    def title(self) -> str:
        return f"[{self.execution.namespace}] {self.execution.flow_id} ➛ {self.state}"

    @property
    def outcome(self) -> str:
        """`Failed on task `x` after 2.1s`, or `Succeeded after 2.1s`."""
        head = f"Failed on task `{self.failed_task}`" if self.failed_task else "Succeeded"
        return f"{head} after {self.duration}"

    @property
    def color(self) -> str:
        """Slack's attachment colour of the state: good, warning or danger."""
        return {"SUCCESS": "good", "WARNING": "warning"}.get(self.state, "danger")

    def facts(self) -> list[tuple[str, str]]:
        """The named values every summary lists, custom fields included, final task last."""
        rows = [
            ("Namespace", self.execution.namespace),
            ("Flow ID", self.execution.flow_id),
            ("Execution ID", self.execution.id),
            ("Execution Status", self.state),
        ]
        rows += [(str(k), v if isinstance(v, str) else _text(v)) for k, v in self.custom_fields.items()]
        if self.last_task:
            rows.append(("Final task ID", self.last_task))
        return rows

    def text(self) -> str:
        """A plain-text summary (mail, SMS, chat services without rich messages)."""
        lines = [self.custom_message] if self.custom_message else []
        lines += [self.title, self.outcome, *(f"{k}: {v}" for k, v in self.facts()), f"Link: {self.link}"]
        return "\n".join(lines)


def execution_link(execution_id: str) -> str:
    """The execution's page in Legato's UI, under LEGATO_URL (else the API's own address)."""
    base = os.environ.get(ENV_URL, "").strip().rstrip("/")
    if not base:
        host = os.environ.get("LEGATO_HOST", "127.0.0.1")
        base = f"http://{host}:{os.environ.get('LEGATO_PORT', '8080')}"
    return f"{base}/ui/executions/{execution_id}"


def human_duration(delta: timedelta) -> str:
    """2.35s, 4m 12s, 1h 3m 0s."""
    seconds = max(delta.total_seconds(), 0.0)
    if seconds < 60:
        return f"{seconds:.2f}".rstrip("0").rstrip(".") + "s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s"


async def summarize(ctx: RunContext, fields: ExecutionFields) -> Summary:
    """The summary of the execution `fields.executionId` names, with the custom fields and message rendered."""
    wanted = ctx.render_string(fields.executionId).strip()
    if not wanted:
        raise TaskFailed("property 'executionId' rendered to an empty string")
    current = wanted == ctx.execution.id
    if current:
        ctx.logger.info("Loading execution data for the current execution.")
    execution = await _find(ctx, wanted, current)
    runs = ctx.operations.execution_task_runs(execution.id)  # in creation order
    if current:
        runs = [r for r in runs if r.id != ctx.task_run.id]
        failed = [r for r in runs if r.state == State.FAILED]
        state = _current_state(execution, bool(failed))
        last = runs[-1] if runs else None
        failed_task = failed[-1].task_id if failed else None
    else:
        state = execution.state
        kept = State.FAILED if state == State.FAILED else State.SUCCESS
        picked = [r for r in runs if r.state == kept]
        last = picked[-1] if picked else None
        failed_task = last.task_id if last is not None and last.state == State.FAILED else None
    end = execution.ended or ctx.now()
    custom = ctx.render(fields.customFields) if fields.customFields else {}
    message = ctx.render_string(fields.customMessage) if fields.customMessage is not None else None
    return Summary(
        execution=execution,
        state=state.value,
        link=execution_link(execution.id),
        duration=human_duration(end - execution.created),
        start=execution.created,
        failed_task=failed_task,
        last_task=last.task_id if last else None,
        custom_fields=dict(custom or {}),
        custom_message=message,
    )


def _current_state(execution: Execution, failed: bool) -> State:
    """The state the current execution ends in, as far as it is known: `errors` and `afterExecution` run
    before the store records the end (the engine keeps the outcome of the phases in its scratch)."""
    if execution.state in states.TERMINAL:
        return execution.state
    for key in ("final", "main"):
        value = str(execution.scratch.get(key, ""))
        if value in State.__members__ and (key == "final" or State(value) == State.FAILED):
            return State(value)
    return State.FAILED if failed else execution.state


async def _find(ctx: RunContext, execution_id: str, current: bool) -> Execution:
    waited, pause = 0.0, 1.0
    while True:
        found = ctx.operations.find_execution(execution_id)
        if found is None:  # the store is consistent: an execution not there now never will be
            raise TaskFailed(f"property 'executionId': no execution '{execution_id}' found")
        if current or found.state in states.TERMINAL or _as_triggered(ctx, found):
            return found
        if waited >= _WAIT.total_seconds():
            raise TaskFailed(
                f"execution '{execution_id}' is still {found.state.value} after {human_duration(_WAIT)}"
            )
        await ctx.sleep(pause)
        waited += pause
        pause = min(pause * 2, 15.0)


def _as_triggered(ctx: RunContext, found: Execution) -> bool:
    """Whether `found` is in the state a Flow trigger fired on (RUNNING and PAUSED conditions report at once)."""
    if ctx.render_string("{{ trigger.executionId ?? '' }}") != found.id:
        return False
    wanted = ctx.render_string("{{ trigger.state ?? '' }}")
    return wanted == State.RUNNING.value or wanted == found.state.value


def _text(value: Any) -> str:
    return "" if value is None else json.dumps(value, default=str)
