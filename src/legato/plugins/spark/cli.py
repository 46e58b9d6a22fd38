"""io.kestra.plugin.spark.SparkCLI: Spark command lines (`spark-submit`, `spark-sql`, ...) run as a script task.
As in Kestra, Spark's bin folder is added at the end of PATH unless a `beforeCommands` line sets PATH itself:
/opt/spark/bin in a container, the pyspark of `legato[spark]` under the process and sandbox runners."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import ClassVar

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.scripts.base import CommandLines, Tooling
from legato.plugins.scripts.execution import CONTAINERS
from legato.plugins.spark.tooling import IMAGE_BIN, KESTRA, SparkTask, pyspark_bin
from legato.runners.base import Runner


@TASKS.register
class SparkCLI(SparkTask, CommandLines):
    """Run Spark command lines (`spark-submit --master local[*] app.py`); Spark's log lines are logged at their
    own level, never as warnings of the task."""

    TYPE: ClassVar[str] = "spark.SparkCLI"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.SparkCLI",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: spark_cli
type: io.kestra.plugin.spark.SparkCLI
inputFiles:
  pi.py: |
    from operator import add
    from random import random
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("PythonPi").getOrCreate()
    n = 200000
    inside = spark.sparkContext.parallelize(range(n), 2).map(lambda _: 1 if random() ** 2 + random() ** 2 <= 1 else 0).reduce(add)
    print("Pi is roughly %f" % (4.0 * inside / n))
    spark.stop()
commands:
  - spark-submit --name Pi --master "local[*]" pi.py
""",)

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        tooling = await super().tooling(ctx, runner, workdir)
        if not self._sets_path():
            folder = IMAGE_BIN if runner.name in CONTAINERS else str(pyspark_bin() or IMAGE_BIN)
            tooling.before.insert(0, f'export PATH="$PATH":{shlex.quote(folder)}')
        return tooling

    def _sets_path(self) -> bool:
        before = self.beforeCommands
        lines = [before] if isinstance(before, str) else before or []
        return any("export PATH" in line for line in lines)
