"""io.kestra.plugin.spark.PythonSubmit, JarSubmit and RSubmit: one `spark-submit` command built from typed
properties, as Kestra's SparkLauncher builds it, run as a script task. The application (`mainScript` written to a
file, or `mainResource`'s jar) and the files of `appFiles`, `jars` and `pythonFiles` are put in the working
directory; a value of those maps that is not a storage URI (a path, an http:// or hdfs:// URL) goes to Spark as is.

spark-submit is `sparkSubmitPath` (Kestra's default /opt/spark/bin/spark-submit, where Spark's image has it); under
the process and sandbox runners, when that default does not exist on the worker, the one of `legato[spark]`."""

from __future__ import annotations

import abc
import json
import secrets
import shlex
import shutil
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, render_as
from legato.plugins.scripts import files
from legato.plugins.scripts.templates import RunTemplates
from legato.plugins.spark.tooling import IMAGE_BIN, KESTRA, SparkTask, in_container, pyspark_bin

DEFAULT_SUBMIT = f"{IMAGE_BIN}/spark-submit"
_STORED = ("kestra://", "nsfile://")


class SparkSubmit(SparkTask):
    """What the three submit tasks share: the master, the application's name and arguments, Spark settings."""

    master: str = Field(description="The Spark master URL: `local[*]`, `local[4]`, `spark://host:7077`, `yarn`, `k8s://https://host:443`.")
    name: str | None = Field(default=None, description="The application's name (`--name`); Spark's default when unset.")
    args: list[str] | Expression | None = Field(default=None, description="Arguments given to the application, in order; a storage URI in one is replaced by the path of a local copy.")
    appFiles: dict[str, str] | Expression | None = Field(default=None, description="Files shipped with the application (`--files`): file name → storage URI, downloaded to the working directory under that name.")
    verbose: bool | Expression = Field(default=False, description="Print spark-submit's debugging output (`--verbose`).")
    configurations: dict[str, Any] | Expression | None = Field(default=None, description="Spark settings (`--conf key=value`), e.g. `spark.executor.memory: 2g`.")
    deployMode: Literal["CLIENT", "CLUSTER"] | Expression = Field(default="CLIENT", description="Where the driver runs: CLIENT (on the worker, the default) or CLUSTER (`--deploy-mode`).")
    sparkSubmitPath: str = Field(default=DEFAULT_SUBMIT, description="The spark-submit program. Under the process and sandbox runners, when the default path does not exist, the spark-submit of `legato[spark]` (pyspark) is used.")

    APP_EXTENSION: ClassVar[str] = ""

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        written: set[str] = set()
        argv = [self._submit(ctx, templates)]
        argv += ["--master", templates.text(self.master)]
        argv += ["--deploy-mode", str(render_as(ctx, self.deployMode, Literal["CLIENT", "CLUSTER"], "deployMode")).lower()]
        if self.name is not None:
            argv += ["--name", templates.text(self.name)]
        for key, value in self._map(ctx, self.configurations, "configurations").items():
            argv += ["--conf", f"{key}={_text(value)}"]
        resource = self.app_resource(ctx, templates, workdir, written)
        argv += self.dependencies(ctx, workdir, written)
        appfiles = self._staged(ctx, workdir, self.appFiles, "appFiles", written)
        if appfiles:
            argv += ["--files", ",".join(appfiles)]
        argv += self.app_options(ctx, templates)
        if render_as(ctx, self.verbose, bool, "verbose"):
            argv.append("--verbose")
        argv.append(resource)
        argv += templates.commands(self.args, "args")
        return [shlex.join(argv)], written

    @abc.abstractmethod
    def app_resource(self, ctx: RunContext, templates: RunTemplates, workdir: Path, written: set[str]) -> str:
        """The application's file in the working directory (or its URL), added to `written` when Legato made it."""

    def dependencies(self, ctx: RunContext, workdir: Path, written: set[str]) -> list[str]:
        """spark-submit options naming the application's own dependencies (`--jars`, `--py-files`)."""
        return []

    def app_options(self, ctx: RunContext, templates: RunTemplates) -> list[str]:
        """spark-submit options of the application's kind (`--class`)."""
        return []

    def write_script(self, templates: RunTemplates, workdir: Path, script: str, written: set[str]) -> str:
        """`script`, rendered, written to a fresh file of the working directory; its name."""
        name = f"main-{secrets.token_hex(4)}{self.APP_EXTENSION}"
        (workdir / name).write_text(templates.text(script), encoding="utf-8")
        written.add(name)
        return name

    def _submit(self, ctx: RunContext, templates: RunTemplates) -> str:
        path = templates.text(self.sparkSubmitPath)
        if in_container(ctx) or path != DEFAULT_SUBMIT or Path(path).exists():
            return path
        folder = pyspark_bin()
        if folder is not None:
            return str(folder / "spark-submit")
        if shutil.which("spark-submit") is not None:
            return "spark-submit"
        raise TaskFailed("spark-submit is not installed on this worker: run pip install 'legato[spark]' (Spark also needs Java)")

    def _map(self, ctx: RunContext, value: dict[str, Any] | str | None, prop: str) -> dict[str, Any]:
        if value is None:
            return {}
        rendered = ctx.render(value)
        if isinstance(rendered, str):
            try:
                rendered = json.loads(rendered)
            except ValueError:
                raise TaskFailed(f"property '{prop}' must be a map") from None
        if not isinstance(rendered, dict):
            raise TaskFailed(f"property '{prop}' must be a map")
        return {str(k): v for k, v in rendered.items()}

    def _staged(self, ctx: RunContext, workdir: Path, value: dict[str, str] | str | None, prop: str,
                written: set[str]) -> list[str]:
        """The files of a name → URI map as spark-submit names them: storage URIs downloaded under their name."""
        out = []
        for name, uri in self._map(ctx, value, prop).items():
            out.append(self.stage(ctx, workdir, name, _text(uri), written))
        return out

    def stage(self, ctx: RunContext, workdir: Path, name: str, uri: str, written: set[str]) -> str:
        """`uri` downloaded to `name` in the working directory when it is a storage URI; else `uri` itself."""
        if not uri.strip().startswith(_STORED):
            return uri
        files.stage_inputs(workdir, {name: uri.strip()}, ctx.storage, ctx.execution.namespace)
        target = workdir / name
        # writable: in local mode Spark copies a shipped file twice (driver, then executor) keeping its mode
        target.chmod(target.stat().st_mode | 0o200)
        written.add(name)
        return name


