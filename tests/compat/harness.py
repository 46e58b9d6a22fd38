"""A throw-away Legato for the compatibility suite and the Kestra corpus script: one SQLite store with the
executor, a worker, the timers and the scheduler running in a background thread, flows deployed from text and
executions run to their end. Only this module knows how Legato is assembled, so the suite and the script do
not change when that does.

Expectations live in each flow file's leading `#| ` comment lines (a YAML map, as in tests/flows/valid/):

    #| state: SUCCESS                     final execution state
    #| inputs: {n: 3}                     raw inputs
    #| outputs: {answer: 42}              the flow outputs, exactly
    #| tasks: {a: SUCCESS, b: [SUCCESS, FAILED]}   every run of a task (a list: loop runs in order)
    #| task_outputs: {a: {value: x}}      a subset of the outputs of a task that ran once
#| task_count: {a: 0}                 how many times a task ran
#| no_logs: ["text"]                  substrings that must not appear in the logs
    #| logs: ["text"]                     substrings that must appear in the logs
    #| labels: {team: data}               labels the execution carries (a subset)
    #| timeout: 30                        seconds to wait for the end
    #| subflow_only: true                 deployed for others, never run on its own
    #| triggered: {flow: ns.id, state: SUCCESS, count: 1, outputs: {...}}   an execution a Flow trigger starts
    #| resume: {inputs: {...}}            resume the execution once it pauses
    #| xfail: "bug: retry.maxAttempt"     Kestra's result, not Legato's yet: names the open bug
    #| dialect: "1.x" | "2.0"             which Kestra dialect the flow is written in (default 1.x)
    #| migrate: false                     keep it out of the migrate round-trip (says why in a comment)
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from legato.clock import utcnow
from legato.flows import parse_flow
from legato.model import state as st
from legato.model.execution import Execution, LogRecord, TaskRun
from legato.model.flow import Flow
from legato.model.state import State
from legato.server.compose import Runtime, storage_for
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store import open_store
from legato.store.ports import ExecutionFilter

HEADER_KEYS = {
    "state", "inputs", "outputs", "tasks", "task_outputs", "logs", "labels", "timeout", "subflow_only",
    "triggered", "resume", "xfail", "dialect", "migrate", "no_logs", "task_count",
}


def header(text: str, name: str = "<flow>") -> dict[str, Any]:
    """The expectations written in the leading `#| ` comment lines of a flow file."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#|"):
            break
        lines.append(line[3:] if line.startswith("#| ") else line[2:])
    doc = yaml.safe_load("\n".join(lines)) or {}
    if not isinstance(doc, dict):
        raise ValueError(f"{name}: the #| header must be a YAML map")
    unknown = set(doc) - HEADER_KEYS
    if unknown:
        raise ValueError(f"{name}: unknown header keys {sorted(unknown)}")
    return doc


def parse(text: str, name: str = "<flow>") -> Flow:
    """The flow in `text`, validated with every installed task and trigger type."""
    return parse_flow(text, name)


@dataclass
class Outcome:
    """One ended (or paused) execution and everything it left behind."""

    execution: Execution
    runs: list[TaskRun]
    logs: list[LogRecord]
    children: list[Outcome] = field(default_factory=list)

    @property
    def state(self) -> str:
        return str(self.execution.state)

    def runs_of(self, task_id: str) -> list[TaskRun]:
        return [r for r in self.runs if r.task_id == task_id]

    def outputs_of(self, task_id: str) -> dict[str, Any]:
        """The outputs of the (last) run of `task_id`; {} when it never ran."""
        runs = self.runs_of(task_id)
        return dict(runs[-1].outputs) if runs else {}

    def log_text(self) -> str:
        return "\n".join(lg.message for lg in self.logs)

    def describe(self) -> str:
        """What happened, for an assertion message."""
        ex = self.execution
        lines = [f"execution {ex.namespace}.{ex.flow_id} {ex.state} error={ex.error!r} outputs={ex.outputs!r}"]
        lines += [f"  run {r.task_id} [{r.value}] it={r.iteration} {r.state} err={r.error!r} out={_short(r.outputs)}"
                  for r in self.runs]
        lines += [f"  log {lg.level} {lg.task_id}: {_short(lg.message)}" for lg in self.logs[-30:]]
        return "\n".join(lines)


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


