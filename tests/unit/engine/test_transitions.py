"""The one transition table, enforced wherever a state changes (`with_state`), and the engine's exhaustive
dispatch: the state changes the engine makes on the rarer paths are allowed, a forbidden one raises."""

from __future__ import annotations

import pytest

from legato.engine import commands as cmd
from legato.engine import events as ev
from legato.model.execution import Execution, TaskRun
from legato.model.state import TRANSITIONS, IllegalTransition, State

from .sim import T0, Sim
from .test_flow_control import fail_on, flow, log


def test_every_state_has_its_row_and_a_finished_run_never_goes_back_to_created() -> None:
    assert set(TRANSITIONS) == set(State)
    run = TaskRun(id="r1", execution_id="e1", task_id="a", state=State.SUCCESS)
    with pytest.raises(IllegalTransition, match=r"task run r1 \(a\) cannot go from SUCCESS to CREATED"):
        run.with_state(State.CREATED, T0)
    execution = Execution(id="e1", namespace="t", flow_id="f", flow_revision=1, created=T0, state=State.RETRIED)
    with pytest.raises(IllegalTransition, match="execution e1 cannot go from RETRIED to SUCCESS"):
        execution.with_state(State.SUCCESS, T0)
    assert run.with_state(State.SUCCESS, T0) is run  # staying put is always allowed


def test_an_unknown_event_raises() -> None:
    sim = Sim.of(flow(log("a")))
    with pytest.raises(AssertionError):
        sim.engine.decide(sim.flow, sim.view, ev.Event(), sim.now)  # type: ignore[arg-type]


def test_a_worker_lost_while_an_operator_pause_holds_the_execution_is_resubmitted_on_resume() -> None:
    sim = Sim.of(flow(log("a") + log("b")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.PauseRequested())
    sim.send(ev.JobLost(task_run_id=job.task_run_id, attempt=job.attempt))
    assert sim.state_of("a") == State.CREATED and sim.pending(cmd.DispatchJob) == []
    sim.send(ev.ResumeRequested())
    assert [(j.task_run_id, j.attempt) for j in sim.pending(cmd.DispatchJob)] == [(job.task_run_id, 2)]
    assert sim.drain().state == State.SUCCESS
    assert [h.state for h in sim.runs("a")[0].histories] == [
        State.CREATED, State.RUNNING, State.CREATED, State.RUNNING, State.SUCCESS]


def test_a_retry_due_while_an_operator_pause_holds_the_execution_runs_on_resume() -> None:
    retry = "    retry:\n      type: constant\n      interval: PT1S\n      maxAttempts: 2\n"
    sim = Sim.of(flow(log("a", retry)))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=1, state=State.FAILED, error="boom"))
    assert sim.state_of("a") == State.RETRYING
    sim.send(ev.PauseRequested())
    (timer,) = sim.take(cmd.ScheduleTimer)
    sim.now = timer.at
    sim.send(ev.TimerFired(task_run_id=timer.task_run_id, timer=timer.timer, key=timer.key))
    assert sim.state_of("a") == State.CREATED and sim.pending(cmd.DispatchJob) == []
    sim.send(ev.ResumeRequested())
    assert [j.attempt for j in sim.pending(cmd.DispatchJob)] == [2]
    assert sim.drain().state == State.SUCCESS


def test_restart_of_an_execution_killed_while_paused_by_an_operator_runs_again() -> None:
    sim = Sim.of(flow(log("a") + log("b")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.PauseRequested())
    sim.send(ev.KillRequested())
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.KILLED))
    assert sim.execution.state == State.KILLED
    sim.send(ev.RestartRequested())
    assert [j.attempt for j in sim.pending(cmd.DispatchJob)] == [2]
    assert sim.drain().state == State.SUCCESS


def test_restart_reopens_the_failed_flowable_above_the_failed_task_straight_to_running() -> None:
    sim = Sim.of(flow("  - id: seq\n    type: io.kestra.plugin.core.flow.Sequential\n    tasks:\n"
                      + "\n".join("  " + line for line in log("a").splitlines()) + "\n"))
    assert sim.run(fail_on("a")).state == State.FAILED  # type: ignore[arg-type]
    sim.send(ev.RestartRequested())
    assert sim.state_of("seq") == State.RUNNING
    assert sim.drain().state == State.SUCCESS
    assert [h.state for h in sim.runs("seq")[0].histories][-3:] == [State.FAILED, State.RUNNING, State.SUCCESS]
