"""Flowable tasks that a worker runs as one job: the engine dispatches the task itself instead of its
children. WorkingDirectory runs its children one after the other in one shared directory on one worker;
ForEachItem splits a file into batches on a worker, then starts one subflow execution per batch.

What the engine does with them lives in `legato.engine.worker_flowables`; what the worker does in
`legato.worker.working_directory` and `legato.worker.foreach_item`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from legato.model.durations import Duration
from legato.model.flowable import Flowable
from legato.model.task import TASKS, Frozen, Task
from legato.model.taskfield import TaskList

_CORE = "io.kestra.plugin.core.flow."
_OLD = "io.kestra.core.tasks.flows."


class WorkerFlowable(Flowable):
    """A flowable whose work happens on a worker, in one job (leased, heartbeated, resubmitted like a
    runnable task's); its children, when it has any, report their own task runs as they go."""


class NamespaceFiles(Frozen):
    """Which namespace files to copy into a working directory (WorkingDirectory, script tasks)."""

    enabled: bool = Field(default=True, description="Copy namespace files into the working directory.")
    include: list[str] = Field(default_factory=list, description="Glob patterns of the files to copy (all when empty).")
    exclude: list[str] = Field(default_factory=list, description="Glob patterns of files not to copy.")
    namespaces: list[str] | None = Field(default=None, description="Namespaces to copy from (default: the flow's).")
    folderPerNamespace: bool = Field(default=False, description="Put each namespace's files in a folder named after it.")
    ifExists: Literal["OVERWRITE", "FAIL", "WARN", "IGNORE"] = Field(default="OVERWRITE", description="When a file already exists in the working directory.")


class CacheSpec(Frozen):
    """Files of the working directory kept in internal storage from one run to the next."""

    patterns: list[str] = Field(min_length=1, description="Glob patterns (relative to the working directory) of the files to keep, e.g. node_modules/**.")
    ttl: Duration | None = Field(default=None, description="How long a saved cache is restored (ISO-8601 duration); none: until replaced.")


@TASKS.register
class WorkingDirectory(WorkerFlowable):
    """Run tasks one after the other on one worker, in one working directory they share (files written by
    one task are there for the next). Each task still has its own task run, logs and outputs."""

    TYPE = "flow.WorkingDirectory"
    ALIASES = (_CORE + "WorkingDirectory", _OLD + "WorkingDirectory", _OLD + "Worker")  # Worker: its first name
    EXAMPLES = (
        "id: wd\ntype: flow.WorkingDirectory\ncache:\n  patterns: [\"node_modules/**\"]\n  ttl: PT1H\ntasks:\n"
        "  - id: write\n    type: scripts.shell.Commands\n    commands: [\"echo hello > greeting.txt\"]\n"
        "  - id: read\n    type: scripts.python.Script\n    script: print(open('greeting.txt').read())",
    )

    tasks: TaskList = Field(min_length=1, description="Runnable tasks run in order in the shared directory.")
    inputFiles: dict[str, str] | str | None = Field(default=None, description="Files created in the directory before the first task: name → content, or name → kestra:/// storage URI.")
    outputFiles: list[str] | str | None = Field(default=None, description="Glob patterns of files uploaded to internal storage after the last task (outputs.<id>.outputFiles).")
    namespaceFiles: NamespaceFiles | None = Field(default=None, description="Copy namespace files into the directory before the first task.")
    cache: CacheSpec | None = Field(default=None, description="Keep matching files in internal storage and restore them on the next run of this task.")
    taskRunner: dict[str, Any] | None = Field(default=None, description="Default taskRunner of the script tasks inside (each may still set its own).")

    @model_validator(mode="after")
    def _runnable_children(self) -> WorkingDirectory:
        for i, task in enumerate(self.tasks):
            if task.FLOWABLE:
                raise ValueError(f"tasks[{i}] ('{task.id}') is a flowable task; a WorkingDirectory runs runnable tasks only")
        return self

    def child_branches(self) -> dict[str, list[Task]]:
        return {"tasks": list(self.tasks)}


class Batch(Frozen):
    """How ForEachItem cuts its file: at most `rows` items, or `bytes`, per batch, or `partitions` batches."""

    rows: int | str | None = Field(default=None, description="Items per batch (default 1 when nothing is set).")
    bytes: str | int | None = Field(default=None, description="Largest size of a batch, e.g. 10MB.")
    partitions: int | str | None = Field(default=None, description="How many batches to make.")
    separator: str = Field(default="\n", description="What ends an item.")

    @model_validator(mode="after")
    def _one_way(self) -> Batch:
        given = [n for n in ("rows", "bytes", "partitions") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"set only one of rows, bytes or partitions (got {', '.join(given)})")
        return self


class ForEachItemSubflow(Frozen):
    """Kestra 0.13's nested form of the subflow to start."""

    namespace: str = Field(description="Namespace of the flow to start.")
    flowId: str = Field(description="Id of the flow to start.")
    inputs: dict[str, Any] = Field(default_factory=dict, description="Inputs of each execution.")
    wait: bool = Field(default=True, description="Wait for the executions to end.")
    transmitFailed: bool = Field(default=True, description="Fail when one execution fails.")
    inheritLabels: bool = Field(default=False, description="Copy this execution's labels.")
    labels: dict[str, str] = Field(default_factory=dict, description="Labels of each execution.")
    revision: int | None = Field(default=None, description="Revision to run.")


class ForEachItemPart(Task):
    """One phase of a ForEachItem, shown as a task run of its own as in Kestra: `<id>_split` cuts the file,
    `<id>_items` starts the executions (outputs numberOfBatches, iterations), `<id>_merge` writes their outputs
    into one file (outputs subflowOutputs). Made by the engine, never written in a flow."""


PART_TYPES = {"split": _CORE + "ForEachItem$ForEachItemSplit", "items": _CORE + "ForEachItem$ForEachItemExecutable",
              "merge": _CORE + "ForEachItem$ForEachItemMergeOutputs"}


@TASKS.register
class ForEachItem(WorkerFlowable):
    """Split a file of internal storage into batches and start one execution of a subflow per batch; each
    gets its batch's URI as `{{ taskrun.items }}` (for a FILE input). Outputs `numberOfBatches`,
    `iterations` (executions per final state) and, with `wait`, `uri`: the merged outputs of the executions."""

    TYPE = "flow.ForEachItem"
    ALIASES = (_CORE + "ForEachItem", _OLD + "ForEachItem")
    EXAMPLES = (
        "id: each\ntype: io.kestra.plugin.core.flow.ForEachItem\nitems: \"{{ inputs.file }}\"\nbatch:\n  rows: 100\n"
        "namespace: company.team\nflowId: process_batch\nwait: true\ntransmitFailed: true\ninputs:\n"
        "  data: \"{{ taskrun.items }}\"",
    )

    items: str = Field(description="kestra:/// URI of the file to split (one item per line, or ION items).")
    batch: Batch = Field(default_factory=Batch, description="How the file is cut into batches.")
    namespace: str | None = Field(default=None, description="Namespace of the flow to start.")
    flowId: str | None = Field(default=None, description="Id of the flow to start.")
    revision: int | None = Field(default=None, description="Revision to run (default: the latest).")
    inputs: dict[str, Any] = Field(default_factory=dict, description="Inputs of each execution, rendered with taskrun.items and taskrun.iteration.")
    labels: dict[str, str] | list[dict[str, str]] = Field(default_factory=dict, description="Labels of each execution.")
    wait: bool = Field(default=True, description="Wait for every execution to end.")
    transmitFailed: bool = Field(default=True, description="Fail this task when an execution fails (with wait).")
    inheritLabels: bool = Field(default=False, description="Copy this execution's labels to each execution.")
    scheduleDate: str | None = Field(default=None, description="Kestra compatibility: accepted; executions start at once.")
    restartBehavior: Literal["NEW_EXECUTION", "RETRY_FAILED"] = Field(default="NEW_EXECUTION", description="Kestra compatibility: what a restart does.")
    subflow: ForEachItemSubflow | None = Field(default=None, description="Kestra 0.13's form: the subflow's properties nested.")

    @model_validator(mode="after")
    def _target(self) -> ForEachItem:
        if self.subflow is None and (self.namespace is None or self.flowId is None):
            raise ValueError("set 'namespace' and 'flowId' of the flow to start for each batch")
        return self

    def parts(self) -> tuple[Task, ...]:
        return tuple(ForEachItemPart(id=f"{self.id}_{name}", type=kind) for name, kind in PART_TYPES.items())

    def target(self) -> ForEachItemSubflow:
        """The subflow's properties, whichever form wrote them."""
        if self.subflow is not None:
            return self.subflow
        assert self.namespace is not None and self.flowId is not None
        labels = self.labels if isinstance(self.labels, dict) else {str(d["key"]): str(d["value"]) for d in self.labels}
        return ForEachItemSubflow(
            namespace=self.namespace, flowId=self.flowId, inputs=self.inputs, wait=self.wait,
            transmitFailed=self.transmitFailed, inheritLabels=self.inheritLabels, labels=labels, revision=self.revision,
        )
