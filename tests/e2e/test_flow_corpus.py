"""The valid-flow corpus, run end to end: every `tests/flows/valid/*.yaml` is deployed into one SQLite store,
executed by one real Runtime, and checked against the expectations in its `#| ` header.

The header is a YAML document spread over the file's leading comment lines:

    #| state: SUCCESS                 final execution state
    #| inputs: {n: 3}                 raw inputs of the execution
    #| outputs: {answer: 42}          the flow outputs, exactly
    #| tasks: {a: SUCCESS, b: [SUCCESS, FAILED]}   every run of a task (a list: loop runs in order)
    #| task_outputs: {a: {value: x}}  a subset of the outputs of a task that ran once
    #| logs: ["some text"]            substrings that must appear in the execution's logs
    #| labels: {team: data}           the execution's labels, exactly (but system.correlationId, its own id)
    #| timeout: 30                    seconds to wait for the end
    #| subflow_only: true             only used as a subflow: deployed, never run on its own
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from legato.clock import utcnow
from legato.flows import parse_flow
from legato.model.execution import Execution, LogRecord, TaskRun
from legato.server.compose import Runtime
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store import open_store
from legato.store.ports import Store

CORPUS = Path(__file__).resolve().parents[1] / "flows" / "valid"
FILES = sorted(CORPUS.glob("*.yaml"))
HEADER_KEYS = {"state", "inputs", "outputs", "tasks", "task_outputs", "logs", "labels", "timeout", "subflow_only"}


def header(path: Path) -> dict[str, Any]:
    """The expectations written in the file's leading `#| ` comment lines."""
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#|"):
            break
        lines.append(line[3:] if line.startswith("#| ") else line[2:])
    doc = yaml.safe_load("\n".join(lines)) or {}
    assert isinstance(doc, dict), f"{path.name}: the #| header must be a YAML map"
    unknown = set(doc) - HEADER_KEYS
    assert not unknown, f"{path.name}: unknown header keys {sorted(unknown)}"
    return doc


RUNNABLE = [p for p in FILES if not header(p).get("subflow_only")]


