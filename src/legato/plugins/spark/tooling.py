"""What every Spark task shares: where spark-submit is (the pyspark of `legato[spark]` under the process and
sandbox runners, /opt/spark/bin in Spark's image), what the run's environment needs (JAVA_HOME), and how Spark's
log lines are read."""

from __future__ import annotations

import os
import re
import shutil
from importlib.util import find_spec
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from legato.plugins.context import RunContext
from legato.plugins.scripts.base import ScriptBase, Tooling
from legato.plugins.scripts.execution import CONTAINERS
from legato.plugins.scripts.protocol import Collector, parse
from legato.runners import isolated, isolation, sandbox
from legato.runners.base import Runner

IMAGE = "apache/spark:4.0.1-java21-r"
IMAGE_BIN = "/opt/spark/bin"  # where Spark's image keeps spark-submit
KESTRA = "io.kestra.plugin.spark"
_FRAMES = ("\tat ", "\t... ")  # a Java stack trace's frames
# log4j's default layout in Spark: `26/12/08 00:06:22 WARN NativeCodeLoader: ...`
_LOG4J = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) ")


# An isolated run has a uid of its own that names no user: the JVM's user.home would be `?` (Spark's Ivy setup
# refuses it), so the driver's JVM gets the run's HOME (its working directory); log4j's JMX set-up fails there too.
# Spark's scratch space (shipped files, shuffle, broadcasts) goes in the working directory rather than the shared
# /tmp, where a run confined by Landlock cannot use the folders it creates; a task's own values win.
SPARK_ENV = [
    'export SPARK_SUBMIT_OPTS="-Duser.home=$HOME -Dlog4j2.disable.jmx=true${SPARK_SUBMIT_OPTS:+ $SPARK_SUBMIT_OPTS}"',
    'export SPARK_LOCAL_DIRS="${SPARK_LOCAL_DIRS:-$PWD/.spark-local}"',
]

# Under an isolated runner of a worker running as root, Spark's driver does not start: the run's uid has a name (Hadoop's
# login needs one, runners/confine.py gives it), but Spark's executor metrics then fail to initialise in the sandbox
# (a NullPointerException in ExecutorMetricType); a worker running as another user was not tried.
SANDBOXED_AS_ROOT = ("this worker runs as root and the task's runner is isolated: Spark's driver has been seen failing "
                     "there (NullPointerException in Spark's ExecutorMetricType set-up): use a docker taskRunner, or set "
                     "LEGATO_UNSAFE_PROCESS_RUNNER=true on a trusted worker")


def pyspark_bin() -> Path | None:
    """The `bin` folder of the installed pyspark (spark-submit, spark-sql, ...), if pyspark is installed."""
    try:
        spec = find_spec("pyspark")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "bin"
    return folder if (folder / "spark-submit").is_file() else None


def in_container(ctx: RunContext) -> bool:
    """Whether this attempt's command runs in a container (the runner is chosen before the command is built)."""
    return ctx.effects.extra.get("runner") in CONTAINERS


def worker_env(task_env: dict[str, object] | None) -> dict[str, str]:
    """Variables of the worker a Spark run needs and the allow-listed environment leaves out: JAVA_HOME, when
    set and not given by the task."""
    java = os.environ.get("JAVA_HOME")
    return {"JAVA_HOME": java} if java and "JAVA_HOME" not in (task_env or {}) else {}


class SparkLogs(Collector):
    """Spark logs through log4j on stderr: a log4j line is logged at its own level, any other stderr line at
    INFO (as Kestra's Spark tasks log them). The error of a failed run quotes the last stderr lines that say what
    went wrong (a Python traceback, an exception), not Spark's routine log lines or Java stack frames."""

    def __call__(self, line: str, is_stderr: bool) -> None:
        if not is_stderr or parse(line) is not None:
            super().__call__(line, is_stderr)
            return
        self.stderr_lines += 1
        match = _LOG4J.match(line)
        level = match.group(1) if match else "INFO"
        if level in ("WARN", "ERROR", "FATAL") or (match is None and not line.startswith(_FRAMES)):
            self.tail.append(line)
        {"TRACE": self.logger.trace, "DEBUG": self.logger.debug, "WARN": self.logger.warn,
         "ERROR": self.logger.error, "FATAL": self.logger.error}.get(level, self.logger.info)(line)


class SparkTask(ScriptBase):
    """The properties and behaviour of every Spark task."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("pyspark",)
    EXTRA: ClassVar[str] = "spark"
    DEFAULT_IMAGE: ClassVar[str] = IMAGE

    containerImage: str | None = Field(default=None, description=f"Image used by container runners (default {IMAGE}); ignored by the process and sandbox runners, which run the spark-submit of `legato[spark]`.")
    warningOnStdErr: bool = Field(default=False, description="End in WARNING when Spark wrote to stderr; off by default, since Spark writes all its logs there.")

    def collector(self, ctx: RunContext) -> Collector:
        return SparkLogs(ctx.logger)

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        if runner.name in CONTAINERS:
            return Tooling()
        env = worker_env(self.env)
        if not env and "JAVA_HOME" not in (self.env or {}) and shutil.which("java") is None:
            ctx.logger.warn("java is not on the worker's PATH and JAVA_HOME is not set: Spark needs a Java runtime (17)")
        if isolation.as_root() and isinstance(runner, isolated.IsolatedRunner | sandbox.SandboxRunner):
            ctx.logger.warn(SANDBOXED_AS_ROOT)
        return Tooling(env=env, before=list(SPARK_ENV))