class Instance:
    """Legato in a background thread over a fresh SQLite store under `data_dir`."""

    def __init__(self, data_dir: Path, *, poll_seconds: float = 0.1):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.store = open_store(f"sqlite:///{data_dir}/legato.db")
        self.store.migrate()
        self.storage = storage_for(data_dir)
        self._poll = poll_seconds
        self._stopping: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="compat-legato", daemon=True)

    def __enter__(self) -> Instance:
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the Legato thread did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(30)
        self.store.close()

    def _serve(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        runtime = Runtime(self.store, poll_seconds=self._poll, data_dir=self.data_dir, run_scheduler=True)
        self._ready.set()
        await runtime.run(self._stopping)

    # flows ----------------------------------------------------------------------------------------
    def deploy(self, source: str, name: str = "<flow>") -> tuple[str, str]:
        """Validate and store `source`; its (namespace, id). Raises FlowValidationError."""
        record = flow_service.deploy(self.store, source, now=utcnow(), name=name, by=SYSTEM)
        return record.namespace, record.id

    # executions -----------------------------------------------------------------------------------
    def start(self, namespace: str, flow_id: str, inputs: Mapping[str, Any] | None = None,
              files: Mapping[str, str | Path] | None = None, labels: Mapping[str, str] | None = None) -> str:
        execution = execution_service.create_execution(self.store, namespace, flow_id, dict(inputs or {}), now=utcnow(),
                                             files=files, storage=self.storage, labels=labels, by=SYSTEM)
        return execution.id

    def run(self, namespace: str, flow_id: str, inputs: Mapping[str, Any] | None = None, *,
            timeout: float = 30, files: Mapping[str, str | Path] | None = None,
            resume: Mapping[str, Any] | None = None, labels: Mapping[str, str] | None = None,
            stop_on_pause: bool = False) -> Outcome:
        """Run one execution to its end. With `resume`, each time it pauses it is resumed with those inputs;
        with `stop_on_pause`, a paused execution is returned as it is."""
        execution_id = self.start(namespace, flow_id, inputs, files, labels)
        return self.wait(execution_id, timeout=timeout, resume=resume, stop_on_pause=stop_on_pause)

    def wait(self, execution_id: str, *, timeout: float = 30, resume: Mapping[str, Any] | None = None,
             stop_on_pause: bool = False) -> Outcome:
        """Wait for the execution's end (or its pause, with `stop_on_pause`), resuming it when told to."""
        deadline = time.monotonic() + timeout
        resumed = 0
        while True:
            execution = self.store.get_execution(execution_id)
            assert execution is not None, f"execution {execution_id} vanished"
            if execution.state in st.TERMINAL and execution.ended is not None:
                return self.outcome(execution)
            pauses = sum(1 for h in execution.histories if h.state == State.PAUSED)
            if execution.state == State.PAUSED and _settled(self.store.task_runs(execution_id)):
                if stop_on_pause:
                    return self.outcome(execution)
                if resume is not None and resumed < pauses:
                    execution_service.resume(self.store, execution_id, dict(resume.get("inputs") or {}), storage=self.storage, by=SYSTEM)
                    resumed = pauses
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_id} is still {execution.state} after {timeout}s\n"
                                   + self.outcome(execution).describe())
            time.sleep(0.03)

    def outcome(self, execution: Execution) -> Outcome:
        runs = self.store.task_runs(execution.id)
        logs = self.store.logs(execution.id)
        children = [self.outcome(c) for c in self._children(execution)]
        return Outcome(execution, runs, logs, children)

    def _children(self, execution: Execution) -> list[Execution]:
        found, _ = self.store.search_executions(ExecutionFilter(), limit=1000)
        return sorted((e for e in found if e.parent_id == execution.id), key=lambda e: e.created)

    def executions_of(self, namespace: str, flow_id: str) -> list[Execution]:
        """Every execution of one flow, oldest first."""
        found, _ = self.store.search_executions(ExecutionFilter(namespace=namespace, flow_id=flow_id), limit=1000)
        return sorted((e for e in found if e.namespace == namespace), key=lambda e: e.created)

    def wait_for_executions(self, namespace: str, flow_id: str, count: int, *, timeout: float = 30,
                            ended: bool = True) -> list[Outcome]:
        """Wait until `flow_id` has at least `count` executions (ended ones, unless `ended` is False)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.executions_of(namespace, flow_id)
            done = [e for e in found if not ended or (e.state in st.TERMINAL and e.ended is not None)]
            if len(done) >= count:
                return [self.outcome(e) for e in done]
            if time.monotonic() > deadline:
                states = [str(e.state) for e in found]
                raise TimeoutError(f"{namespace}.{flow_id}: {len(done)} of {count} executions after {timeout}s ({states})")
            time.sleep(0.05)

    def settle(self, seconds: float = 1.0) -> None:
        """Give the scheduler time to react to the executions that ended (Flow triggers)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.store.pending_ends():
            time.sleep(0.05)
        time.sleep(min(seconds, 0.3))