class Corpus:
    """One store with every corpus flow deployed, and a Runtime serving it from a background thread."""

    def __init__(self, store: Store):
        self.store = store
        self.flows: dict[Path, tuple[str, str]] = {}
        self._stopping: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="corpus-runtime", daemon=True)

    def deploy_all(self) -> None:
        for path in FILES:
            record = flow_service.deploy(self.store, path.read_text(), now=utcnow(), name=str(path), by=SYSTEM)
            self.flows[path] = (record.namespace, record.id)

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10), "the runtime thread did not start"

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(30)

    def _serve(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._ready.set()
        await Runtime(self.store, poll_seconds=0.2).run(self._stopping)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    tmp = tmp_path_factory.mktemp("corpus")
    store = open_store(f"sqlite:///{tmp}/c.db")
    store.migrate()
    running = Corpus(store)
    running.deploy_all()
    running.start()
    try:
        yield running
    finally:
        running.stop()
        store.close()


def run_flow(corpus: Corpus, path: Path, expected: dict[str, Any]) -> Execution:
    namespace, flow_id = corpus.flows[path]
    execution = execution_service.create_execution(corpus.store, namespace, flow_id, expected.get("inputs") or {}, now=utcnow(), by=SYSTEM)
    return asyncio.run(execution_service.wait_for_end(corpus.store, execution.id, poll_seconds=0.05,
                                            timeout=float(expected.get("timeout", 30))))


def describe(execution: Execution, runs: list[TaskRun], logs: list[LogRecord]) -> str:
    """What happened, printed with a failed assertion so the cause is visible without a debugger."""
    lines = [f"execution {execution.state} error={execution.error!r} outputs={execution.outputs!r}"]
    lines += [f"  run {r.task_id} [{r.value}] it={r.iteration} {r.state} err={r.error!r} out={r.outputs!r}" for r in runs]
    lines += [f"  log {lg.level} {lg.task_id}: {lg.message}" for lg in logs[-40:]]
    return "\n".join(lines)


def check_tasks(expected: dict[str, Any], runs: list[TaskRun], why: str) -> None:
    for task_id, want in expected.items():
        got = [str(r.state) for r in runs if r.task_id == task_id]
        if isinstance(want, list):
            assert got == [str(s) for s in want], f"runs of {task_id}: {got} != {want}\n{why}"
        else:
            assert got, f"{task_id} never ran\n{why}"
            assert set(got) == {str(want)}, f"runs of {task_id}: {got}, expected all {want}\n{why}"


def check_subset(want: Any, got: Any, where: str, why: str) -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{where}: {got!r} is not a map\n{why}"
        for key, value in want.items():
            assert key in got, f"{where}: no key {key!r} in {got!r}\n{why}"
            check_subset(value, got[key], f"{where}.{key}", why)
    else:
        assert got == want, f"{where}: {got!r} != {want!r}\n{why}"


@pytest.mark.parametrize("path", RUNNABLE, ids=[p.stem for p in RUNNABLE])
def test_corpus_flow(corpus: Corpus, path: Path) -> None:
    expected = header(path)
    execution = run_flow(corpus, path, expected)
    runs = corpus.store.task_runs(execution.id)
    logs = corpus.store.logs(execution.id)
    why = describe(execution, runs, logs)

    assert str(execution.state) == expected["state"], why
    if "outputs" in expected:
        assert (execution.outputs or {}) == expected["outputs"], why
    check_tasks(expected.get("tasks") or {}, runs, why)
    for task_id, want in (expected.get("task_outputs") or {}).items():
        matching = [r for r in runs if r.task_id == task_id]
        assert len(matching) == 1, f"{task_id} ran {len(matching)} times; task_outputs needs exactly one\n{why}"
        check_subset(want, matching[0].outputs, f"outputs.{task_id}", why)
    text = "\n".join(lg.message for lg in logs)
    for fragment in expected.get("logs") or []:
        assert fragment in text, f"no log contains {fragment!r}\n{why}"
    if "labels" in expected:
        got_labels = {lb.key: lb.value for lb in execution.labels if lb.key != "system.correlationId"}
        assert got_labels == {k: str(v) for k, v in expected["labels"].items()}, why


def test_corpus_is_large_and_valid() -> None:
    """The corpus covers the features it promises, and every file parses and states its final state."""
    assert len(FILES) >= 60
    for path in FILES:
        parse_flow(path.read_text(), str(path))
        expected = header(path)
        assert expected.get("subflow_only") or "state" in expected, f"{path.name}: header has no state"


# the CLI, as a user runs it ------------------------------------------------------------------------
CLI_CASES = [("hello_inputs", 0, "SUCCESS"), ("retry_warning", 0, "WARNING"), ("fail_flow_errors", 1, "FAILED")]


@pytest.mark.parametrize(("stem", "code", "state"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_run_json(stem: str, code: int, state: str) -> None:
    path = CORPUS / f"{stem}.yaml"
    expected = header(path)
    args = [str(Path(sys.executable).parent / "legato"), "flow", "run", str(path), "--output", "json", "--flows", str(CORPUS)]
    for key, value in (expected.get("inputs") or {}).items():
        args += ["--input", f"{key}={value}"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == code, done.stderr
    body = json.loads(done.stdout)
    for key in ("id", "namespace", "flowId", "flowRevision", "state", "inputs", "outputs", "labels", "taskRunList"):
        assert key in body, f"no {key} in {sorted(body)}"
    assert body["state"]["current"] == state
    history = [h["state"] for h in body["state"]["histories"]]
    assert history[0] == "CREATED" and history[-1] == state, history
    assert body["flowRevision"] == 1
    if "outputs" in expected:
        assert body["outputs"] == expected["outputs"]
    assert body["taskRunList"], "no task runs"
    for run in body["taskRunList"]:
        for key in ("id", "taskId", "parentTaskRunId", "value", "iteration", "state", "attempts", "outputs"):
            assert key in run, f"no {key} in task run {sorted(run)}"
        assert run["state"]["current"]
    for task_id, want in (expected.get("tasks") or {}).items():
        got = [r["state"]["current"] for r in body["taskRunList"] if r["taskId"] == task_id]
        assert got == (want if isinstance(want, list) else [want] * max(len(got), 1)), f"runs of {task_id}: {got}"
