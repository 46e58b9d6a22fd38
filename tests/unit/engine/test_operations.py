"""Kill, pause/resume, restart, status changes, subflows, loops with timers, flow-level policies."""

from __future__ import annotations

from legato.engine import commands as cmd
from legato.engine import events as ev
from legato.model.execution import Label
from legato.model.state import State

from .sim import Sim
from .test_flow_control import fail_on, flow, log

PAUSE = "  - id: wait\n    type: io.kestra.plugin.core.flow.Pause\n"


def test_kill_stops_running_jobs_and_ends_killed_once_workers_confirm() -> None:
    sim = Sim.of(flow(log("a") + log("b")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.KillRequested())
    assert sim.execution.state == State.KILLING
    assert [c.task_run_id for c in sim.pending(cmd.CancelJob)] == [job.task_run_id]
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.KILLED))
    assert sim.execution.state == State.KILLED
    assert sim.runs("b") == []  # nothing new starts once killed


def test_kill_of_a_job_no_worker_holds_ends_at_once() -> None:
    sim = Sim.of(flow(log("a")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.KillRequested())
    sim.send(ev.JobCancelled(task_run_id=job.task_run_id))
    assert sim.execution.state == State.KILLED


def test_kill_during_a_pending_retry_cancels_the_timer() -> None:
    sim = Sim.of(flow(log("a", "    retry:\n      type: constant\n      interval: PT1M\n      maxAttempts: 5\n")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=1, state=State.FAILED, error="x"))
    assert sim.state_of("a") == State.RETRYING
    sim.send(ev.KillRequested())
    assert sim.execution.state == State.KILLED
    assert sim.pending(cmd.CancelTimers)
    (timer,) = sim.take(cmd.ScheduleTimer)
    after = sim.send(ev.TimerFired(task_run_id=timer.task_run_id, timer="retry", key=timer.key))
    assert not after.commands  # a late timer dispatches nothing


def test_kill_cascades_to_subflows() -> None:
    sim = Sim.of(flow("  - id: child\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: t\n    flowId: c\n"))
    sim.send(ev.ExecutionCreated())
    (create,) = sim.take(cmd.CreateSubflow)
    sim.send(ev.SubflowCreated(task_run_id=create.task_run_id, child_execution_id="kid"))
    sim.send(ev.KillRequested())
    assert sim.pending(cmd.KillChildren)
    assert sim.execution.state == State.KILLED


def test_pause_waits_for_resume_and_passes_on_resume_inputs() -> None:
    sim = Sim.of(flow(PAUSE + log("after")))
    sim.run()
    assert sim.execution.state == State.PAUSED
    assert sim.runs("after") == []
    sim.send(ev.ResumeRequested(inputs={"approved": True}))
    assert sim.drain().state == State.SUCCESS
    assert sim.runs("wait")[0].outputs["onResume"] == {"approved": True}


def test_pause_duration_resumes_by_timer() -> None:
    sim = Sim.of(flow(PAUSE + "    pauseDuration: PT30S\n" + log("after")))
    assert sim.run().state == State.SUCCESS
    assert (sim.now - sim.execution.created).total_seconds() == 30


def test_restart_reruns_failed_tasks_with_a_new_attempt() -> None:
    sim = Sim.of(flow(log("a") + log("b") + log("c")))
    assert sim.run(fail_on("b")).state == State.FAILED  # type: ignore[arg-type]
    sim.send(ev.RestartRequested())
    assert sim.execution.state == State.RUNNING
    assert sim.drain().state == State.SUCCESS
    assert len(sim.runs("b")[0].attempts) == 2
    assert len(sim.runs("a")[0].attempts) == 1  # successful tasks are not run again
    assert sim.execution.restarts == 1


def test_restart_inside_a_foreach_reruns_only_the_failed_iteration() -> None:
    body = (
        "  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n    values: [\"ok\", \"bad\"]\n"
        "    concurrencyLimit: 0\n    tasks:\n"
        "      - id: ret\n        type: io.kestra.plugin.core.debug.Return\n        format: x\n"
    )
    sim = Sim.of(flow(body))
    broken = {"on": True}

    def worker(run, attempt):  # type: ignore[no-untyped-def]
        if run.value == "bad" and broken["on"]:
            return State.FAILED, {}, "bad value"
        return State.SUCCESS, {}, None

    assert sim.run(worker).state == State.FAILED
    broken["on"] = False
    sim.send(ev.RestartRequested())
    assert sim.drain(worker).state == State.SUCCESS
    attempts = {r.value: len(r.attempts) for r in sim.runs("ret")}
    assert attempts == {"ok": 1, "bad": 2}


def test_changing_a_failed_task_to_success_lets_the_flow_continue() -> None:
    sim = Sim.of(flow(log("a") + log("b")))
    sim.run(fail_on("a"))  # type: ignore[arg-type]
    run_id = sim.runs("a")[0].id
    sim.send(ev.TaskRunStateChanged(task_run_id=run_id, state=State.SUCCESS))
    assert sim.drain().state == State.SUCCESS
    assert sim.state_of("b") == State.SUCCESS


def test_exit_ends_the_execution_in_its_state() -> None:
    sim = Sim.of(flow(log("a") + log("b")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=1, state=State.SUCCESS,
                           effects=ev.Effects(exit_state=State.WARNING)))
    assert sim.execution.state == State.WARNING
    assert sim.runs("b") == []


def test_subflow_waits_for_its_child_and_takes_its_outputs() -> None:
    sim = Sim.of(flow("  - id: child\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: t\n"
                      "    flowId: c\n    inputs:\n      n: \"{{ 1 + 1 }}\"\n"))
    sim.send(ev.ExecutionCreated())
    (create,) = sim.take(cmd.CreateSubflow)
    assert create.inputs == {"n": 2}
    sim.send(ev.SubflowCreated(task_run_id=create.task_run_id, child_execution_id="kid"))
    assert sim.execution.state == State.RUNNING
    sim.send(ev.ChildExecutionEnded(task_run_id=create.task_run_id, child_execution_id="kid",
                                    state=State.SUCCESS, outputs={"r": 1}))
    assert sim.execution.state == State.SUCCESS
    assert sim.runs("child")[0].outputs == {"executionId": "kid", "state": "SUCCESS", "outputs": {"r": 1}}


def test_a_failed_child_fails_the_subflow_task_unless_told_otherwise() -> None:
    for transmit, expected in ((True, State.FAILED), (False, State.SUCCESS)):
        sim = Sim.of(flow("  - id: child\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: t\n"
                          f"    flowId: c\n    transmitFailed: {str(transmit).lower()}\n"))
        sim.send(ev.ExecutionCreated())
        (create,) = sim.take(cmd.CreateSubflow)
        sim.send(ev.SubflowCreated(task_run_id=create.task_run_id, child_execution_id="kid"))
        sim.send(ev.ChildExecutionEnded(task_run_id=create.task_run_id, child_execution_id="kid", state=State.FAILED))
        assert sim.execution.state == expected


def test_loop_until_repeats_until_its_condition_holds() -> None:
    body = (
        "  - id: loop\n    type: io.kestra.plugin.core.flow.LoopUntil\n"
        "    condition: \"{{ outputs.loop.iterationCount >= 3 }}\"\n"
        "    checkFrequency:\n      interval: PT10S\n    tasks:\n"
        "      - id: tick\n        type: io.kestra.plugin.core.log.Log\n        message: tick\n"
    )
    sim = Sim.of(flow(body))
    assert sim.run().state == State.SUCCESS
    assert len(sim.runs("tick")) == 3
    assert (sim.now - sim.execution.created).total_seconds() == 20


def test_concurrency_queue_holds_the_execution_until_dequeued() -> None:
    sim = Sim.of(flow(log("a"), head="concurrency:\n  limit: 1\n"))
    sim.send(ev.ExecutionCreated(running_of_flow=1))
    assert sim.execution.state == State.QUEUED
    sim.send(ev.ExecutionDequeued())
    assert sim.drain().state == State.SUCCESS


def test_concurrency_fail_and_cancel() -> None:
    for behavior, expected in (("FAIL", State.FAILED), ("CANCEL", State.CANCELLED)):
        sim = Sim.of(flow(log("a"), head=f"concurrency:\n  limit: 1\n  behavior: {behavior}\n"))
        sim.send(ev.ExecutionCreated(running_of_flow=1))
        assert sim.execution.state == expected


def test_a_failure_decided_before_the_run_is_not_retried() -> None:
    """A FAIL_EXECUTION check (or a trigger that failed) ends the execution FAILED before any task: a flow
    retry would only fail the same way, so none is asked for."""
    source = flow(log("a"), head="retry:\n  type: constant\n  interval: PT1S\n  maxAttempts: 2\n"
                                 "  behavior: CREATE_NEW_EXECUTION\n")
    sim = Sim.of(source)
    sim.view.apply(sim.execution.model_copy(update={"scratch": {"failure": "check failed: too big"}}), {}, {})
    sim.send(ev.ExecutionCreated())
    assert sim.execution.state == State.FAILED and sim.execution.error == "check failed: too big"
    assert sim.runs("a") == [] and sim.pending(cmd.CreateRetryExecution) == []


def test_after_execution_sees_the_final_state() -> None:
    source = flow(log("a")) + (
        "afterExecution:\n  - id: report\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: \"{{ execution.state }}\"\n"
    )
    sim = Sim.of(source)
    assert sim.run(fail_on("a")).state == State.FAILED  # type: ignore[arg-type]
    assert sim.state_of("report") == State.SUCCESS


def test_scheduled_execution_starts_at_its_date() -> None:
    from datetime import timedelta

    sim = Sim.of(flow(log("a")))
    sim.view._execution = sim.execution.model_copy(update={"scheduled_at": sim.now + timedelta(minutes=5)})
    assert sim.run().state == State.SUCCESS
    assert (sim.now - sim.execution.created).total_seconds() == 300


def test_variables_effects_merge_deeply_and_unset_dotted_paths() -> None:
    sim = Sim.of(flow(log("a") + log("b")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=1, state=State.SUCCESS, effects=ev.Effects(
        set_variables={"creds": {"user": "u", "token": "t"}, "n": 1}, labels={"team": "data"})))
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=1, state=State.SUCCESS, effects=ev.Effects(
        set_variables={"creds": {"host": "h"}}, unset_variables=["creds.token"])))
    assert sim.execution.variables == {"creds": {"user": "u", "host": "h"}, "n": 1}
    assert {lb.key: lb.value for lb in sim.execution.labels} == {"team": "data"}


