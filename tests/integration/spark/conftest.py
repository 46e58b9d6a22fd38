"""Fixtures of the Spark tests: the real Spark of `legato[spark]` (pyspark's spark-submit, `local[*]` master) on
the machine's Java; without either the tests skip, or fail in CI (CI=true). A JVM start costs seconds, so the tests
that start Spark are few and grouped on one xdist worker (`pytest.mark.xdist_group("spark")`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.services import unavailable
from tests.unit.plugins.conftest import Harness
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

from legato.plugins import registry
from legato.plugins.spark.tooling import pyspark_bin
from legato.runners.select import RunnerSettings
from legato.storage import LocalStorage

registry()

SPARK = [pytest.mark.slow, pytest.mark.xdist_group("spark")]


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


@pytest.fixture(scope="session")
def spark_bin() -> Path:
    """pyspark's bin folder (spark-submit), with a Java runtime to run it."""
    folder = pyspark_bin()
    if folder is None:
        unavailable("Spark (pip install 'legato[spark]')", "pyspark is not installed")
    if shutil.which("java") is None:
        unavailable("Java (for Spark)", "no java on PATH")
    assert folder is not None
    return folder


@pytest.fixture(scope="session")
def javac() -> str:
    found = shutil.which("javac")
    if found is None:
        unavailable("a JDK (javac, to build the test's Spark application)", "no javac on PATH")
    assert found is not None
    return found


def spark_context(harness: Harness, storage: LocalStorage, **kwargs: Any) -> Any:
    """A task's context whose commands run unisolated (LEGATO_UNSAFE_PROCESS_RUNNER=true): as this worker's user."""
    ctx = harness.context(storage=storage, **kwargs)
    ctx.runner_settings = RunnerSettings(unsafe=True)
    return ctx


def build_jar(javac: str, spark_bin: Path, source: str, main_class: str, folder: Path) -> Path:
    """`source` (one Java class) compiled against Spark's jars and packed as app.jar in `folder`."""
    src = folder / "src" / f"{main_class.rsplit('.', 1)[-1]}.java"
    src.parent.mkdir(parents=True)
    src.write_text(source)
    classes = folder / "classes"
    classpath = str(spark_bin.parent / "jars" / "*")
    subprocess.run([javac, "-d", str(classes), "-cp", classpath, str(src)], check=True, capture_output=True, timeout=180)
    jar = folder / "app.jar"
    jar_tool = str(Path(javac).resolve().with_name("jar"))
    subprocess.run([jar_tool, "cf", str(jar), "-C", str(classes), "."], check=True, capture_output=True, timeout=60)
    return jar


__all__ = ["SPARK", "Harness", "build_jar", "clock", "harness", "spark_context"]
