"""Kestra's first script tasks, `io.kestra.core.tasks.scripts.Bash` and `Python` (deprecated there in favour of
`scripts.shell.*` and `scripts.python.*`, still in many older flows), run by the same machinery as the others.

What differs from today's script tasks, as Kestra had it: `interpreter` is one program (`/bin/sh`) and
`interpreterArgs` its arguments (`["-c"]`); `exitOnFailed` stops at the first failing line; `outputFiles` are
*names*: `{{ outputFiles.name }}` is the path of a file the command writes, uploaded after the run under that
name; `outputDirs` are names of folders (`{{ outputDirs.name }}`) whose files are all uploaded as
`name/relative/path`; `runner: DOCKER` with `dockerOptions` runs in a container. Python makes a virtualenv in
the working directory (`./bin/python`), installs `requirements` into it and runs `commands` (default
`./bin/python main.py`, `args` appended). Outputs: exitCode, stdOutLineCount, stdErrLineCount, vars, outputFiles.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, render_as
from legato.plugins.scripts import deps, tools, venvs
from legato.plugins.scripts.base import LegacyDocker, ScriptBase, Tooling
from legato.plugins.scripts.protocol import Collector
from legato.plugins.scripts.templates import RunTemplates
from legato.runners.base import Runner
from legato.runners.specs import DockerRunnerSpec, RunnerSpec

_OLD = "io.kestra.core.tasks.scripts"
_NAME = re.compile(r"^[^/\\]+$")
DEFAULT_PYTHON_COMMAND = "./bin/python main.py"


class LegacyScript(ScriptBase):
    """The properties of Kestra's first script tasks (AbstractBash)."""

    interpreter: str = Field(default="/bin/sh", description="The program that runs the command lines (it gets them, joined by newlines, after `interpreterArgs`).")  # type: ignore[assignment]
    interpreterArgs: list[str] = Field(default_factory=lambda: ["-c"], description="Arguments of the interpreter before the command lines.")
    exitOnFailed: bool | Expression = Field(default=True, description="Stop at the first failing command line (`set -o errexit`).")
    outputFiles: list[str] | Expression | None = Field(default=None, description="Names of output files: `{{ outputFiles.name }}` is the path of a file for the command to write, uploaded after the run; its storage URI is in outputs.outputFiles.name.")
    outputDirs: list[str] | Expression | None = Field(default=None, description="Names of output folders made before the run: `{{ outputDirs.name }}` is their path; every file written in one is uploaded as outputs.outputFiles['name/relative/path'].")
    outputsFiles: list[str] | None = Field(default=None, description="Older name of outputFiles (deprecated there too).")
    files: list[str] | None = Field(default=None, description="Older name of outputFiles (deprecated there too).")
    dockerOptions: LegacyDocker | None = Field(default=None, description="Container options of `runner: DOCKER` (image, pullPolicy, user, volumes...).")

    def interpreter_argv(self) -> list[str]:
        return [self.interpreter, *self.interpreterArgs]

    def fail_fast(self) -> bool:
        value = self.exitOnFailed
        if isinstance(value, str):
            text = value.strip().lower()
            if text not in ("true", "false"):
                raise TaskFailed(f"property 'exitOnFailed': {value!r} is not a boolean")
            return text == "true"
        return bool(value)

    def runner_spec(self) -> RunnerSpec | None:
        if self.taskRunner is not None:
            return self.taskRunner
        if self.runner == "DOCKER" or (self.runner is None and (self.docker or self.dockerOptions) is not None):
            options = self.dockerOptions or self.docker or LegacyDocker()
            return DockerRunnerSpec(type="docker", **options.model_dump(exclude={"image"}, exclude_none=True))
        return None

    def legacy_image(self) -> str | None:
        options = self.dockerOptions or self.docker
        return options.image if options else None

    def _names(self, ctx: RunContext, value: Any, prop: str) -> list[str]:
        names = [str(n) for n in render_as(ctx, ctx.render(value), list[str], prop)] if value is not None else []
        for name in names:
            if not _NAME.match(name) or name in (".", ".."):
                raise TaskFailed(f"property '{prop}': {name!r} must be a plain file name")
        return names

    def _output_names(self, ctx: RunContext) -> list[str]:
        names: list[str] = []
        for prop in ("outputFiles", "outputsFiles", "files"):
            names += [n for n in self._names(ctx, getattr(self, prop), prop) if n not in names]
        return names

    def run_variables(self, ctx: RunContext, workdir: Path, visible: str) -> dict[str, Any]:
        files, dirs = self._output_names(ctx), self._names(ctx, self.outputDirs, "outputDirs")
        clash = set(files) & set(dirs)
        if clash:
            raise TaskFailed(f"{', '.join(sorted(clash))}: named both as an output file and as an output folder")
        for name in dirs:
            (workdir / name).mkdir(exist_ok=True)
        return {"outputFiles": {n: f"{visible}/{n}" for n in files}, "outputDirs": {d: f"{visible}/{d}" for d in dirs}}

    def output_patterns(self, templates: RunTemplates) -> list[str]:
        # a name is a pattern matching only itself; a folder's pattern matches everything beneath it
        files, dirs = templates.variables.get("outputFiles", {}), templates.variables.get("outputDirs", {})
        return [*(glob_escape(n) for n in files), *(f"{glob_escape(d)}/**" for d in dirs)]

    def extra_outputs(self, collector: Collector) -> dict[str, Any]:
        return {"stdOutLineCount": collector.stdout_lines, "stdErrLineCount": collector.stderr_lines}