def test_replay_reuses_earlier_outputs_and_runs_again_from_the_chosen_task() -> None:
    sim = Sim.of(flow(log("a") + log("b") + log("c")))
    sim.run()
    runs = sorted(sim.view.runs.values(), key=lambda r: r.histories[0].date)
    a, b = runs[0], runs[1]
    fresh = Sim.of(flow(log("a") + log("b") + log("c")))
    copied_b = b.model_copy(update={"attempts": (), "state": State.CREATED, "histories": b.histories[:1]})
    fresh.send(ev.ReplayRequested(task_runs=[a, copied_b], from_task_run_id=b.id))
    dispatched = {fresh.view.task_run(j.task_run_id).task_id for j in fresh.pending(cmd.DispatchJob)}
    assert dispatched == {"b"}  # a is reused, not run again
    assert fresh.drain().state == State.SUCCESS
    assert fresh.state_of("c") == State.SUCCESS
    assert len(fresh.runs("a")[0].attempts) == 1 and len(fresh.runs("b")[0].attempts) == 1


def test_exit_with_success_lets_parallel_tasks_finish_but_killed_stops_them() -> None:
    body = (
        "  - id: par\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n"
        "      - id: slow\n        type: io.kestra.plugin.core.log.Log\n        message: slow\n"
        "      - id: leave\n        type: io.kestra.plugin.core.execution.Exit\n"
    )
    for exit_state, cancelled in ((State.SUCCESS, False), (State.KILLED, True)):
        sim = Sim.of(flow(body))
        sim.send(ev.ExecutionCreated())
        jobs = {sim.view.task_run(j.task_run_id).task_id: j for j in sim.take(cmd.DispatchJob)}
        sim.send(ev.TaskResult(task_run_id=jobs["leave"].task_run_id, attempt=1, state=State.SUCCESS,
                               effects=ev.Effects(exit_state=exit_state)))
        assert sim.execution.state == exit_state
        assert bool(sim.pending(cmd.CancelJob)) is cancelled
        if not cancelled:
            assert sim.state_of("slow") == State.RUNNING
            sim.send(ev.TaskResult(task_run_id=jobs["slow"].task_run_id, attempt=1, state=State.SUCCESS))
            assert sim.state_of("slow") == State.SUCCESS  # its late result is recorded
            assert sim.execution.state == exit_state  # and changes nothing else
        else:
            assert sim.state_of("slow") == State.KILLED


