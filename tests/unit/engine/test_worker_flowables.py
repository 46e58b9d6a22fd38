"""WorkingDirectory and ForEachItem in the pure engine: one job for the whole task, children reported by
the worker as they go (fenced by attempt), batches as subflow executions counted in O(1) per event."""

from __future__ import annotations

from legato.engine import commands as cmd
from legato.engine import events as ev
from legato.engine.worker_flowables import BATCH_EXTENSION, BATCH_PREFIX, child_run_id, subflow_execution_id
from legato.model.state import State

from .sim import Sim
from .test_flow_control import flow, log

WD = """\
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: one
        type: io.kestra.plugin.core.log.Log
        message: one
      - id: two
        type: io.kestra.plugin.core.log.Log
        message: two
"""

FEI = """\
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{ inputs.file }}"
    batch:
      rows: 100
    namespace: t
    flowId: child
    transmitFailed: {transmit}
    wait: {wait}
    labels:
      batch: "{{{{ taskrun.iteration }}}}"
    inputs:
      data: "{{{{ taskrun.items }}}}"
      n: "{{{{ taskrun.iteration }}}}"
"""


def _started(sim: Sim, job: cmd.DispatchJob, task_id: str, attempt: int | None = None) -> None:
    sim.send(ev.WorkChildStarted(task_run_id=job.task_run_id, attempt=attempt or job.attempt, task_id=task_id,
                                 worker_id="w1"))


def _ended(sim: Sim, job: cmd.DispatchJob, task_id: str, state: State = State.SUCCESS, **kw: object) -> None:
    sim.send(ev.WorkChildEnded(task_run_id=job.task_run_id, attempt=job.attempt, task_id=task_id, state=state,
                               **kw))  # type: ignore[arg-type]


def test_the_whole_working_directory_is_one_job_and_its_children_are_task_runs() -> None:
    sim = Sim.of(flow(WD + log("after")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    assert sim.view.task_run(job.task_run_id).task_id == "wd"
    _started(sim, job, "one")
    assert sim.state_of("one") == State.RUNNING
    (one,) = sim.runs("one")
    assert one.id == child_run_id("exec1", job.task_run_id, "one") and one.parent_id == job.task_run_id
    _ended(sim, job, "one", outputs={"vars": {"x": 1}})
    _started(sim, job, "two")
    _ended(sim, job, "two")
    assert sim.take(cmd.DispatchJob) == []  # the children never become jobs of their own
    assert sim.state_of("wd") == State.RUNNING
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.SUCCESS,
                           outputs={"outputFiles": {"a.txt": "kestra:///t/f/a.txt"}}))
    assert sim.state_of("wd") == State.SUCCESS
    assert sim.runs("one")[0].outputs == {"vars": {"x": 1}}
    assert sim.runs("one")[0].attempts[0].worker_id == "w1"
    assert sim.drain().state == State.SUCCESS
    assert sim.state_of("after") == State.SUCCESS


def test_a_failed_child_fails_the_working_directory_and_its_errors_branch_runs() -> None:
    source = flow(WD + "    errors:\n" + log("oops").replace("  - ", "      - ", 1).replace("\n    ", "\n        ")
                  + log("after"))
    sim = Sim.of(source)
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    _started(sim, job, "one")
    _ended(sim, job, "one", State.FAILED, error="boom")
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.FAILED, error="task 'one' failed"))
    assert sim.state_of("one") == State.FAILED
    assert sim.runs("two") == []
    assert sim.drain().state == State.FAILED
    assert sim.state_of("oops") == State.SUCCESS
    assert sim.runs("after") == []


def test_allow_failure_on_the_working_directory_turns_it_into_a_warning() -> None:
    sim = Sim.of(flow(WD.replace("    tasks:\n", "    allowFailure: true\n    tasks:\n", 1) + log("after")))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.FAILED))
    assert sim.drain().state == State.WARNING
    assert sim.state_of("after") == State.SUCCESS


