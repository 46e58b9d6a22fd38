"""The engine's flow control, driven purely: events in, states and commands out."""

from __future__ import annotations

from legato.engine import commands as cmd
from legato.engine import events as ev
from legato.engine.decide import MAX_LOST_IN_A_ROW, Engine
from legato.model.state import State

from .sim import Outcome, Sim


def log(task_id: str, extra: str = "") -> str:
    return f"  - id: {task_id}\n    type: io.kestra.plugin.core.log.Log\n    message: {task_id}\n{extra}"


def flow(body: str, head: str = "") -> str:
    return f"id: f\nnamespace: t\n{head}tasks:\n{body}"


def fail_on(*task_ids: str) -> object:
    def worker(run, attempt) -> Outcome:  # type: ignore[no-untyped-def]
        if run.task_id in task_ids:
            return State.FAILED, {}, f"{run.task_id} broke"
        return State.SUCCESS, {"value": run.task_id}, None

    return worker


def test_sequence_runs_in_order_and_succeeds() -> None:
    sim = Sim.of(flow(log("a") + log("b") + log("c")))
    sim.send(ev.ExecutionCreated())
    assert [j.task_run_id for j in sim.pending(cmd.DispatchJob)] == [sim.runs("a")[0].id]
    assert sim.runs("b") == []  # nothing starts before its predecessor ended
    assert sim.drain().state == State.SUCCESS
    order = sorted(sim.view.runs.values(), key=lambda r: r.histories[0].date)
    assert [r.task_id for r in order] == ["a", "b", "c"]


def test_a_failure_stops_the_sequence_and_runs_errors_then_finally() -> None:
    source = flow(log("a") + log("b"), head="") + "errors:\n" + log("on_error") + "finally:\n" + log("cleanup")
    sim = Sim.of(source)
    final = sim.run(fail_on("a"))  # type: ignore[arg-type]
    assert final.state == State.FAILED
    assert sim.runs("b") == []
    assert sim.state_of("on_error") == State.SUCCESS
    assert sim.state_of("cleanup") == State.SUCCESS


def test_allow_failure_turns_the_failure_into_a_warning_and_continues() -> None:
    sim = Sim.of(flow(log("a", "    allowFailure: true\n") + log("b")))
    final = sim.run(fail_on("a"))  # type: ignore[arg-type]
    assert final.state == State.WARNING
    assert sim.state_of("a") == State.WARNING
    assert sim.state_of("b") == State.SUCCESS


def test_run_if_false_skips_the_task() -> None:
    sim = Sim.of(flow(log("a", "    runIf: \"{{ 1 == 2 }}\"\n") + log("b", "    when: \"{{ true }}\"\n")))
    assert sim.run().state == State.SUCCESS
    assert sim.state_of("a") == State.SKIPPED
    assert sim.state_of("b") == State.SUCCESS


def test_disabled_task_is_left_out() -> None:
    sim = Sim.of(flow(log("a", "    disabled: true\n") + log("b")))
    assert sim.run().state == State.SUCCESS
    assert sim.runs("a") == []  # as in Kestra: a disabled task does not exist for the execution
    assert sim.state_of("b") == State.SUCCESS


def test_parallel_respects_its_concurrency() -> None:
    branches = "".join(
        f"      - id: p{i}\n        type: io.kestra.plugin.core.log.Log\n        message: x\n" for i in range(5)
    )
    sim = Sim.of(flow(f"  - id: par\n    type: io.kestra.plugin.core.flow.Parallel\n    concurrent: 2\n    tasks:\n{branches}"))
    sim.send(ev.ExecutionCreated())
    assert len(sim.pending(cmd.DispatchJob)) == 2
    assert sim.drain().state == State.SUCCESS
    assert all(sim.state_of(f"p{i}") == State.SUCCESS for i in range(5))


def test_if_runs_the_branch_its_condition_selects() -> None:
    body = (
        "  - id: check\n    type: io.kestra.plugin.core.flow.If\n    condition: \"{{ inputs.n > 3 }}\"\n"
        "    then:\n" + log("big").replace("  - ", "      - ").replace("\n    ", "\n        ")
        + "    else:\n" + log("small").replace("  - ", "      - ").replace("\n    ", "\n        ")
    )
    big = Sim.of(flow(body), inputs={"n": 5})
    big.run()
    assert big.runs("small") == [] and big.state_of("big") == State.SUCCESS
    small = Sim.of(flow(body), inputs={"n": 1})
    small.run()
    assert small.runs("big") == [] and small.state_of("small") == State.SUCCESS


