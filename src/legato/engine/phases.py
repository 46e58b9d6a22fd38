"""The execution's phase state, typed. It is stored in the execution's scratch under fixed keys (`main`, `final`,
`held`), so rows written before stay readable; the engine reads and writes it only through `Phases`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from legato.model.execution import Execution, TaskRun
from legato.model.state import State

_KEYS = ("main", "final", "held")


@dataclass(frozen=True)
class Phases:
    main: State | None = None  # how the `tasks` list ended (the `errors` list may follow)
    final: State | None = None  # the state once `finally` ended: what `afterExecution` and `execution.state` see
    held: bool = False  # an operator paused the execution: tasks that would start wait for the resume

    @classmethod
    def of(cls, execution: Execution) -> Phases:
        scratch = execution.scratch
        main, final = scratch.get("main"), scratch.get("final")
        return cls(main=State(main) if main else None, final=State(final) if final else None,
                   held=bool(scratch.get("held")))

    def into(self, scratch: dict[str, Any]) -> dict[str, Any]:
        """`scratch` with this phase state in place of the one it held (its other keys kept)."""
        out = {k: v for k, v in scratch.items() if k not in _KEYS}
        if self.main is not None:
            out["main"] = str(self.main)
        if self.final is not None:
            out["final"] = str(self.final)
        if self.held:
            out["held"] = True
        return out


_LOOP_KEYS = ("total", "next", "running", "warned", "failed", "broken", "map_items", "from_file")


@dataclass(frozen=True)
class LoopCounters:
    """A ForEach's or Loop's progress over its items, stored in its task run's scratch under the same keys (the
    items themselves are rows of their own)."""

    total: int = 0
    next: int = 0  # index of the next iteration to start
    running: int = 0  # iterations started and not ended
    warned: bool = False  # an iteration ended WARNING
    failed: bool = False  # an iteration failed (and the loop transmits failures): no further iteration starts
    broken: bool = False  # a Loop's breakWhen held: no further iteration starts
    map_items: bool = False  # a Loop over a map: each item is {key, value}
    from_file: bool = False  # a Loop over the lines of a file in internal storage

    @classmethod
    def of(cls, run: TaskRun) -> LoopCounters:
        scratch = run.scratch
        return cls(total=int(scratch.get("total", 0)), next=int(scratch.get("next", 0)),
                   running=int(scratch.get("running", 0)), warned=bool(scratch.get("warned")),
                   failed=bool(scratch.get("failed")), broken=bool(scratch.get("broken")),
                   map_items=bool(scratch.get("map_items")), from_file=bool(scratch.get("from_file")))

    def into(self, scratch: dict[str, Any]) -> dict[str, Any]:
        """`scratch` with these counters in place of the ones it held (its other keys kept)."""
        out = {k: v for k, v in scratch.items() if k not in _LOOP_KEYS}
        out.update(total=self.total, next=self.next, running=self.running, warned=self.warned, failed=self.failed,
                   broken=self.broken)
        if self.map_items:
            out["map_items"] = True
        if self.from_file:
            out["from_file"] = True
        return out

    def on(self, run: TaskRun) -> TaskRun:
        """`run` carrying these counters."""
        return run.model_copy(update={"scratch": self.into(run.scratch)})


_BATCH_KEYS = ("phase", "total", "created", "ended", "failed")
BatchPhase = Literal["split", "subflows", "merge"]


@dataclass(frozen=True)
class ItemBatches:
    """A ForEachItem's phase (split on a worker, one subflow execution per batch, merge on a worker) and its
    batch counters, stored in its task run's scratch under the same keys."""

    phase: BatchPhase = "split"
    total: int = 0  # batches
    created: int = 0  # executions created (or that could not be: counted as ended and failed)
    ended: int = 0
    failed: int = 0

    @classmethod
    def of(cls, run: TaskRun) -> ItemBatches:
        scratch = run.scratch
        phase = scratch.get("phase", "split")
        if phase not in ("split", "subflows", "merge"):
            raise ValueError(f"task run {run.id}: unknown ForEachItem phase {phase!r}")
        return cls(phase=phase, total=int(scratch.get("total", 0)), created=int(scratch.get("created", 0)),
                   ended=int(scratch.get("ended", 0)), failed=int(scratch.get("failed", 0)))

    def on(self, run: TaskRun) -> TaskRun:
        """`run` carrying this phase and these counters (its other scratch keys kept)."""
        scratch = {k: v for k, v in run.scratch.items() if k not in _BATCH_KEYS}
        scratch.update(phase=self.phase, total=self.total, created=self.created, ended=self.ended, failed=self.failed)
        return run.model_copy(update={"scratch": scratch})


