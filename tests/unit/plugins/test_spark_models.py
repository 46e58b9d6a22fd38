"""The Spark family (legato.plugins.spark): every type under Legato's short name and Kestra's, documented, with
examples that validate, behind the `spark` extra; Kestra's properties and defaults of the submit tasks."""

from __future__ import annotations

import pytest

from legato.plugins import registry
from legato.plugins.runnable import RunnableTask
from tests.unit.plugins.documented import assert_documented

TYPES = ("SparkCLI", "PythonSubmit", "JarSubmit", "RSubmit")


@pytest.mark.parametrize("name", TYPES)
def test_each_type_is_registered_documented_and_its_examples_validate(name: str) -> None:
    tasks = registry()
    cls = tasks.lookup(f"io.kestra.plugin.spark.{name}")
    assert cls is not None and issubclass(cls, RunnableTask)
    assert f"spark.{name}" == cls.TYPE and tasks.lookup(cls.TYPE) is cls
    assert cls.__module__.startswith("legato.plugins.spark.")
    assert (cls.REQUIRES, cls.EXTRA) == (("pyspark",), "spark")
    assert_documented(cls, name=name)


def test_submit_tasks_have_kestras_properties_and_defaults() -> None:
    cls = registry().lookup("io.kestra.plugin.spark.JarSubmit")
    assert cls is not None
    task = cls.model_validate({"id": "t", "type": "io.kestra.plugin.spark.JarSubmit", "master": "local[*]",
                               "mainResource": "kestra:///a/app.jar", "mainClass": "App"})
    dumped = task.model_dump()
    assert {"master", "name", "args", "appFiles", "verbose", "configurations", "deployMode", "sparkSubmitPath", "env",
            "runner", "docker", "taskRunner", "containerImage", "jars", "mainResource", "mainClass"} <= set(dumped)
    assert (dumped["verbose"], dumped["deployMode"], dumped["sparkSubmitPath"]) == (False, "CLIENT", "/opt/spark/bin/spark-submit")
    assert cls.DEFAULT_IMAGE == "apache/spark:4.0.1-java21-r"
    with pytest.raises(ValueError, match="mainClass"):
        cls.model_validate({"id": "t", "type": "io.kestra.plugin.spark.JarSubmit", "master": "local", "mainResource": "a.jar"})