def test_a_lost_worker_resubmits_the_working_directory_and_stale_child_events_are_ignored() -> None:
    sim = Sim.of(flow(WD))
    sim.send(ev.ExecutionCreated())
    (first,) = sim.take(cmd.DispatchJob)
    _started(sim, first, "one")
    sim.send(ev.JobLost(task_run_id=first.task_run_id, attempt=first.attempt))
    assert sim.state_of("wd") == State.RESUBMITTED
    (second,) = sim.take(cmd.DispatchJob)
    assert second.attempt == 2
    _ended(sim, first, "one")  # the zombie's late report changes nothing
    assert sim.state_of("one") == State.RUNNING
    _started(sim, second, "one")
    _ended(sim, second, "one")
    (one,) = sim.runs("one")
    assert [a.state for a in one.attempts] == [State.RESUBMITTED, State.SUCCESS]
    _started(sim, second, "two")
    _ended(sim, second, "two")
    sim.send(ev.TaskResult(task_run_id=second.task_run_id, attempt=2, state=State.SUCCESS))
    assert sim.execution.state == State.SUCCESS


def test_a_skipped_child_and_child_effects_are_recorded() -> None:
    sim = Sim.of(flow(WD))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    _ended(sim, job, "one", State.SKIPPED)
    _started(sim, job, "two")
    _ended(sim, job, "two", effects=ev.Effects(labels={"team": "data"}))
    assert sim.state_of("one") == State.SKIPPED and sim.runs("one")[0].attempts == ()
    assert {lb.key: lb.value for lb in sim.execution.labels} == {"team": "data"}


def test_killing_a_working_directory_cancels_its_job() -> None:
    sim = Sim.of(flow(WD))
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    _started(sim, job, "one")
    sim.send(ev.KillRequested())
    cancelled = {c.task_run_id for c in sim.pending(cmd.CancelJob)}
    assert job.task_run_id in cancelled
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.KILLED))
    sim.send(ev.JobCancelled(task_run_id=sim.runs("one")[0].id))
    assert sim.execution.state == State.KILLED


# ForEachItem ---------------------------------------------------------------------------------------------
def _split(sim: Sim, batches: int) -> cmd.DispatchJob:
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    assert sim.view.task_run(job.task_run_id).scratch["phase"] == "split"
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.SUCCESS, outputs={
        "numberOfBatches": batches, BATCH_PREFIX: "kestra:///t/f/batch-", BATCH_EXTENSION: ".txt"}))
    return job


def _fei(wait: bool = True, transmit: bool = True) -> Sim:
    return Sim.of(flow(FEI.format(wait=str(wait).lower(), transmit=str(transmit).lower())),
                  {"file": "kestra:///t/f/in.txt"})


def test_for_each_item_starts_one_subflow_per_batch_with_its_items() -> None:
    sim = _fei()
    job = _split(sim, 3)
    creates = sim.take(cmd.CreateSubflow)
    assert [c.batch for c in creates] == [0, 1, 2]
    assert [c.inputs for c in creates] == [{"data": f"kestra:///t/f/batch-{i + 1}.txt", "n": i} for i in range(3)]
    assert len({c.key for c in creates}) == 3
    assert [c.labels for c in creates] == [{"batch": str(i)} for i in range(3)]
    (run,) = sim.runs("each")
    assert BATCH_PREFIX not in run.outputs and run.outputs["numberOfBatches"] == 3
    for _ in creates:
        sim.send(ev.SubflowCreated(task_run_id=job.task_run_id, child_execution_id="c"))
    assert sim.runs("each")[0].outputs["iterations"] == {"max": 3, "CREATED": 3, "RUNNING": 0}
    for state in (State.SUCCESS, State.FAILED, State.SUCCESS):
        sim.send(ev.ChildExecutionEnded(task_run_id=job.task_run_id, child_execution_id="c", state=state))
    assert sim.take(cmd.DispatchJob) == []  # as Kestra: a failed batch with transmitFailed leaves nothing to merge
    (run,) = sim.runs("each")
    assert run.state == State.FAILED  # transmitFailed
    assert run.outputs["iterations"] == {"max": 3, "CREATED": 0, "RUNNING": 0, "SUCCESS": 2, "FAILED": 1}
    assert [(r.state, r.outputs["iterations"]["FAILED"]) for r in sim.runs("each_items")] == [(State.FAILED, 1)]
    assert [r.state for r in sim.runs("each_split")] == [State.SUCCESS] and sim.runs("each_merge") == []
    assert sim.execution.state == State.FAILED