def test_kill_ends_within_the_grace_period_when_the_worker_is_dead() -> None:
    sim = Sim.of(flow(log("a")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.KillRequested())
    assert sim.execution.state == State.KILLING
    (deadline,) = sim.take(cmd.ScheduleTimer)
    assert (deadline.at - sim.now).total_seconds() <= 10
    sim.now = deadline.at
    sim.send(ev.TimerFired(timer="kill", key=deadline.key))
    assert sim.execution.state == State.KILLED
    late = sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=1, state=State.SUCCESS))
    assert sim.state_of("a") == State.KILLED and not late.commands


def test_labels_set_by_an_operator_merge_even_after_the_end() -> None:
    sim = Sim.of(flow(log("a"), head="labels:\n  team: data\n"))
    sim.view._execution = sim.execution.model_copy(update={"labels": (Label(key="team", value="data"),)})
    assert sim.run().state == State.SUCCESS
    decision = sim.send(ev.LabelsSet(labels={"team": "ops", "reviewed": "yes"}))
    assert {lb.key: lb.value for lb in sim.execution.labels} == {"team": "ops", "reviewed": "yes"}
    assert sim.execution.state == State.SUCCESS and not decision.commands


def test_operator_pause_lets_running_tasks_end_and_holds_the_next_until_resumed() -> None:
    sim = Sim.of(flow(log("a") + log("b")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.PauseRequested())
    assert sim.execution.state == State.PAUSED
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.SUCCESS))
    assert sim.state_of("a") == State.SUCCESS
    assert sim.state_of("b") == State.CREATED and not sim.runs("b")[0].attempts
    assert sim.pending(cmd.DispatchJob) == [] and sim.execution.state == State.PAUSED
    sim.send(ev.ResumeRequested())
    assert sim.execution.state == State.RUNNING
    assert [j.task_run_id for j in sim.pending(cmd.DispatchJob)] == [sim.runs("b")[0].id]
    assert sim.drain().state == State.SUCCESS


def test_pause_of_a_non_running_execution_changes_nothing_and_kill_ends_a_paused_one() -> None:
    sim = Sim.of(flow(log("a") + log("b")))
    sim.send(ev.PauseRequested())
    assert sim.execution.state == State.CREATED
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.PauseRequested())
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.SUCCESS))
    sim.send(ev.KillRequested())
    assert sim.execution.state == State.KILLED
    assert sim.state_of("b") == State.KILLED
