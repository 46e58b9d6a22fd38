"""The spark-submit command the Spark tasks build, and what they do around it, without starting a JVM: each task
runs a stand-in spark-submit (`sparkSubmitPath`, a shell script shipped in `inputFiles`) that records its arguments
and writes Spark-like log lines; the real Spark runs are in test_spark_submit.py. Also: SparkCLI puts Spark's bin at
the end of PATH unless `beforeCommands` sets PATH, and a flow using the family without pyspark fails validation with
the pip line to run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.plugins.spark.tooling import pyspark_bin
from legato.runners import isolation
from legato.storage import LocalStorage

STAND_IN = """\
#!/bin/sh
for a in "$@"; do printf '%s\\n' "$a"; done > argv.txt
ls > listing.txt
echo "26/12/08 00:00:00 WARN StandIn: a warning of Spark" >&2
echo "a plain stderr line" >&2
echo '::{"outputs":{"submitted":true}}::'
if [ -n "$STAND_IN_EXIT" ]; then
  echo "ValueError: no such column" >&2
  printf '\tat org.apache.spark.Stand.run(Stand.scala:1)\n' >&2
  echo "26/12/08 00:00:01 INFO ShutdownHookManager: Shutdown hook called" >&2
fi
exit "${STAND_IN_EXIT:-0}"
"""


def _task(kind: str, **props: Any) -> dict[str, Any]:
    return {"id": "task", "type": f"io.kestra.plugin.spark.{kind}", "master": "local[2]",
            "sparkSubmitPath": "./bin/spark-submit", "inputFiles": {"bin/spark-submit": STAND_IN},
            "beforeCommands": ["chmod +x bin/spark-submit"], "outputFiles": ["*.txt"], **props}


def _put(storage: LocalStorage, ctx: Any, name: str, content: bytes) -> str:
    return storage.put(f"kestra:///company/team/orders/executions/{ctx.execution.id}/inputs/file/{name}", content)


def _argv(storage: LocalStorage, out: dict[str, Any]) -> list[str]:
    return storage.get(out["outputFiles"]["argv.txt"]).decode().splitlines()


def test_python_submit_builds_the_command_of_its_properties(harness: Harness, storage: LocalStorage) -> None:
    ctx = harness.context(storage=storage, inputs={"n": 10})
    data = _put(storage, ctx, "data.csv", b"a,b\n")
    helper = _put(storage, ctx, "helpers.py", b"X = 1\n")
    out = harness.run(_task(
        "PythonSubmit", name="pi-{{ inputs.n }}", args=["{{ inputs.n }}", data], verbose=True, deployMode="CLUSTER",
        configurations={"spark.executor.memory": "2g", "spark.ui.enabled": False},
        appFiles={"data.csv": data}, pythonFiles={"helpers.py": helper},
        mainScript="print('partitions: {{ inputs.n }}')\n"), ctx)
    assert out["exitCode"] == 0 and out["vars"] == {"submitted": True}
    argv = _argv(storage, out)
    script = argv[-3]
    assert argv == ["--master", "local[2]", "--deploy-mode", "cluster", "--name", "pi-10",
                    "--conf", "spark.executor.memory=2g", "--conf", "spark.ui.enabled=false",
                    "--py-files", "helpers.py", "--files", "data.csv", "--verbose", script, "10", argv[-1]]
    assert script.startswith("main-") and script.endswith(".py")
    assert argv[-1].endswith("/data.csv") and "kestra://" not in argv[-1]  # a storage URI in args: a local copy
    listing = storage.get(out["outputFiles"]["listing.txt"]).decode().split()
    assert {"data.csv", "helpers.py", script} <= set(listing)
    assert set(out["outputFiles"]) == {"argv.txt", "listing.txt"}  # not the files Legato put there
    messages = harness.messages(ctx)
    assert ("WARN", "26/12/08 00:00:00 WARN StandIn: a warning of Spark") in messages
    assert ("INFO", "a plain stderr line") in messages
    assert not ctx.effects.warning


def test_jar_submit_downloads_its_jar_and_names_its_class(harness: Harness, storage: LocalStorage) -> None:
    ctx = harness.context(storage=storage)
    jar, dep = _put(storage, ctx, "app-1.0.jar", b"PK jar"), _put(storage, ctx, "dep.jar", b"PK dep")
    out = harness.run(_task("JarSubmit", mainResource=jar, mainClass="spark.samples.App",
                            jars={"dep.jar": dep, "remote.jar": "https://repo.example/remote.jar"}), ctx)
    assert _argv(storage, out) == ["--master", "local[2]", "--deploy-mode", "client", "--jars",
                                   "dep.jar,https://repo.example/remote.jar", "--class", "spark.samples.App", "app.jar"]
    assert {"app.jar", "dep.jar"} <= set(storage.get(out["outputFiles"]["listing.txt"]).decode().split())
    # run isolated by a root worker, where Spark's driver fails (docs/plugins.md, Spark): the task says so first
    warned = any(level == "WARN" and "Spark's driver has been seen failing" in m for level, m in harness.messages(ctx))
    assert warned == isolation.as_root()


def test_a_failing_submit_fails_the_task_with_its_exit_code(harness: Harness, storage: LocalStorage) -> None:
    ctx = harness.context(storage=storage)
    with pytest.raises(TaskFailed, match="exit code 3") as failed:
        harness.run(_task("JarSubmit", mainResource="hdfs:///apps/app.jar", mainClass="App", env={"STAND_IN_EXIT": "3"}), ctx)
    # what went wrong, without Spark's routine lines or stack frames
    assert str(failed.value).splitlines()[1:] == ["26/12/08 00:00:00 WARN StandIn: a warning of Spark",
                                                  "a plain stderr line", "ValueError: no such column"]


def test_spark_cli_adds_spark_at_the_end_of_path_unless_before_commands_set_it(harness: Harness,
                                                                                storage: LocalStorage) -> None:
    folder = pyspark_bin()
    if folder is None:
        pytest.skip("pyspark is not installed")
    out = harness.run({"id": "task", "type": "io.kestra.plugin.spark.SparkCLI", "commands": ["echo \"$PATH\" > path.txt"],
                       "outputFiles": ["path.txt"]}, harness.context(storage=storage))
    assert storage.get(out["outputFiles"]["path.txt"]).decode().strip().endswith(f":{folder}")
    out = harness.run({"id": "task", "type": "io.kestra.plugin.spark.SparkCLI", "beforeCommands": ["export PATH=/usr/bin:/bin"],
                       "commands": ["echo \"$PATH\" > path.txt"], "outputFiles": ["path.txt"]},
                      harness.context(storage=storage))
    assert storage.get(out["outputFiles"]["path.txt"]).decode().strip() == "/usr/bin:/bin"


MISSING = """
import sys
sys.modules["pyspark"] = None  # as if the spark extra were not installed
from legato.cli.main import main
sys.argv = ["legato", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("kind", ["PythonSubmit", "JarSubmit", "SparkCLI"])
def test_without_pyspark_a_spark_flow_fails_validation_with_the_pip_line(kind: str, tmp_path: Path) -> None:
    body = {"PythonSubmit": "master: local\n    mainScript: print(1)", "JarSubmit": "master: local\n    mainResource: a.jar\n    mainClass: A",
            "SparkCLI": "commands: [spark-submit --version]"}[kind]
    (tmp_path / "flow.yaml").write_text(f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.spark.{kind}\n    {body}\n")
    done = subprocess.run([sys.executable, "-c", MISSING, "flow", "validate", "flow.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert (f"flow.yaml:5:11: tasks[0].type: task type 'io.kestra.plugin.spark.{kind}' needs the Python package(s) "
            "pyspark, not installed: run pip install 'legato[spark]'") in done.stderr, done.stderr