def test_for_each_item_merge_shows_as_its_own_task_run_with_subflow_outputs() -> None:
    sim = _fei()
    job = _split(sim, 2)
    for _ in range(2):
        sim.send(ev.SubflowCreated(task_run_id=job.task_run_id, child_execution_id="c"))
    for _ in range(2):
        sim.send(ev.ChildExecutionEnded(task_run_id=job.task_run_id, child_execution_id="c", state=State.SUCCESS))
    (merge,) = sim.take(cmd.DispatchJob)
    assert merge.attempt == 2 and sim.runs("each")[0].scratch["phase"] == "merge"
    assert [r.state for r in sim.runs("each_merge")] == [State.RUNNING]
    sim.send(ev.TaskResult(task_run_id=merge.task_run_id, attempt=2, state=State.SUCCESS, outputs={"uri": "kestra:///m.ion"}))
    assert sim.runs("each")[0].state == State.SUCCESS
    (part,) = sim.runs("each_merge")
    assert part.state == State.SUCCESS and part.outputs == {"subflowOutputs": "kestra:///m.ion"}
    assert part.parent_id == sim.runs("each")[0].id


def test_for_each_item_without_transmit_failed_succeeds_and_without_wait_ends_once_created() -> None:
    sim = _fei(transmit=False)
    job = _split(sim, 1)
    sim.send(ev.SubflowCreated(task_run_id=job.task_run_id, child_execution_id="c"))
    sim.send(ev.ChildExecutionEnded(task_run_id=job.task_run_id, child_execution_id="c", state=State.FAILED))
    (merge,) = sim.take(cmd.DispatchJob)
    sim.send(ev.TaskResult(task_run_id=merge.task_run_id, attempt=2, state=State.SUCCESS, outputs={"uri": "u"}))
    assert sim.execution.state == State.SUCCESS

    sim = _fei(wait=False)
    job = _split(sim, 2)
    sim.send(ev.SubflowCreated(task_run_id=job.task_run_id, child_execution_id="c1"))
    assert sim.state_of("each") == State.RUNNING
    sim.send(ev.SubflowCreated(task_run_id=job.task_run_id, child_execution_id="c2"))
    assert sim.state_of("each") == State.SUCCESS
    assert sim.take(cmd.DispatchJob) == []


def test_for_each_item_over_an_empty_file_succeeds_and_a_failed_split_fails() -> None:
    sim = _fei()
    _split(sim, 0)
    assert sim.execution.state == State.SUCCESS and sim.take(cmd.CreateSubflow) == []
    sim = _fei()
    sim.send(ev.ExecutionCreated())
    (job,) = sim.take(cmd.DispatchJob)
    sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=1, state=State.FAILED, error="no such file"))
    assert sim.execution.state == State.FAILED


def test_batch_execution_ids_are_distinct_and_stable() -> None:
    ids = {subflow_execution_id("e", "r", 0, i) for i in range(100)}
    assert len(ids) == 100 and subflow_execution_id("e", "r", 0, None) not in ids
    assert subflow_execution_id("e", "r", 0, 5) == subflow_execution_id("e", "r", 0, 5)


def test_a_working_directory_in_a_loop_is_one_job_per_iteration() -> None:
    body = "  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n    values: [\"a\", \"b\"]\n    concurrencyLimit: 0\n    tasks:\n"
    body += "".join("  " + line + "\n" for line in WD.splitlines())
    sim = Sim.of(flow(body))
    sim.send(ev.ExecutionCreated())
    jobs = sim.take(cmd.DispatchJob)
    assert [sim.view.task_run(j.task_run_id).value for j in jobs] == ["a", "b"]
    for job in jobs:
        for child in ("one", "two"):
            _started(sim, job, child)
            _ended(sim, job, child, outputs={"v": sim.view.task_run(job.task_run_id).value})
        sim.send(ev.TaskResult(task_run_id=job.task_run_id, attempt=1, state=State.SUCCESS))
    assert sim.execution.state == State.SUCCESS
    assert sorted((r.value, r.outputs["v"]) for r in sim.runs("two")) == [("a", "a"), ("b", "b")]
