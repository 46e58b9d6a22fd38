"""WorkingDirectory and ForEachItem end to end: a real Runtime (executor, worker, timers) over SQLite, real
Shell and Python processes sharing one directory, the cache kept in local internal storage."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from legato.clock import utcnow
from legato.model.execution import Execution
from legato.model.state import State
from legato.server.compose import Runtime
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.storage import LocalStorage
from legato.store import open_store


class Running:
    """A store with a Runtime serving it on its own event loop (in a thread)."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.store = open_store(f"sqlite:///{tmp}/wd.db")
        self.store.migrate()
        self.storage = LocalStorage(tmp / "storage")

    def run(self, flows: list[str], namespace: str, flow_id: str, inputs: dict[str, Any] | None = None,
            timeout: float = 60) -> Execution:
        for source in flows:
            flow_service.deploy(self.store, source, now=utcnow(), by=SYSTEM)
        return asyncio.run(self._run(namespace, flow_id, inputs or {}, timeout))

    async def _run(self, namespace: str, flow_id: str, inputs: dict[str, Any], timeout: float) -> Execution:
        stopping = asyncio.Event()
        runtime = Runtime(self.store, poll_seconds=0.1, data_dir=self.tmp)
        served = asyncio.create_task(runtime.run(stopping))
        try:
            execution = execution_service.create_execution(self.store, namespace, flow_id, inputs, now=utcnow(), by=SYSTEM)
            return await execution_service.wait_for_end(self.store, execution.id, timeout=timeout)
        finally:
            stopping.set()
            await served

    def runs(self, execution: Execution, task_id: str) -> list[Any]:
        return [r for r in self.store.task_runs(execution.id) if r.task_id == task_id]

    def logs(self, execution: Execution) -> list[tuple[str | None, str]]:
        return [(lg.task_id, lg.message) for lg in self.store.logs(execution.id)]


@pytest.fixture
def running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    for name in ("LEGATO_STORAGE_URL", "LEGATO_STORAGE_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEGATO_WORK_DIR", str(tmp_path / "work"))
    (tmp_path / "work").mkdir()
    env = Running(tmp_path)
    yield env
    env.store.close()


SHARED = """\
id: shared
namespace: wd.test
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      seed.txt: "seed from inputFiles"
    outputFiles:
      - "*.csv"
    tasks:
      - id: write
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner:
          type: io.kestra.plugin.core.runner.Process
        commands:
          - cat seed.txt > copy.txt
          - printf 'a,b\\n1,2\\n' > data.csv
          - echo '::{"outputs":{"written":"copy.txt"}}::'
      - id: read
        type: io.kestra.plugin.scripts.python.Script
        script: |
          from kestra import Kestra
          text = open("{{ outputs.write.vars.written }}").read()
          rows = open("data.csv").read().splitlines()
          print("python read:", text)
          Kestra.outputs({"text": text, "rows": len(rows)})
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "after: {{ outputs.read.vars.text }} / {{ outputs.read.vars.rows }}"
"""


def test_scripts_share_files_in_a_working_directory(running: Running) -> None:
    execution = running.run([SHARED], "wd.test", "shared")
    assert execution.state == State.SUCCESS, running.logs(execution)
    (wd,) = running.runs(execution, "wd")
    (write,) = running.runs(execution, "write")
    (read,) = running.runs(execution, "read")
    assert write.parent_id == wd.id and read.parent_id == wd.id
    assert write.state == read.state == State.SUCCESS
    assert len(read.attempts) == 1 and read.attempts[0].state == State.SUCCESS
    assert read.outputs["vars"] == {"text": "seed from inputFiles", "rows": 2}
    stored = wd.outputs["outputFiles"]["data.csv"]
    assert running.storage.get(stored) == b"a,b\n1,2\n"
    logs = running.logs(execution)
    assert ("read", "python read: seed from inputFiles") in logs  # the child's logs are its own
    assert ("after", "after: seed from inputFiles / 2") in logs
    assert list((running.tmp / "work").iterdir()) == []  # the shared directory is gone


FAILING = """\
id: failing
namespace: wd.test
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: tolerated
        type: io.kestra.plugin.scripts.shell.Commands
        allowFailure: true
        commands: ["exit 3"]
      - id: skipped
        type: io.kestra.plugin.core.log.Log
        runIf: "{{ 1 == 2 }}"
        message: never
      - id: broken
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["echo bad >&2", "exit 1"]
      - id: never
        type: io.kestra.plugin.core.log.Log
        message: never
    errors:
      - id: handler
        type: io.kestra.plugin.core.log.Log
        message: "handled"
"""


