"""PythonSubmit, JarSubmit, RSubmit and SparkCLI on a real local Spark (pyspark's spark-submit, `local[2]`, the
machine's Java): a PySpark word count reading a file shipped with `appFiles` and writing one collected by
`outputFiles`, a Java application compiled here with javac and submitted from internal storage, an R script,
`spark-submit --version` through SparkCLI, and examples/spark.yaml with `legato flow run`. Spark's log lines
(stderr) are logged at their level and leave the task in SUCCESS.

The commands run under the unisolated process runner (LEGATO_UNSAFE_PROCESS_RUNNER=true), as on a trusted worker:
the tests run as root, where Spark's driver fails inside the isolated runner's sandbox (see docs/plugins.md, Spark)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.flow_cli import run_flow
from tests.integration.spark.conftest import SPARK, build_jar, spark_context
from tests.unit.plugins.conftest import Harness

from legato.storage import LocalStorage

pytestmark = SPARK

WORDS = "to be or not to be\nthat is the question\n"

WORD_COUNT = """\
import json
import sys
from pyspark.sql import SparkSession

source, target = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.getOrCreate()
lines = spark.sparkContext.textFile(source)
counts = dict(lines.flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b).collect())
with open(target, "w") as out:
    json.dump(counts, out, sort_keys=True)
sc = spark.sparkContext
print("::" + json.dumps({"outputs": {"distinct": len(counts), "app": sc.appName, "master": sc.master,
                                     "partitions": sc.getConf().get("spark.default.parallelism")}}) + "::")
spark.stop()
"""

APP = """\
package spark.samples;

import org.apache.spark.sql.SparkSession;

public class App {
    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().getOrCreate();
        long evens = spark.range(0, 1000).filter("id % 2 = 0").count();
        System.out.println("Hello " + args[0] + " from " + spark.sparkContext().appName() + ": " + evens + " even numbers");
        spark.stop();
    }
}
"""


def _execution_file(storage: LocalStorage, ctx: object, name: str, content: bytes) -> str:
    """A file of the execution, as a FILE input stores it."""
    execution = ctx.execution  # type: ignore[attr-defined]
    return storage.put(f"kestra:///company/team/orders/executions/{execution.id}/inputs/file/{name}", content)


def test_python_submit_counts_words_of_an_app_file_into_an_output_file(harness: Harness, storage: LocalStorage,
                                                                       spark_bin: Path) -> None:
    ctx = spark_context(harness, storage, inputs={"target": "counts.json"})
    words = _execution_file(storage, ctx, "words.txt", WORDS.encode())
    out = harness.run({
        "id": "task", "type": "io.kestra.plugin.spark.PythonSubmit", "master": "local[2]", "name": "wordcount",
        "configurations": {"spark.ui.enabled": False, "spark.default.parallelism": 2},
        "appFiles": {"words.txt": words}, "args": ["words.txt", "{{ inputs.target }}"],
        "mainScript": WORD_COUNT, "outputFiles": ["*"],
    }, ctx)
    assert out["exitCode"] == 0
    assert out["vars"] == {"distinct": 8, "app": "wordcount", "master": "local[2]", "partitions": "2"}
    assert set(out["outputFiles"]) == {"counts.json"}  # not the script or the app file Legato put there
    counts = json.loads(storage.get(out["outputFiles"]["counts.json"]))
    assert counts["to"] == 2 and counts["be"] == 2 and counts["question"] == 1
    messages = harness.messages(ctx)
    assert any(level == "INFO" and "INFO SparkContext: Running Spark version 3.5" in m for level, m in messages)
    assert not ctx.effects.warning  # Spark logs on stderr, which is not a warning of the task


def test_jar_submit_runs_a_java_application_from_internal_storage(harness: Harness, storage: LocalStorage,
                                                                  spark_bin: Path, javac: str, tmp_path: Path) -> None:
    jar = build_jar(javac, spark_bin, APP, "spark.samples.App", tmp_path / "build")
    ctx = spark_context(harness, storage)
    uri = _execution_file(storage, ctx, "app.jar", jar.read_bytes())
    out = harness.run(f"""
id: task
type: io.kestra.plugin.spark.JarSubmit
master: "local[*]"
name: evens
mainResource: "{uri}"
mainClass: spark.samples.App
args:
  - Legato
configurations:
  spark.ui.enabled: "false"
""", ctx)
    assert out["exitCode"] == 0 and out["outputFiles"] == {}
    assert ("INFO", "Hello Legato from evens: 500 even numbers") in harness.messages(ctx)


def test_spark_cli_runs_the_spark_submit_of_legato_spark(harness: Harness, storage: LocalStorage, spark_bin: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no spark-submit on the worker's PATH: the task adds pyspark's
    ctx = spark_context(harness, storage)
    out = harness.run("""
id: task
type: io.kestra.plugin.spark.SparkCLI
commands:
  - spark-submit --version
  - command -v spark-submit > where.txt
outputFiles:
  - where.txt
""", ctx)
    assert out["exitCode"] == 0
    assert storage.get(out["outputFiles"]["where.txt"]).decode().strip() == str(spark_bin / "spark-submit")
    assert any("version 3.5" in m for _, m in harness.messages(ctx))
    assert not ctx.effects.warning


def test_r_submit_runs_an_r_script_through_spark_submit(harness: Harness, storage: LocalStorage, spark_bin: Path) -> None:
    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed (RSubmit needs Rscript where spark-submit runs)")
    ctx = spark_context(harness, storage)
    out = harness.run({"id": "task", "type": "io.kestra.plugin.spark.RSubmit", "master": "local[1]", "args": ["Legato"],
                       "mainScript": 'cat("Hello", commandArgs(trailingOnly = TRUE)[1], "from R\\n")\n'}, ctx)
    assert out["exitCode"] == 0
    assert ("INFO", "Hello Legato from R") in harness.messages(ctx)  # SparkR itself is not in pyspark's package


EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "spark.yaml"


def test_the_example_counts_words_end_to_end(tmp_path: Path, spark_bin: Path) -> None:
    done = run_flow(EXAMPLE.read_text(), tmp_path, env={"LEGATO_UNSAFE_PROCESS_RUNNER": "true"},
                    inputs={"text": "a rose is a rose is a rose"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "3 distinct words, 'rose' first" in done.stdout + done.stderr
