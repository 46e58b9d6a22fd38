"""Retries as Kestra applies them: the policy of the task, else of the nearest enclosing task, else of the flow;
RETRY_FAILED_TASK adds attempts to the task run (a Subflow task's attempt is a new subflow execution);
CREATE_NEW_EXECUTION ends the execution RETRIED and asks for the next one, attempts counted across the chain."""

from __future__ import annotations

from datetime import timedelta

from legato.engine import commands as cmd
from legato.engine import events as ev
from legato.engine.retry import FLOW_ATTEMPT, FLOW_SINCE
from legato.model.state import State

from .sim import T0, Sim
from .test_flow_control import fail_on, flow, log

FLOW_NEW_EXECUTION = "retry:\n  type: constant\n  interval: PT1S\n  maxAttempt: 3\n  behavior: CREATE_NEW_EXECUTION\n"
TASK_NEW_EXECUTION = "    retry:\n      type: constant\n      interval: PT2S\n      maxDuration: PT6S\n" \
                     "      behavior: CREATE_NEW_EXECUTION\n"
CONSTANT_3 = "retry:\n  type: constant\n  interval: PT1S\n  maxAttempt: 3\n"


def test_flow_retry_create_new_execution_ends_this_one_retried_and_asks_for_the_next() -> None:
    sim = Sim.of(flow(log("a") + log("b"), head=FLOW_NEW_EXECUTION))
    assert sim.run(fail_on("a")).state == State.RETRIED  # type: ignore[arg-type]
    assert sim.state_of("a") == State.RETRIED and sim.runs("b") == []
    (retry,) = sim.pending(cmd.CreateRetryExecution)
    assert (retry.attempt, retry.at, retry.since) == (2, sim.now + timedelta(seconds=1), T0)
    (ended,) = sim.pending(cmd.ExecutionEnded)
    assert ended.state == "RETRIED"


def test_the_last_attempt_of_the_chain_fails() -> None:
    sim = Sim.of(flow(log("a"), head=FLOW_NEW_EXECUTION))
    sim.view._execution = sim.execution.model_copy(update={"scratch": {FLOW_ATTEMPT: 3, FLOW_SINCE: T0.isoformat()}})
    assert sim.run(fail_on("a")).state == State.FAILED  # type: ignore[arg-type]
    assert sim.pending(cmd.CreateRetryExecution) == []


def test_a_task_retry_create_new_execution_counts_max_duration_from_the_first_execution() -> None:
    sim = Sim.of(flow(log("a", TASK_NEW_EXECUTION)))
    assert sim.run(fail_on("a")).state == State.RETRIED  # type: ignore[arg-type]
    (retry,) = sim.take(cmd.CreateRetryExecution)
    assert retry.attempt == 2 and len(sim.runs("a")[0].attempts) == 1  # no attempt of the task itself
    late = Sim.of(flow(log("a", TASK_NEW_EXECUTION)))
    late.now = T0 + timedelta(seconds=5)  # the next one would start after PT6S from the first
    late.view._execution = late.execution.model_copy(update={"scratch": {FLOW_ATTEMPT: 3, FLOW_SINCE: T0.isoformat()}})
    assert late.run(fail_on("a")).state == State.FAILED  # type: ignore[arg-type]


def test_a_retry_on_a_flowable_retries_its_failing_children() -> None:
    body = ("  - id: group\n    type: io.kestra.plugin.core.flow.Sequential\n"
            "    retry:\n      type: constant\n      interval: PT1S\n      maxAttempt: 3\n"
            "    tasks:\n      - id: child\n        type: io.kestra.plugin.core.execution.Fail\n")
    sim = Sim.of(flow(body))
    assert sim.run(fail_on("child")).state == State.FAILED  # type: ignore[arg-type]
    assert len(sim.runs("child")[0].attempts) == 3 and len(sim.runs("group")[0].attempts) == 0


def test_the_task_own_retry_wins_over_the_enclosing_one() -> None:
    body = ("  - id: group\n    type: io.kestra.plugin.core.flow.Sequential\n"
            "    retry:\n      type: constant\n      interval: PT1S\n      maxAttempt: 3\n"
            "    tasks:\n      - id: child\n        type: io.kestra.plugin.core.execution.Fail\n"
            "        retry:\n          type: constant\n          interval: PT1S\n          maxAttempt: 2\n")
    sim = Sim.of(flow(body))
    sim.run(fail_on("child"))  # type: ignore[arg-type]
    assert len(sim.runs("child")[0].attempts) == 2


SUBFLOW = "  - id: child\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: t\n    flowId: c\n"


def test_a_flow_retry_retries_a_failed_subflow_task_with_a_new_subflow_execution() -> None:
    sim = Sim.of(flow(SUBFLOW, head=CONSTANT_3))
    sim.send(ev.ExecutionCreated())
    keys = set()
    for attempt in (1, 2, 3):
        (create,) = sim.take(cmd.CreateSubflow)
        assert create.attempt == attempt
        keys.add(create.key)
        sim.send(ev.SubflowCreated(task_run_id=create.task_run_id, child_execution_id=f"kid{attempt}"))
        sim.send(ev.ChildExecutionEnded(task_run_id=create.task_run_id, child_execution_id=f"kid{attempt}",
                                        state=State.FAILED))
        if attempt < 3:
            assert sim.state_of("child") == State.RETRYING
            (timer,) = sim.take(cmd.ScheduleTimer)
            sim.now = timer.at
            sim.send(ev.TimerFired(task_run_id=timer.task_run_id, timer=timer.timer, key=timer.key))
    assert sim.execution.state == State.FAILED and len(keys) == 3
    (run,) = sim.runs("child")
    assert [a.state for a in run.attempts] == [State.FAILED] * 3
    assert run.outputs["executionId"] == "kid3"


def test_a_subflow_task_has_one_attempt_when_it_succeeds() -> None:
    sim = Sim.of(flow(SUBFLOW))
    sim.send(ev.ExecutionCreated())
    (create,) = sim.take(cmd.CreateSubflow)
    sim.send(ev.SubflowCreated(task_run_id=create.task_run_id, child_execution_id="kid"))
    sim.send(ev.ChildExecutionEnded(task_run_id=create.task_run_id, child_execution_id="kid", state=State.SUCCESS))
    assert [a.state for a in sim.runs("child")[0].attempts] == [State.SUCCESS]
