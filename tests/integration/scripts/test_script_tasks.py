"""Python, Shell and Node.js Script/Commands tasks through the process runner: rendering, the output
protocol, the Kestra helpers, failures, warnings and files."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from tests.integration.scripts.conftest import Scripts
from tests.unit.runners.conftest import processes_left, processes_with

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage


def test_python_script_with_the_kestra_helper(scripts: Scripts) -> None:
    outputs, ctx = scripts.run(
        """
id: task
type: io.kestra.plugin.scripts.python.Script
script: |
  from kestra import Kestra
  import legato_helpers
  Kestra.outputs({"a": 1, "nested": {"x": "{{ inputs.name }}"}})
  Kestra.outputs({"b": [1, 2]})
  Kestra.counter("rows", 3, {"table": "orders"})
  Kestra.timer("load", 0.25)
  Kestra.logger().warning("careful")
  legato_helpers.logger().error("bad thing")
  print("plain line")
""",
        inputs={"name": "Ada"},
    )
    assert outputs["exitCode"] == 0
    assert outputs["vars"] == {"a": 1, "nested": {"x": "Ada"}, "b": [1, 2]}
    assert outputs["outputFiles"] == {}
    messages = scripts.messages(ctx)
    assert ("INFO", "plain line") in messages and ("WARN", "careful") in messages and ("ERROR", "bad thing") in messages
    assert not any("::" in m for _, m in messages)
    assert ctx.effects.extra["metrics"] == [
        {"name": "rows", "type": "counter", "value": 3, "tags": {"table": "orders"}},
        {"name": "load", "type": "timer", "value": 0.25, "tags": {}},
    ]
    assert ctx.effects.warning is False


def test_shell_commands_env_and_before_commands(scripts: Scripts) -> None:
    outputs, ctx = scripts.run(
        """
id: task
type: io.kestra.plugin.scripts.shell.Commands
env:
  NAME: "{{ inputs.name }}"
  COUNT: 3
beforeCommands:
  - export GREETING=hello
commands:
  - echo "$GREETING $NAME $COUNT"
  - 'echo "::{\\"outputs\\": {\\"name\\": \\"$NAME\\"}}::"'
""",
        inputs={"name": "O'Brien; rm -rf /"},
    )
    assert outputs["vars"] == {"name": "O'Brien; rm -rf /"}
    assert ("INFO", "hello O'Brien; rm -rf / 3") in scripts.messages(ctx)


def test_fail_fast_stops_at_the_first_failing_line(scripts: Scripts) -> None:
    ctx = scripts.context()
    with pytest.raises(TaskFailed, match=r"exit code 3:\nboom") as failure:
        scripts.run("""
id: task
type: io.kestra.plugin.scripts.shell.Commands
commands:
  - echo boom >&2; exit 3
  - echo never
""", ctx)
    assert failure.value.state.value == "FAILED"
    assert ("INFO", "never") not in scripts.messages(ctx)
    outputs, ctx = scripts.run("""
id: task
type: io.kestra.plugin.scripts.shell.Commands
failFast: false
warningOnStdErr: false
commands:
  - "false"
  - echo still here
""")
    assert outputs["exitCode"] == 0 and ("INFO", "still here") in scripts.messages(ctx)


def test_python_failure_quotes_the_traceback(scripts: Scripts) -> None:
    with pytest.raises(TaskFailed, match=r"Command failed with exit code 1:(.|\n)*ZeroDivisionError"):
        scripts.run("""
id: task
type: io.kestra.plugin.scripts.python.Script
script: |
  print(1 / 0)
""")


def test_stderr_makes_a_warning_unless_told_otherwise(scripts: Scripts) -> None:
    source = """
id: task
type: io.kestra.plugin.scripts.shell.Script
warningOnStdErr: {flag}
script: |
  echo "just a note" >&2
"""
    _, ctx = scripts.run(source.format(flag="true"))
    assert ctx.effects.warning is True and ("WARN", "just a note") in scripts.messages(ctx)
    _, ctx = scripts.run(source.format(flag="false"))
    assert ctx.effects.warning is False


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_script_with_kestra_libs(scripts: Scripts) -> None:
    outputs, ctx = scripts.run("""
id: task
type: io.kestra.plugin.scripts.node.Script
script: |
  const Kestra = require('@kestra-io/libs');
  Kestra.outputs({ sum: 1 + 2, who: "{{ inputs.name }}" });
  Kestra.counter('items', 5, { kind: 'x' });
  Kestra.logger().info('from node');
  console.error('node warning');
""", inputs={"name": "Bob"})
    assert outputs["vars"] == {"sum": 3, "who": "Bob"}
    assert ("INFO", "from node") in scripts.messages(ctx) and ("WARN", "node warning") in scripts.messages(ctx)
    assert ctx.effects.extra["metrics"][0]["name"] == "items"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_commands(scripts: Scripts) -> None:
    outputs, _ = scripts.run("""