def test_foreach_runs_each_value_with_its_limit_and_value() -> None:
    body = (
        "  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n    values: [\"x\", \"y\", \"z\"]\n"
        "    concurrencyLimit: 2\n    tasks:\n"
        "      - id: ret\n        type: io.kestra.plugin.core.debug.Return\n        format: \"{{ taskrun.value }}\"\n"
    )
    sim = Sim.of(flow(body))
    sim.send(ev.ExecutionCreated())
    assert len(sim.pending(cmd.DispatchJob)) == 2
    assert sim.drain().state == State.SUCCESS
    runs = sorted(sim.runs("ret"), key=lambda r: r.iteration or 0)
    assert [(r.iteration, r.value) for r in runs] == [(0, "x"), (1, "y"), (2, "z")]


def test_foreach_over_an_empty_list_succeeds_at_once() -> None:
    body = (
        "  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n    values: []\n    tasks:\n"
        "      - id: ret\n        type: io.kestra.plugin.core.debug.Return\n        format: x\n"
    ) + log("after")
    sim = Sim.of(flow(body))
    assert sim.run().state == State.SUCCESS
    assert sim.state_of("each") == State.SUCCESS and sim.runs("ret") == []


def test_foreach_state_per_event_stays_small() -> None:
    """Loop bookkeeping lives in counters: the loop run's scratch has the same size at 10 and 1,000 items."""
    def sizes(n: int) -> int:
        body = (
            f"  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n    values: \"{{{{ range(1, {n}) }}}}\"\n"
            "    concurrencyLimit: 0\n    tasks:\n"
            "      - id: ret\n        type: io.kestra.plugin.core.debug.Return\n        format: x\n"
        )
        sim = Sim.of(flow(body))
        assert sim.run().state == State.SUCCESS
        assert len(sim.runs("ret")) == n
        return len(str(sim.runs("each")[0].scratch))

    assert abs(sizes(10) - sizes(1000)) <= 4  # only the digits of the counters differ


def test_dag_starts_tasks_when_their_dependencies_ended() -> None:
    body = (
        "  - id: dag\n    type: io.kestra.plugin.core.flow.Dag\n    tasks:\n"
        "      - task:\n          id: a\n          type: io.kestra.plugin.core.log.Log\n          message: a\n"
        "      - task:\n          id: b\n          type: io.kestra.plugin.core.log.Log\n          message: b\n"
        "        dependsOn: [a]\n"
        "      - task:\n          id: c\n          type: io.kestra.plugin.core.log.Log\n          message: c\n"
    )
    sim = Sim.of(flow(body))
    sim.send(ev.ExecutionCreated())
    started = {sim.view.task_run(j.task_run_id).task_id for j in sim.pending(cmd.DispatchJob)}
    assert started == {"a", "c"}
    assert sim.drain().state == State.SUCCESS
    assert sim.state_of("b") == State.SUCCESS


def test_retry_schedules_a_timer_then_a_new_attempt() -> None:
    sim = Sim.of(flow(log("a", "    retry:\n      type: constant\n      interval: PT5S\n      maxAttempts: 3\n")))

    def flaky(run, attempt):  # type: ignore[no-untyped-def]
        return (State.FAILED, {}, "not yet") if attempt < 3 else (State.SUCCESS, {}, None)

    final = sim.run(flaky)
    assert final.state == State.SUCCESS
    (run,) = sim.runs("a")
    assert [a.state for a in run.attempts] == [State.FAILED, State.FAILED, State.SUCCESS]
    assert State.RETRYING in [h.state for h in run.histories]
    assert (sim.now - sim.execution.created).total_seconds() == 10  # two timers of 5 s, no sleeping


def test_retry_gives_up_after_max_attempts() -> None:
    sim = Sim.of(flow(log("a", "    retry:\n      type: constant\n      interval: PT1S\n      maxAttempts: 2\n")))
    assert sim.run(fail_on("a")).state == State.FAILED  # type: ignore[arg-type]
    assert len(sim.runs("a")[0].attempts) == 2


def test_a_result_for_an_old_attempt_or_a_finished_run_changes_nothing() -> None:
    sim = Sim.of(flow(log("a") + log("b")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    stale = sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt + 1, state=State.SUCCESS))
    assert not stale.task_runs and not stale.commands
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.SUCCESS))
    again = sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.FAILED))
    assert not again.task_runs and not again.commands
    assert sim.drain().state == State.SUCCESS


