"""log.Fetch (an execution's logs to a file of internal storage) and storage.LocalFiles (files in and out of
a WorkingDirectory's shared directory)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from legato.model.execution import Execution, LogRecord
from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage
from tests.unit.plugins.conftest import Harness


def logs(harness: Harness, execution: Execution, *lines: tuple[str, str, str]) -> None:
    harness.store.append_logs([
        LogRecord(execution_id=execution.id, task_run_id=f"{execution.id}-{task}", task_id=task, attempt=1, level=level,
                  message=message, timestamp=harness.clock() + timedelta(seconds=n))
        for n, (task, level, message) in enumerate(lines)
    ])


def fetched(storage: LocalStorage, out: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in storage.get(out["uri"]).decode().splitlines()]


def test_fetch_the_current_executions_logs_by_level_and_task(harness: Harness, storage: LocalStorage) -> None:
    execution = harness.execution()
    logs(harness, execution, ("hello", "INFO", "Hello"), ("hello", "DEBUG", "detail"), ("boom", "ERROR", "failed"),
         ("other", "WARN", "careful"))
    ctx = harness.context(storage=storage, execution=execution, task_id="fetch")
    out = harness.run("id: fetch\ntype: io.kestra.plugin.core.log.Fetch\n", ctx)
    assert out["size"] == 3 and out["uri"].endswith("/fetch.ion")
    lines = fetched(storage, out)
    assert [(e["taskId"], e["level"], e["message"]) for e in lines] == [
        ("hello", "INFO", "Hello"), ("boom", "ERROR", "failed"), ("other", "WARN", "careful")]
    assert lines[0]["namespace"] == "company.team" and lines[0]["flowId"] == "orders"
    assert lines[0]["executionId"] == execution.id and lines[0]["attemptNumber"] == 1
    errors = harness.run("id: fetch\ntype: io.kestra.core.tasks.log.Fetch\nlevel: ERROR\n",
                         harness.context(storage=storage, execution=execution, task_id="fetch"))
    assert [e["message"] for e in fetched(storage, errors)] == ["failed"]
    only = harness.run("id: fetch\ntype: log.Fetch\nlevel: DEBUG\ntasksId: [hello]\n",
                       harness.context(storage=storage, execution=execution, task_id="fetch"))
    assert [e["message"] for e in fetched(storage, only)] == ["Hello", "detail"]


def test_fetch_pages_through_long_logs(harness: Harness, storage: LocalStorage) -> None:
    execution = harness.execution()
    logs(harness, execution, *[("t", "INFO", f"line {n}") for n in range(2500)])
    out = harness.run("id: f\ntype: log.Fetch\n", harness.context(storage=storage, execution=execution))
    assert out["size"] == 2500
    assert [e["message"] for e in fetched(storage, out)][-2:] == ["line 2498", "line 2499"]


def test_fetch_another_execution_only_by_naming_its_flow(harness: Harness, storage: LocalStorage) -> None:
    harness.save_flow(flow_id="etl")
    other = harness.execution(flow_id="etl")
    logs(harness, other, ("load", "INFO", "loaded 5 rows"))
    with pytest.raises(TaskFailed, match=f"no execution {other.id} of the flow company.team.orders"):
        harness.run(f"id: f\ntype: log.Fetch\nexecutionId: {other.id}\n", harness.context(storage=storage))
    out = harness.run(f"id: f\ntype: log.Fetch\nexecutionId: {other.id}\nnamespace: company.team\nflowId: etl\n",
                      harness.context(storage=storage))
    assert [(e["flowId"], e["message"]) for e in fetched(storage, out)] == [("etl", "loaded 5 rows")]


def test_local_files_stage_inputs_and_store_outputs_of_the_working_directory(harness: Harness, storage: LocalStorage,
                                                                             tmp_path: Path) -> None:
    workdir = tmp_path / "wd"
    workdir.mkdir()
    execution = harness.execution()
    data = storage.put(f"kestra:///company/team/orders/executions/{execution.id}/tasks/t/r/data.json", b"[1]")
    storage.put("kestra:///company/team/_files/conf/app.yml", b"debug: true")
    ctx = harness.context(storage=storage, execution=execution, task_id="inputs")
    ctx.working_dir = workdir  # as a WorkingDirectory sets it for the tasks it runs
    out = harness.run(f"""
id: inputs
type: io.kestra.plugin.core.storage.LocalFiles
inputs:
  hello.txt: "Hello {{{{ flow.id }}}}"
  in/data.json: "{data}"
  app.yml: nsfile:///conf/app.yml
""", ctx)
    assert out == {"uris": {}}
    assert (workdir / "hello.txt").read_text() == "Hello orders"
    assert (workdir / "in" / "data.json").read_bytes() == b"[1]"
    assert (workdir / "app.yml").read_bytes() == b"debug: true"

    (workdir / "sub" / "dir").mkdir(parents=True)
    (workdir / "sub" / "dir" / "a.txt").write_text("a")
    ctx = harness.context(storage=storage, execution=execution, task_id="outputs")
    ctx.working_dir = workdir
    out = harness.run("id: outputs\ntype: io.kestra.core.tasks.storages.LocalFiles\noutputs: ['sub/**', hello.txt]\n", ctx)
    assert sorted(out["uris"]) == ["hello.txt", "sub/dir/a.txt"]
    assert storage.get(out["uris"]["sub/dir/a.txt"]) == b"a"


def test_local_files_outside_a_working_directory_says_why(harness: Harness, storage: LocalStorage) -> None:
    with pytest.raises(TaskFailed, match="inside a WorkingDirectory task only"):
        harness.run("id: l\ntype: storage.LocalFiles\ninputs: {a.txt: x}\n", harness.context(storage=storage))


def test_local_files_refuse_paths_outside_the_directory(harness: Harness, storage: LocalStorage, tmp_path: Path) -> None:
    ctx = harness.context(storage=storage)
    ctx.working_dir = tmp_path / "wd"
    ctx.working_dir.mkdir()
    with pytest.raises(TaskFailed, match="inside the working directory"):
        harness.run("id: l\ntype: storage.LocalFiles\ninputs: {../escape.txt: x}\n", ctx)
    with pytest.raises(TaskFailed, match=re.escape("nsfile://company.other/x.txt is not a file of this flow's namespace")):
        harness.run("id: l\ntype: storage.LocalFiles\ninputs: {x.txt: 'nsfile://company.other/x.txt'}\n", ctx)