def _settled(runs: list[TaskRun]) -> bool:
    """No task run is still working (a paused execution waits only on its Pause tasks)."""
    return all(r.state in st.TERMINAL or r.state == State.PAUSED for r in runs)


def check(expected: Mapping[str, Any], got: Outcome) -> list[str]:
    """The differences between a flow file's expectations and what happened (empty: it matched)."""
    problems: list[str] = []
    if "state" in expected and got.state != str(expected["state"]):
        problems.append(f"state {got.state} != {expected['state']}")
    if "outputs" in expected and (got.execution.outputs or {}) != expected["outputs"]:
        problems.append(f"outputs {got.execution.outputs!r} != {expected['outputs']!r}")
    for task_id, want in (expected.get("tasks") or {}).items():
        states = [str(r.state) for r in got.runs_of(task_id)]
        if isinstance(want, list):
            if states != [str(s) for s in want]:
                problems.append(f"runs of {task_id}: {states} != {want}")
        elif not states or set(states) != {str(want)}:
            problems.append(f"runs of {task_id}: {states}, expected all {want}")
    for task_id, count in (expected.get("task_count") or {}).items():
        if len(got.runs_of(task_id)) != count:
            problems.append(f"{task_id} ran {len(got.runs_of(task_id))} times, expected {count}")
    for task_id, want in (expected.get("task_outputs") or {}).items():
        runs = got.runs_of(task_id)
        if len(runs) != 1:
            problems.append(f"{task_id} ran {len(runs)} times; task_outputs needs exactly one run")
            continue
        problems += subset(want, runs[0].outputs, f"outputs.{task_id}")
    text = got.log_text()
    for fragment in expected.get("logs") or []:
        if fragment not in text:
            problems.append(f"no log contains {fragment!r}")
    for fragment in expected.get("no_logs") or []:
        if fragment in text:
            problems.append(f"a log contains {fragment!r}")
    labels = {lb.key: lb.value for lb in got.execution.labels}
    for key, value in (expected.get("labels") or {}).items():
        if labels.get(key) != str(value):
            problems.append(f"label {key}={labels.get(key)!r}, expected {value!r}")
    return problems


def subset(want: Any, got: Any, where: str) -> list[str]:
    """`want` is found in `got`: maps key by key (extra keys allowed), anything else by equality."""
    if isinstance(want, dict):
        if not isinstance(got, Mapping):
            return [f"{where}: {_short(got)} is not a map"]
        out: list[str] = []
        for key, value in want.items():
            if key not in got:
                out.append(f"{where}: no key {key!r} in {_short(got)}")
            else:
                out += subset(value, got[key], f"{where}.{key}")
        return out
    return [] if got == want else [f"{where}: {_short(got)} != {_short(want)}"]