def test_a_lost_job_is_resubmitted_with_the_next_attempt() -> None:
    sim = Sim.of(flow(log("a")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.JobLost(task_run_id=job.task_run_id, attempt=job.attempt))
    (again,) = sim.pending(cmd.DispatchJob)
    assert again.attempt == job.attempt + 1
    assert sim.view.task_run(job.task_run_id).state == State.RESUBMITTED
    assert sim.drain().state == State.SUCCESS


def test_a_task_whose_worker_is_lost_five_times_in_a_row_fails_instead_of_going_round() -> None:
    sim = Sim.of(flow(log("a") + log("b")))
    sim.send(ev.ExecutionCreated())
    for attempt in range(1, MAX_LOST_IN_A_ROW + 1):
        (job,) = sim.take(cmd.DispatchJob)
        assert job.attempt == attempt
        sim.send(ev.JobLost(task_run_id=job.task_run_id, attempt=job.attempt))
    assert not sim.pending(cmd.DispatchJob)
    run = sim.view.task_run(job.task_run_id)
    assert run.state == State.FAILED
    assert [a.state for a in run.attempts] == [State.RESUBMITTED] * 4 + [State.FAILED]
    assert "lost 5 times in a row (attempts 1 to 5)" in (run.error or "")
    assert sim.drain().state == State.FAILED


def test_a_lost_worker_between_finished_attempts_does_not_count_towards_the_cap() -> None:
    sim = Sim.of(flow("  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: a\n"
                      "    retry:\n      type: constant\n      interval: PT1S\n      maxAttempt: 10\n"))
    sim.send(ev.ExecutionCreated())
    for _ in range(MAX_LOST_IN_A_ROW - 1):
        (job,) = sim.take(cmd.DispatchJob)
        sim.send(ev.JobLost(task_run_id=job.task_run_id, attempt=job.attempt))
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.FAILED, error="boom"))
    (timer,) = sim.take(cmd.ScheduleTimer)  # the retry's wait
    sim.send(ev.TimerFired(task_run_id=timer.task_run_id, timer=timer.timer, key=timer.key))
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.JobLost(task_run_id=job.task_run_id, attempt=job.attempt))
    assert sim.pending(cmd.DispatchJob), "one loss after a failed attempt is resubmitted"


def test_flow_outputs_are_rendered_at_the_end() -> None:
    source = flow(
        "  - id: ret\n    type: io.kestra.plugin.core.debug.Return\n    format: x\n",
        head="",
    ) + "outputs:\n  - id: out\n    type: STRING\n    value: \"{{ outputs.ret.value }}!\"\n"
    sim = Sim.of(source)
    assert sim.run(lambda run, attempt: (State.SUCCESS, {"value": "hello"}, None)).outputs == {"out": "hello!"}


def test_loop_store_file_written_in_the_ending_step_is_readable_by_the_flow_outputs() -> None:
    """Iterations run side by side: when the middle one ends last, its STORE file is asked for in the same step
    that renders the flow outputs reading it (the compat flow v2/loop_outputs_store failed this way under load)."""
    files: dict[str, str] = {}

    def read(path: str) -> str:
        return files[path]

    source = flow(
        "  - id: loop\n    type: io.kestra.plugin.core.flow.Loop\n    values: [a, b, c]\n    fetchType: STORE\n"
        "    outputs:\n      - id: value\n        type: STRING\n        value: \"{{ outputs.r.value }}\"\n"
        "    tasks:\n      - id: r\n        type: io.kestra.plugin.core.debug.Return\n"
        "        format: \"out {{ item.value }}\"\n"
    ) + "outputs:\n  - id: stored\n    type: STRING\n    value: \"{{ read(outputs.loop.outputs[1].outputs.uri) | trim }}\"\n"
    sim = Sim.of(source)
    sim.engine = Engine(functions={"read": read})
    sim.send(ev.ExecutionCreated())
    jobs = sim.take(cmd.DispatchJob)
    assert len(jobs) == 3  # concurrencyLimit 0: every iteration at once
    for job in (jobs[0], jobs[2], jobs[1]):
        value = f"out {'abc'[jobs.index(job)]}"
        sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.SUCCESS,
                               outputs={"value": value}))
        for write in sim.take(cmd.WriteFile):  # as the executor does, once the step's commands are carried out
            files[write.uri] = write.data.decode()
    assert sim.execution.state == State.SUCCESS, sim.logs
    assert sim.execution.outputs == {"stored": '{"value":"out b"}'}
