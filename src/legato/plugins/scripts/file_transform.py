"""Kestra's Python FileTransform tasks, `scripts.jython.FileTransform` (deprecated in Kestra) and
`graalvm.python.FileTransform`: a Python script run once per row of a file, its rows written to a new ION file.

The script sees `row` (the row, a dict for a record), `logger` (`logger.info('row: {}', row)`) and the flow's
variables (`inputs`, `outputs`, `execution`...); it changes `row` in place, replaces it, sets it to None to drop the
row, or sets `rows` to a list to write several rows instead. Kestra runs these scripts in the worker's JVM (Jython:
Python 2.7; GraalPy: Python 3). Legato runs them with CPython 3 in a script runner, like a `scripts.python.Script`
(the worker's default runner: the sandbox or an isolated process), through file_transform_child.py; a Jython script
written in Python 2-only syntax must be updated. `from` is a kestra:/// file of ION rows or, as in Kestra, a JSON
text (a list of rows, or one row). ION timestamps and decimals reach the script as datetime and Decimal.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression, RunnableTask, render_optional
from legato.plugins.scripts import file_transform_child as child
from legato.plugins.scripts import tools
from legato.plugins.scripts.execution import work_root
from legato.plugins.serdes.base import read_ion, record_metric, write_ion
from legato.runners import select
from legato.runners.base import CommandSpec, CommandTimedOut, RunnerError
from legato.runners.environment import script_environment

# The variables a script sees, as Kestra binds its run context's (the others are Legato's own).
_VARIABLES = (
    "flow",
    "execution",
    "task",
    "taskrun",
    "parent",
    "parents",
    "inputs",
    "outputs",
    "vars",
    "labels",
    "trigger",
    "envs",
    "globals",
)


class PythonFileTransform(RunnableTask):
    """Transform each row of a file with a Python script; the rows it gives are written to a new ION file."""

    from_: str | list[Any] | dict[str, Any] = Field(
        alias="from",
        description="The rows: a kestra:/// URI of an ION file (rendered), or a JSON text, list or map "
        "of rows (one map is one row).",
    )
    script: str = Field(
        description="The Python script run for each row, rendered once before the first. It sees "
        "`row`, `logger` and the flow's variables; setting `row` to None drops the row, setting "
        "`rows` to a list writes those rows instead."
    )
    concurrent: int | Expression | None = Field(
        default=None,
        description="Rows transformed at a time (at least 2); unset: one after the other, the "
        "script's globals carrying over from one row to the next.",
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        concurrent = render_optional(ctx, self.concurrent, int, "concurrent")
        if concurrent is not None and concurrent < 2:
            raise TaskFailed("property 'concurrent' must be at least 2")
        source = ctx.render(self.from_)
        workdir = Path(tempfile.mkdtemp(prefix="legato-transform-", dir=work_root()))
        try:
            await asyncio.to_thread(self._stage, ctx, source, workdir)
            await self._execute(ctx, workdir, concurrent)
            return await asyncio.to_thread(self._store, ctx, workdir / "out.jsonl")
        finally:
            await asyncio.to_thread(shutil.rmtree, workdir, True)

    def _stage(self, ctx: RunContext, source: Any, workdir: Path) -> None:
        shutil.copyfile(child.__file__, workdir / "file_transform_child.py")
        (workdir / "script.py").write_text(ctx.render_string(self.script))
        known = getattr(ctx, "variables", {})
        variables = {k: known[k] for k in _VARIABLES if k in known}
        (workdir / "variables.json").write_text(json.dumps(child.encode(variables)))
        with (workdir / "rows.jsonl").open("w", encoding="utf-8") as rows, _rows(ctx, source) as values:
            rows.writelines(json.dumps(child.encode(v)) + "\n" for v in values)

    async def _execute(self, ctx: RunContext, workdir: Path, concurrent: int | None) -> None:
        try:
            runner = select.choose(None, ctx.runner_settings).runner
        except RunnerError as exc:
            raise TaskFailed(str(exc)) from None
        ctx.effects.extra["runner"] = runner.name
        visible = runner.visible_workdir(workdir)
        line = shlex.join(
            [
                "python",
                "file_transform_child.py",
                "script.py",
                "rows.jsonl",
                "out.jsonl",
                *([str(concurrent)] if concurrent else []),
            ]
        )
        spec = CommandSpec(
            argv=["/bin/sh", "-c", line],
            workdir=workdir,
            env=script_environment(visible),
            path_prefix=[tools.python_shims()],
            namespace=ctx.execution.namespace,
            note=ctx.logger.warn,
        )
        errors: list[str] = []

        def on_line(text: str, stderr: bool) -> None:
            level, _, message = text.partition(" ")
            if stderr or level not in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR"):
                ctx.logger.warn(text)
                return
            if level == "ERROR":
                errors.append(message)
            getattr(ctx.logger, level.lower())(message)

        try:
            code = await runner.run(spec, on_line)
        except (CommandTimedOut, RunnerError) as exc:
            raise TaskFailed(str(exc)) from None
        if code != 0:
            raise TaskFailed(errors[-1] if errors else f"the transform ended with exit code {code}")

    def _store(self, ctx: RunContext, produced: Path) -> dict[str, Any]:
        with (
            stream.Output(ctx, f"{ctx.task_run.task_id}.ion") as out,
            produced.open(encoding="utf-8") as lines,
        ):
            count = write_ion(out, (child.decode(line) for line in lines if line.strip()))
            uri = out.save()
        record_metric(ctx, count)
        return {"uri": uri}


@contextlib.contextmanager
def _rows(ctx: RunContext, source: Any) -> Iterator[Iterator[Any]]:
    """The rows `from` names: an ION file of internal storage, or JSON rows."""
    if isinstance(source, str) and source.strip().startswith("kestra://"):
        handle: BinaryIO
        with stream.opened(ctx, source.strip()) as handle:
            try:
                yield read_ion(handle)
            except ValueError as exc:
                raise TaskFailed(
                    f"property 'from': {source.strip()} is not a file of ION rows: {exc}"
                ) from None
        return
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except ValueError:
            raise TaskFailed(
                f"property 'from' must be a kestra:/// URI or JSON rows, not {source[:100]!r}"
            ) from None
    yield iter(source if isinstance(source, list) else [source])


@TASKS.register
class JythonFileTransform(PythonFileTransform):
    """Transform each row of a file with a Python script (Kestra's Jython task; run with CPython 3 here)."""

    TYPE: ClassVar[str] = "scripts.jython.FileTransform"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.jython.FileTransform",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: add_column
type: io.kestra.plugin.scripts.jython.FileTransform
from: "{{ outputs.extract.uri }}"
script: |
  logger.info('row: {}', row)
  row['inserted_from'] = 'legato'
""",
    )


@TASKS.register
class GraalPythonFileTransform(PythonFileTransform):
    """Transform each row of a file with a Python script (Kestra's GraalPy task; run with CPython 3 here)."""

    TYPE: ClassVar[str] = "graalvm.python.FileTransform"

    options: dict[str, str] | None = Field(
        default=None,
        description="Kestra compatibility: GraalVM context options; "
        "accepted, not applied (CPython runs the script).",
    )
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.graalvm.python.FileTransform",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: reshape
type: io.kestra.plugin.graalvm.python.FileTransform
from: '[{"id": 1, "qty": 2, "price": 3.5}, {"id": 666}]'
script: |
  if row['id'] == 666:
      row = None  # dropped
  else:
      row = {'id': row['id'], 'total': row['qty'] * row['price']}
""",
    )