def glob_escape(name: str) -> str:
    """A file name as a glob pattern matching only itself."""
    return re.sub(r"([*?\[\]{}\\])", r"\\\1", name)


@TASKS.register
class Bash(LegacyScript):
    """Run shell command lines (Kestra's deprecated `io.kestra.core.tasks.scripts.Bash`; today's is
    `scripts.shell.Commands`). `{{ outputFiles.name }}` is the path of a file to write, uploaded after the run."""

    TYPE: ClassVar[str] = "core.tasks.scripts.Bash"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_OLD}.Bash",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: bash_with_outputs
type: io.kestra.core.tasks.scripts.Bash
outputFiles:
  - hello
commands:
  - echo "Hello Kestra" >> {{ outputFiles.hello }}
""",
        """\
id: bash_with_input
type: io.kestra.core.tasks.scripts.Bash
inputFiles:
  script.sh: |
    echo '::{"outputs": {"done": true}}::'
commands:
  - /bin/sh script.sh
""",
    )

    commands: list[str] | Expression = Field(min_length=1, description="The command lines, each rendered, run in order by the interpreter.")

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        return templates.commands(self.commands, "commands"), set()


@TASKS.register
class Python(LegacyScript):
    """Run a Python script (Kestra's deprecated `io.kestra.core.tasks.scripts.Python`; today's are
    `scripts.python.Script` and `Commands`): `main.py` from `inputFiles`, in a virtualenv made in the working
    directory with `requirements` installed (under the process runner, into Legato's cached env of that list, which
    the virtualenv sees; in a container, with pip)."""

    TYPE: ClassVar[str] = "core.tasks.scripts.Python"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_OLD}.Python",)
    DEFAULT_IMAGE: ClassVar[str] = "python:3.13-slim"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: python
type: io.kestra.core.tasks.scripts.Python
inputFiles:
  data.json: |
    {"status": "OK"}
  main.py: |
    import json, sys
    from kestra import Kestra
    result = json.loads(open(sys.argv[1]).read())
    Kestra.outputs({"status": result["status"]})
args:
  - data.json
""",
        """\
id: orders
type: io.kestra.core.tasks.scripts.Python
outputFiles:
  - orders.csv
requirements:
  - six
inputFiles:
  main.py: |
    import six
    with open("{{ outputFiles['orders.csv'] }}", "w") as f:
        f.write("id,total\\n1,42\\n")
""",
    )

    commands: list[str] | Expression = Field(default_factory=lambda: [DEFAULT_PYTHON_COMMAND], min_length=1, description="The command lines; `args` are appended to each.")
    pythonPath: str = Field(default="python", description="The Python interpreter that makes the virtualenv (under the process runner, `python` is the worker's scripts interpreter).")
    args: list[str] | Expression | None = Field(default=None, description="Arguments appended to each command line (rendered).")
    requirements: list[str] | Expression | None = Field(default=None, description="Python packages (requirements.txt lines) installed into the virtualenv.")
    virtualEnv: bool = Field(default=True, description="Make a virtualenv in the working directory (`./bin/python`); when false, `requirements` are ignored.")
    useUv: bool = Field(default=False, description="Make the virtualenv in `.venv` (`./.venv/bin/python`, which `./bin/python` in commands then means).")

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        env = {"PYTHONUNBUFFERED": "true"}
        if not self.virtualEnv:
            return Tooling(env=env)
        wanted = [str(r) for r in render_as(ctx, ctx.render(self.requirements), list[str], "requirements")] if self.requirements else []
        wanted = [r for r in wanted if r.strip()]
        python = ctx.render_string(self.pythonPath)
        folder = ".venv" if self.useUv else "."
        if runner.name == "docker":  # the container's own interpreter makes the virtualenv, pip installs into it
            before = [shlex.join([python, "-m", "venv", "--system-site-packages", folder]) + " > /dev/null"]
            if wanted:
                before.append(shlex.join([f"{folder}/bin/python", "-m", "pip", "install", "--quiet", *wanted]))
            return Tooling(before=before, env=env)
        if python in ("python", "python3"):
            python = tools.python_interpreter()
        await asyncio.to_thread(venvs.make, python, workdir / folder)
        if wanted:  # installed once into Legato's cached env of this list, which the working directory's venv sees
            cached = await asyncio.to_thread(deps.ensure_env, wanted, python, log=ctx.logger.info)
            await asyncio.to_thread(venvs.link, workdir / folder, cached)
        return Tooling(env=env)

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        lines = templates.commands(self.commands, "commands")
        if lines == [DEFAULT_PYTHON_COMMAND] and not (workdir / "main.py").exists():
            raise TaskFailed("inputFiles must hold a main.py (the script the default command runs)")
        args = templates.lines(self.args, "args")
        suffix = (" " + " ".join(args)) if args else ""
        if self.useUv:
            lines = [f"./.venv/bin/python{line[len('./bin/python'):]}" if line.startswith("./bin/python") else line for line in lines]
        return [line + suffix for line in lines], set()