id: task
type: io.kestra.plugin.scripts.node.Commands
inputFiles:
  main.js: |
    const { outputs } = require('legato-helpers');
    outputs({ args: process.argv.slice(2) });
commands:
  - node main.js a b
""")
    assert outputs["vars"] == {"args": ["a", "b"]}


def test_input_and_output_files_through_storage(scripts: Scripts, storage: LocalStorage) -> None:
    first, ctx1 = scripts.run("""
id: task
type: io.kestra.plugin.scripts.python.Script
inputFiles:
  data/in.csv: |
    a,b
    1,2
outputFiles:
  - "*.json"
  - reports/**
script: |
  import json, os, pathlib
  rows = open("data/in.csv").read().splitlines()
  json.dump({"rows": len(rows)}, open("summary.json", "w"))
  pathlib.Path("reports").mkdir()
  pathlib.Path("reports/r.txt").write_text("report")
  pathlib.Path(os.environ["OUTPUT_DIR"], "extra.txt").write_text("from outputDir")
  pathlib.Path("{{ outputDir }}/second.txt").write_text("templated")
""")
    files = first["outputFiles"]
    assert sorted(files) == ["extra.txt", "reports/r.txt", "second.txt", "summary.json"]
    prefix = f"kestra:///company/team/orders/executions/{ctx1.execution.id}/tasks/task/{ctx1.task_run.id}/"
    assert all(uri.startswith(prefix) for uri in files.values())
    assert storage.get(files["summary.json"]) == b'{"rows": 2}'
    second, ctx2 = scripts.run("""
id: next
type: io.kestra.plugin.scripts.shell.Commands
inputFiles: "{{ outputs.task.outputFiles }}"
commands:
  - cat summary.json reports/r.txt
""", outputs={"task": first}, execution=ctx1.execution, task_id="next")  # a task of the same execution
    assert ("INFO", '{"rows": 2}report') in scripts.messages(ctx2)
    assert second["outputFiles"] == {}


def test_input_file_names_cannot_leave_the_working_dir(scripts: Scripts) -> None:
    with pytest.raises(TaskFailed, match="must be a relative path inside the working directory"):
        scripts.run("""
id: task
type: io.kestra.plugin.scripts.shell.Commands
inputFiles:
  ../../escape.txt: x
commands: [ "true" ]
""")


def test_namespace_files_are_copied_in(scripts: Scripts, storage: LocalStorage) -> None:
    storage.put("kestra:///company/team/_files/scripts/etl.py", b"print('etl ran')")
    storage.put("kestra:///company/team/_files/notes.md", b"# notes")
    _, ctx = scripts.run("""
id: task
type: io.kestra.plugin.scripts.python.Commands
namespaceFiles:
  enabled: true
  include: ["scripts/**"]
commands:
  - python scripts/etl.py
  - test ! -e notes.md && echo no-notes
""")
    assert ("INFO", "etl ran") in scripts.messages(ctx) and ("INFO", "no-notes") in scripts.messages(ctx)


def test_working_dir_is_fresh_and_named(scripts: Scripts) -> None:
    _, ctx = scripts.run("""
id: task
type: io.kestra.plugin.scripts.shell.Commands
commands:
  - test "$WORKING_DIR" = "{{ workingDir }}" && test "$(pwd)" = "$WORKING_DIR" && test "$HOME" = "$WORKING_DIR" && echo same
  - ls -A | grep -v '^.outputs$' | wc -l
""")
    assert ("INFO", "same") in scripts.messages(ctx) and ("INFO", "0") in scripts.messages(ctx)


def test_cancelling_the_task_kills_its_processes(scripts: Scripts, marker: str) -> None:
    task = scripts.harness.task(f"""
id: task
type: io.kestra.plugin.scripts.shell.Commands
commands:
  - sleep {marker}.7 &
  - sleep {marker}.8
""")
    ctx = scripts.context()

    async def scenario() -> None:
        running = asyncio.create_task(task.run(ctx))
        for _ in range(200):  # the sandbox may take a while to start on a loaded machine
            await asyncio.sleep(0.05)
            if processes_with(f"sleep {marker}"):
                break
        assert processes_with(f"sleep {marker}")
        running.cancel()  # what the worker does on timeout or kill
        with pytest.raises(asyncio.CancelledError):
            await running

    asyncio.run(scenario())
    assert processes_left(f"sleep {marker}") == []


@pytest.fixture
def marker() -> str:
    import uuid

    return str(100_000 + uuid.uuid4().int % 900_000)  # unique among the tests running beside this one