@TASKS.register
class PythonSubmit(SparkSubmit):
    """Submit a PySpark application written inline (`mainScript`) with spark-submit."""

    TYPE: ClassVar[str] = "spark.PythonSubmit"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.PythonSubmit",)
    APP_EXTENSION: ClassVar[str] = ".py"
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: python_submit
type: io.kestra.plugin.spark.PythonSubmit
master: "local[*]"
args:
  - "10"
mainScript: |
  import sys
  from operator import add
  from random import random
  from pyspark.sql import SparkSession

  spark = SparkSession.builder.appName("PythonPi").getOrCreate()
  partitions = int(sys.argv[1]) if len(sys.argv) > 1 else 2
  n = 100000 * partitions
  count = spark.sparkContext.parallelize(range(n), partitions).map(lambda _: 1 if random() ** 2 + random() ** 2 <= 1 else 0).reduce(add)
  print("Pi is roughly %f" % (4.0 * count / n))
  spark.stop()
""",)

    mainScript: str = Field(description="The application's Python source, rendered, written to a .py file of the working directory and submitted.")
    pythonFiles: dict[str, str] | Expression | None = Field(default=None, description="Python modules or archives (.py, .zip, .egg) the application imports (`--py-files`): file name → storage URI.")

    def app_resource(self, ctx: RunContext, templates: RunTemplates, workdir: Path, written: set[str]) -> str:
        return self.write_script(templates, workdir, self.mainScript, written)

    def dependencies(self, ctx: RunContext, workdir: Path, written: set[str]) -> list[str]:
        found = self._staged(ctx, workdir, self.pythonFiles, "pythonFiles", written)
        return ["--py-files", ",".join(found)] if found else []


@TASKS.register
class JarSubmit(SparkSubmit):
    """Submit a JVM application (a jar and its main class) with spark-submit."""

    TYPE: ClassVar[str] = "spark.JarSubmit"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.JarSubmit",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: jar_submit
type: io.kestra.plugin.spark.JarSubmit
master: "local[*]"
mainResource: "{{ inputs.jar }}"
mainClass: spark.samples.App
args:
  - "{{ inputs.data }}"
""",)

    mainResource: str = Field(description="The application's jar: a storage URI (kestra:///..., e.g. a FILE input), downloaded to `app.jar` in the working directory, or a path or URL Spark reads itself.")
    mainClass: str = Field(description="The fully qualified class whose `main` starts the application (`--class`).")
    jars: dict[str, str] | Expression | None = Field(default=None, description="More jars on the application's class path (`--jars`): file name → storage URI.")

    def app_resource(self, ctx: RunContext, templates: RunTemplates, workdir: Path, written: set[str]) -> str:
        return self.stage(ctx, workdir, "app.jar", templates.text(self.mainResource), written)

    def dependencies(self, ctx: RunContext, workdir: Path, written: set[str]) -> list[str]:
        found = self._staged(ctx, workdir, self.jars, "jars", written)
        return ["--jars", ",".join(found)] if found else []

    def app_options(self, ctx: RunContext, templates: RunTemplates) -> list[str]:
        return ["--class", templates.text(self.mainClass)]


@TASKS.register
class RSubmit(SparkSubmit):
    """Submit a SparkR application written inline (`mainScript`) with spark-submit (R and Spark's R library must
    be where spark-submit runs, as in Spark's image)."""

    TYPE: ClassVar[str] = "spark.RSubmit"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.RSubmit",)
    APP_EXTENSION: ClassVar[str] = ".R"
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: r_submit
type: io.kestra.plugin.spark.RSubmit
master: spark://localhost:7077
containerImage: apache/spark:4.0.1-java21-r
taskRunner:
  type: io.kestra.plugin.scripts.runner.docker.Docker
  networkMode: host
mainScript: |
  library(SparkR, lib.loc = c(file.path(Sys.getenv("SPARK_HOME"), "R", "lib")))
  sparkR.session()
  print("SparkR session started")
  sparkR.stop()
""",)

    mainScript: str = Field(description="The application's R source, rendered, written to a .R file of the working directory and submitted.")

    def app_resource(self, ctx: RunContext, templates: RunTemplates, workdir: Path, written: set[str]) -> str:
        return self.write_script(templates, workdir, self.mainScript, written)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, dict | list) else str(value)
