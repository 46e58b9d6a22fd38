"""Retries: which policy applies to a failed task run, whether another attempt is allowed and when it starts
(pure and deterministic), and asking for it: a new attempt of the task, or a new execution of the flow."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from legato.engine import commands as cmd
from legato.engine import phases
from legato.engine.phases import ExecutionNotes
from legato.model.state import State
from legato.model.task import Retry

if TYPE_CHECKING:
    from legato.engine.step import Step
    from legato.model.execution import TaskRun


def next_delay(policy: Retry, attempts_done: int, seed: str) -> timedelta:
    """Delay before attempt number `attempts_done + 1` (attempts_done >= 1)."""
    if policy.type == "constant":
        return policy.interval or timedelta(0)
    if policy.type == "exponential":
        base = policy.interval or timedelta(seconds=1)
        factor = policy.delayFactor or 2.0
        delay = base * (factor ** (attempts_done - 1))
        return min(delay, policy.maxInterval) if policy.maxInterval else delay
    low = policy.minInterval or timedelta(0)
    high = policy.maxInterval or low
    # "random" without randomness: a stable fraction derived from the run and attempt keeps decide() pure.
    fraction = int.from_bytes(hashlib.sha256(f"{seed}:{attempts_done}".encode()).digest()[:4], "big") / 2**32
    return low + (high - low) * fraction


def may_retry(policy: Retry, attempts_done: int, first_started: datetime | None, now: datetime) -> bool:
    """True when the policy allows another attempt after `attempts_done` failed ones."""
    if policy.maxAttempts is not None and attempts_done >= policy.maxAttempts:
        return False
    if policy.maxDuration is not None and first_started is not None:
        delay = next_delay(policy, attempts_done, "")
        if now + delay - first_started > policy.maxDuration:
            return False
    return True


# Execution scratch: which attempt of the flow this execution is (CREATE_NEW_EXECUTION) and when the first began.
FLOW_ATTEMPT = phases.FLOW_ATTEMPT
FLOW_SINCE = phases.FLOW_SINCE


def policy_for(step: Step, run: TaskRun) -> Retry | None:
    """The retry that applies to a failed `run`, chosen as Kestra does: the task's own, else that of the nearest
    enclosing task with one (a retry on a flowable retries its failing children), else the flow's."""
    retry = step.task(run).retry
    parent_id = run.parent_id
    while retry is None and parent_id is not None:
        parent = step.w.run(parent_id)
        retry, parent_id = step.task(parent).retry, parent.parent_id
    return retry if retry is not None else step.flow.retry


def schedule_attempt(step: Step, run: TaskRun, policy: Retry) -> bool:
    """RETRY_FAILED_TASK: put `run` in RETRYING and time its next attempt when the policy allows one; False
    when retries are exhausted."""
    done = len(run.attempts)
    first = run.attempts[0].started if run.attempts else None
    first = first or (run.histories[0].date if run.histories else None)
    if not may_retry(policy, done, first, step.w.now):
        return False
    at = step.w.now + next_delay(policy, done, run.id)
    step.w.put(run.with_state(State.RETRYING, step.w.now))
    # numbered from 1 for people, as the UI and the CLI show attempts (attemptNumber on the wire counts from 0)
    step.w.log(run.id, "WARN", f"Attempt {done} of '{run.task_id}' failed; retrying at {at.isoformat()}")
    step.w.command(cmd.ScheduleTimer(at=at, timer="retry", task_run_id=run.id, nonce=str(done + 1)))
    return True


def new_execution_asked(step: Step, run: TaskRun, policy: Retry) -> bool:
    """CREATE_NEW_EXECUTION: when the policy allows another attempt of the whole flow, ask for it (a new
    execution of the same revision and inputs, started after the delay) and say so; the caller then ends this
    execution RETRIED. Attempts and maxDuration count across the chain of executions, as in Kestra."""
    execution = step.w.execution
    notes = ExecutionNotes.of(execution)
    attempt = notes.flow_attempt
    first = datetime.fromisoformat(notes.flow_since) if notes.flow_since else execution.created
    if not may_retry(policy, attempt, first, step.w.now):
        return False
    at = step.w.now + next_delay(policy, attempt, execution.origin_id or execution.id)
    step.w.log(run.id, "WARN", f"Task '{run.task_id}' failed; execution attempt {attempt} is RETRIED, "
                               f"attempt {attempt + 1} starts at {at.isoformat()} as a new execution")
    step.w.command(cmd.CreateRetryExecution(origin_execution_id=execution.id, attempt=attempt + 1, at=at,
                                            since=first))
    return True
