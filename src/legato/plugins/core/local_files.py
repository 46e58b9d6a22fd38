"""storage.LocalFiles, Kestra's older way (deprecated there since 0.17, still found in flows) to move files in
and out of a WorkingDirectory: `inputs` writes files into the directory the WorkingDirectory's tasks share,
`outputs` stores files of that directory in internal storage. Outside a WorkingDirectory there is no shared
directory, so the task fails and says so; the modern form is `inputFiles`/`outputFiles` on WorkingDirectory and
on script tasks."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask, render_as
from legato.plugins.scripts import files
from legato.storage import task_run_prefix


@TASKS.register
class LocalFiles(RunnableTask):
    """Write files into the enclosing WorkingDirectory (`inputs`: name → content, or a kestra:/// or
    nsfile:/// URI) and store files of it matching glob patterns (`outputs`); `uris` maps each stored file's
    relative path to its URI."""

    TYPE: ClassVar[str] = "storage.LocalFiles"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.storage.LocalFiles", "io.kestra.core.tasks.storages.LocalFiles")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: input_files
type: io.kestra.plugin.core.storage.LocalFiles
inputs:
  hello.txt: "Hello World"
  data.json: "{{ outputs.download.uri }}"
""",
        """\
id: output_files
type: io.kestra.plugin.core.storage.LocalFiles
outputs:
  - out.txt
  - "reports/**"
""",
    )

    inputs: dict[str, str] | Expression | None = Field(
        default=None, description="Files to create: relative path → content, or an internal storage / nsfile URI.")
    outputs: list[str] | Expression | None = Field(
        default=None, description="Glob patterns, relative to the working directory, of the files to store (`sub/**`).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        workdir = ctx.working_dir
        if workdir is None:
            raise TaskFailed("LocalFiles works inside a WorkingDirectory task only (its tasks share one directory); "
                             "elsewhere use the inputFiles and outputFiles properties of script tasks")
        inputs = files.input_files_map(ctx.render(self.inputs)) if self.inputs is not None else {}
        rendered = ctx.render(self.outputs) if self.outputs is not None else []
        patterns = render_as(ctx, [rendered] if isinstance(rendered, str) else rendered, list[str], "outputs")
        run = ctx.task_run
        prefix = task_run_prefix(ctx.execution.namespace, ctx.execution.flow_id, ctx.execution.id, run.task_id, run.id)

        def move() -> dict[str, str]:
            files.stage_inputs(workdir, inputs, ctx.storage, ctx.execution.namespace)
            return files.collect_outputs(workdir, patterns, None, set(), ctx.storage, prefix) if patterns else {}

        uris = await asyncio.to_thread(move)
        return {"uris": uris}