def test_a_failing_child_fails_the_working_directory_and_runs_its_errors(running: Running) -> None:
    execution = running.run([FAILING], "wd.test", "failing")
    assert execution.state == State.FAILED
    states = {r.task_id: r.state for r in running.store.task_runs(execution.id)}
    assert states == {"wd": State.FAILED, "tolerated": State.WARNING, "skipped": State.SKIPPED,
                      "broken": State.FAILED, "handler": State.SUCCESS}
    (broken,) = running.runs(execution, "broken")
    assert "exit code 1" in (broken.error or "")


CACHED = """\
id: cached
namespace: wd.test
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    cache:
      patterns: ["deps/**"]
      ttl: PT1H
    tasks:
      - id: install
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - |
            if [ -f deps/lib/marker ]; then
              echo '::{"outputs":{"cached":true}}::'
            else
              sleep 1.5
              mkdir -p deps/lib && echo built > deps/lib/marker
              echo '::{"outputs":{"cached":false}}::'
            fi
"""


def test_the_cache_is_restored_on_the_next_run(running: Running) -> None:
    begin = time.monotonic()
    first = running.run([CACHED], "wd.test", "cached")
    first_took = time.monotonic() - begin
    assert first.state == State.SUCCESS
    assert running.runs(first, "install")[0].outputs["vars"] == {"cached": False}
    begin = time.monotonic()
    second = running.run([CACHED], "wd.test", "cached")
    second_took = time.monotonic() - begin
    assert second.state == State.SUCCESS
    assert running.runs(second, "install")[0].outputs["vars"] == {"cached": True}
    assert second_took < first_took - 1.0
    assert ("wd", "Cache restored: 1 file(s)") in running.logs(second)


CHILD = """\
id: count_batch
namespace: wd.items
inputs:
  - id: data
    type: FILE
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      batch.txt: "{{ inputs.data }}"
    commands:
      - echo '::{"outputs":{"lines":'$(wc -l < batch.txt)',"first":"'$(head -n1 batch.txt)'"}}::'
outputs:
  - id: lines
    type: INT
    value: "{{ outputs.count.vars.lines }}"
  - id: first
    type: STRING
    value: "{{ outputs.count.vars.first }}"
"""

PARENT = """\
id: fan_out
namespace: wd.items
tasks:
  - id: make
    type: io.kestra.plugin.core.storage.Write
    extension: .txt
    content: "{% for i in range(1, 1000) %}line {{ i }}\\n{% endfor %}"
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{ outputs.make.uri }}"
    batch:
      rows: 100
    namespace: wd.items
    flowId: count_batch
    wait: true
    transmitFailed: true
    inputs:
      data: "{{ taskrun.items }}"
"""


def test_for_each_item_runs_one_subflow_per_batch_of_a_thousand_lines(running: Running) -> None:
    execution = running.run([CHILD, PARENT], "wd.items", "fan_out", timeout=120)
    assert execution.state == State.SUCCESS, running.logs(execution)
    (each,) = running.runs(execution, "each")
    assert each.outputs["numberOfBatches"] == 10
    assert each.outputs["iterations"] == {"max": 10, "CREATED": 0, "RUNNING": 0, "SUCCESS": 10}
    merged = running.storage.get(each.outputs["uri"]).decode().splitlines()
    assert len(merged) == 10
    assert merged[0] == '{lines:100,first:"line 1"}' and merged[9] == '{lines:100,first:"line 901"}'
    children = running.store.list_executions(namespace="wd.items", flow_id="count_batch")
    assert len(children) == 10 and {c.state for c in children} == {State.SUCCESS}
    assert all(c.parent_id == execution.id for c in children)



WARM = """\
id: warm
namespace: wd.test
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    taskRunner:
      type: python-warm
    tasks:
      - id: write
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner:
          type: io.kestra.plugin.core.runner.Process
        commands: ["echo forked > note.txt"]
      - id: read
        type: io.kestra.plugin.scripts.python.Script
        script: |
          from kestra import Kestra
          Kestra.outputs({"note": open("note.txt").read().strip()})
"""


def test_the_runner_default_applies_to_children_and_each_runner_uses_the_shared_directory(running: Running) -> None:
    execution = running.run([WARM], "wd.test", "warm")
    assert execution.state == State.SUCCESS, running.logs(execution)
    assert running.runs(execution, "read")[0].outputs["vars"] == {"note": "forked"}


def test_an_expired_cache_is_not_restored(running: Running) -> None:
    source = CACHED.replace("id: cached", "id: expiring").replace("ttl: PT1H", "ttl: PT0.01S").replace("sleep 1.5", "true")
    running.run([source], "wd.test", "expiring")
    time.sleep(0.05)
    second = running.run([source], "wd.test", "expiring")
    assert running.runs(second, "install")[0].outputs["vars"] == {"cached": False}
    assert ("wd", "The cache expired (older than its ttl): starting without it") in running.logs(second)