@dataclass(frozen=True)
class RunPhase:
    """A flowable run's own phase state, stored in its scratch under the same keys."""

    main: State | None = None  # how its main children ended (its errors/finally may follow)
    waiting: int | None = None  # a LoopUntil waits for its timer to start this pass

    @classmethod
    def of(cls, run: TaskRun) -> RunPhase:
        main, waiting = run.scratch.get("main"), run.scratch.get("waiting")
        return cls(main=State(main) if main else None, waiting=int(waiting) if waiting is not None else None)

    def into(self, scratch: dict[str, Any]) -> dict[str, Any]:
        """`scratch` with this phase state in place of the one it held (its other keys kept)."""
        out = {k: v for k, v in scratch.items() if k not in ("main", "waiting")}
        if self.main is not None:
            out["main"] = str(self.main)
        if self.waiting is not None:
            out["waiting"] = self.waiting
        return out

    def on(self, run: TaskRun) -> TaskRun:
        return run.model_copy(update={"scratch": self.into(run.scratch)})


_POSITION_KEYS = ("values", "item", "loop")


@dataclass(frozen=True)
class LoopPosition:
    """Where a run sits in the loops above it, stored in its scratch under the same keys: a child run takes it
    from its parent or its previous sibling, a new iteration extends it."""

    values: tuple[str | None, ...] = ()  # the loop values from the outermost loop in (kept when 2 or more)
    item: dict[str, Any] | None = None  # Kestra 2.0's `item` inside a Loop
    loop: tuple[tuple[str, int, int], ...] = ()  # the Loop iterations it is in: (loop run id, index, values position)

    @classmethod
    def of(cls, run: TaskRun) -> LoopPosition:
        scratch = run.scratch
        item = scratch.get("item")
        return cls(values=tuple(scratch.get("values") or ()), item=item if isinstance(item, dict) else None,
                   loop=tuple((str(x[0]), int(x[1]), int(x[2])) for x in scratch.get("loop") or ()))

    def into(self, scratch: dict[str, Any]) -> dict[str, Any]:
        """`scratch` with this position in place of the one it held (its other keys kept)."""
        out = {k: v for k, v in scratch.items() if k not in _POSITION_KEYS}
        if self.values:
            out["values"] = list(self.values)
        if self.item is not None:
            out["item"] = self.item
        if self.loop:
            out["loop"] = [list(x) for x in self.loop]
        return out


# Keys of what an execution is created with for the executor (ExecutionNotes).
EXTRACT = "extract_outputs"
FLOW_ATTEMPT = "flow_attempt"
FLOW_SINCE = "flow_retry_since"


@dataclass(frozen=True)
class ExecutionNotes:
    """What an execution carries for the executor from its creation on, stored in its scratch under fixed keys."""

    failure: str | None = None  # end it FAILED at once (a FAIL_EXECUTION check, a trigger's failOnTriggerError)
    checks: tuple[dict[str, Any], ...] = ()  # the flow's checks that did not hold: logged when it starts
    sla_breached: tuple[str, ...] = ()  # the SLAs already breached (their labels set once)
    extract: dict[str, Any] | None = None  # a subflow's parent Subflow task's deprecated `outputs`
    flow_attempt: int = 1  # which attempt of the flow it is (retry CREATE_NEW_EXECUTION)
    flow_since: str | None = None  # when the first execution of that retry chain was created (ISO)

    @classmethod
    def of(cls, execution: Execution) -> ExecutionNotes:
        sc = execution.scratch
        extract = sc.get(EXTRACT)
        return cls(failure=sc.get("failure") or None, checks=tuple(sc.get("checks", ())),
                   sla_breached=tuple(sc.get("sla_breached", ())), extract=extract if isinstance(extract, dict) else None,
                   flow_attempt=int(sc.get(FLOW_ATTEMPT, 1)),
                   flow_since=sc[FLOW_SINCE] if isinstance(sc.get(FLOW_SINCE), str) else None)

    def with_breach(self, sla_id: str, scratch: dict[str, Any]) -> dict[str, Any]:
        """`scratch` recording one more breached SLA."""
        return {**scratch, "sla_breached": [*self.sla_breached, sla_id]}
