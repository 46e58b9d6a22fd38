"""Kestra's command-line tasks of tools that bring their own CLI: `sqlmesh.cli.SQLMeshCLI` and `modal.cli.ModalCLI`
(`spark.SparkCLI` is in the Spark family, legato.plugins.spark). Each is a `Commands` task (`/bin/sh -c`, `beforeCommands`, `env`, `inputFiles`,
`namespaceFiles`, `outputFiles`, `taskRunner`) whose container runners default to the tool's image, as Kestra's do;
under the process and sandbox runners the tool must be on the worker's PATH (or installed by `beforeCommands`), and
the task warns when it is not. Modal reads its credentials from `env` (MODAL_TOKEN_ID, MODAL_TOKEN_SECRET)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import ClassVar

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.scripts.base import CommandLines, Tooling
from legato.runners.base import Runner


class ToolCommands(CommandLines):
    """Command lines of one tool, with its image for container runners."""

    TOOL: ClassVar[str] = ""

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        if runner.name != "docker" and not self.beforeCommands and shutil.which(self.TOOL) is None:
            ctx.logger.warn(f"{self.TOOL} is not on the worker's PATH: install it, or run this task with a docker "
                            f"taskRunner (image {self.DEFAULT_IMAGE})")
        return Tooling()


@TASKS.register
class SQLMeshCLI(ToolCommands):
    """Run SQLMesh command lines (`sqlmesh plan --auto-apply`, `sqlmesh run`)."""

    TYPE: ClassVar[str] = "sqlmesh.cli.SQLMeshCLI"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.sqlmesh.cli.SQLMeshCLI",)
    DEFAULT_IMAGE: ClassVar[str] = "ghcr.io/kestra-io/sqlmesh"
    TOOL: ClassVar[str] = "sqlmesh"
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: sqlmesh
type: io.kestra.plugin.sqlmesh.cli.SQLMeshCLI
namespaceFiles:
  enabled: true
beforeCommands:
  - sqlmesh init duckdb
commands:
  - sqlmesh plan --auto-apply
""",)


@TASKS.register
class ModalCLI(ToolCommands):
    """Run Modal command lines (`modal run gpu.py`); the credentials go in `env`."""

    TYPE: ClassVar[str] = "modal.cli.ModalCLI"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.modal.cli.ModalCLI",)
    DEFAULT_IMAGE: ClassVar[str] = "ghcr.io/kestra-io/modal"
    TOOL: ClassVar[str] = "modal"
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: modal
type: io.kestra.plugin.modal.cli.ModalCLI
env:
  MODAL_TOKEN_ID: "{{ secret('MODAL_TOKEN_ID') }}"
  MODAL_TOKEN_SECRET: "{{ secret('MODAL_TOKEN_SECRET') }}"
namespaceFiles:
  enabled: true
commands:
  - modal run gpu.py
""",)
