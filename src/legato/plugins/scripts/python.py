"""Python Script and Commands. `python` is a real interpreter (see tools.py); `dependencies:` are installed
with uv into a cached virtualenv; `from kestra import Kestra` and `import legato_helpers` work as is."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.runnable import Expression, render_as
from legato.plugins.scripts import deps, tools
from legato.plugins.scripts.base import CommandLines, InlineScript, ScriptBase, Tooling
from legato.runners.base import Runner


class PythonOptions(ScriptBase):
    """Properties of the Python tasks."""

    DEFAULT_IMAGE: ClassVar[str] = "python:3.13-slim"

    dependencies: list[str] | Expression | None = Field(default=None, description="Python packages (pip requirement strings) installed with uv before the run, into a virtualenv cached by this list and the Python version.")
    dependencyCacheEnabled: bool = Field(default=True, description="Reuse the cached virtualenv of this dependency list; when false, install into a fresh one for this run.")
    pythonVersion: str | None = Field(default=None, description="Python version for the dependencies' virtualenv (uv finds or downloads it); default: the worker's interpreter.")
    packageManager: Literal["UV", "PIP"] | None = Field(default=None, description="Kestra compatibility: dependencies are always installed with uv.")

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        if self.dependencies is None:
            return Tooling()
        wanted = [str(d) for d in render_as(ctx, ctx.render(self.dependencies), list[str], "dependencies") if str(d).strip()]
        if not wanted:
            return Tooling()
        if runner.name == "docker":
            # the container has its own interpreter: install there, quietly, before the script
            return Tooling(before=[shlex.join(["python", "-m", "pip", "install", "--quiet", *wanted])])
        root = None if self.dependencyCacheEnabled else workdir / ".legato-venv"
        venv = await asyncio.to_thread(
            deps.ensure_env, wanted, tools.python_interpreter(), python_version=self.pythonVersion,
            log=ctx.logger.info, root=root,
        )
        return Tooling(path=[venv / "bin"], env={"VIRTUAL_ENV": str(venv)})


@TASKS.register
class Script(PythonOptions, InlineScript):
    """Run an inline Python script. Print `::{"outputs": {...}}::` (or call `Kestra.outputs`) to publish values."""

    TYPE: ClassVar[str] = "scripts.python.Script"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.python.Script",)
    EXTENSION: ClassVar[str] = ".py"
    RUN_FILE: ClassVar[tuple[str, ...]] = ("python",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: compute
type: io.kestra.plugin.scripts.python.Script
script: |
  from kestra import Kestra
  Kestra.outputs({"total": 40 + 2})
""",
        """\
id: with_packages
type: scripts.python.Script
dependencies:
  - six
script: |
  import six
  print(six.__version__)
""",
    )


@TASKS.register
class Commands(PythonOptions, CommandLines):
    """Run Python from command lines (`python main.py`), with files given as inputFiles or namespace files."""

    TYPE: ClassVar[str] = "scripts.python.Commands"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.python.Commands",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: run_main
type: io.kestra.plugin.scripts.python.Commands
inputFiles:
  main.py: |
    import sys
    print("hello", sys.argv[1])
commands:
  - python main.py world
""",
    )
