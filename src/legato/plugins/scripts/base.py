"""The properties every script task shares (Kestra's names), and the two shapes: `Script` (an inline
script written to a file and run) and `Commands` (command lines run through `interpreter`)."""

from __future__ import annotations

import abc
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.flowable_worker import NamespaceFiles
from legato.model.task import Frozen
from legato.plugins.context import RunContext
from legato.plugins.runnable import Expression, RunnableTask
from legato.plugins.scripts import execution
from legato.plugins.scripts.protocol import Collector
from legato.plugins.scripts.templates import RunTemplates
from legato.runners import select
from legato.runners.base import Runner
from legato.runners.specs import CpuSpec, CredentialsSpec, DockerRunnerSpec, MemorySpec, RunnerSpec


class LegacyDocker(Frozen):
    """Kestra's older `docker:` property of script tasks (today's `taskRunner` of type Docker)."""

    image: str | None = Field(default=None, description="Container image.")
    host: str | None = Field(default=None, description="Engine address.")
    pullPolicy: Literal["ALWAYS", "IF_NOT_PRESENT", "NEVER"] = Field(default="IF_NOT_PRESENT", description="When to pull the image.")
    user: str | None = Field(default=None, description="User in the container.")
    entryPoint: list[str] | None = Field(default=None, description="Entry point override.")
    networkMode: str | None = Field(default=None, description="Docker network mode.")
    volumes: list[str] = Field(default_factory=list, description="Bind mounts, host:container[:ro].")
    cpu: CpuSpec | None = Field(default=None, description="CPU limit.")
    memory: MemorySpec | None = Field(default=None, description="Memory limits.")
    shmSize: str | None = Field(default=None, description="Size of /dev/shm.")
    extraHosts: list[str] = Field(default_factory=list, description="Extra /etc/hosts entries.")
    privileged: bool = Field(default=False, description="Run privileged.")
    credentials: CredentialsSpec | None = Field(default=None, description="Registry credentials.")
    config: str | dict[str, Any] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")
    deviceRequests: list[dict[str, Any]] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")


@dataclass
class Tooling:
    """What a language adds around the command: folders first on PATH, variables, commands to run first."""

    path: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    before: list[str] = field(default_factory=list)


class ScriptBase(RunnableTask):
    """Common properties of every Script and Commands task."""

    DEFAULT_IMAGE: ClassVar[str] = "ubuntu:24.04"

    beforeCommands: list[str] | Expression | None = Field(default=None, description="Commands run before the main ones, in the same shell (e.g. installing packages).")
    env: dict[str, Any] | None = Field(default=None, description="Environment variables of the command (values rendered). The worker's own environment is never passed, except PATH, LANG, LC_*, TZ.")
    interpreter: list[str] = Field(default_factory=lambda: ["/bin/sh", "-c"], min_length=1, description="The program that runs the command lines, which it gets as one last argument joined by newlines.")
    inputFiles: dict[str, str] | str | None = Field(default=None, description="Files created in the working directory before the run: name → content, or name → kestra:/// storage URI. May also be one expression giving such a map.")
    outputFiles: list[str] | Expression | None = Field(default=None, description="Glob patterns (relative to the working directory) of files uploaded to internal storage after the run; their URIs are in outputs.outputFiles.")
    namespaceFiles: NamespaceFiles | None = Field(default=None, description="Copy namespace files into the working directory.")
    containerImage: str | None = Field(default=None, description="Image used by container runners; ignored by the process and sandbox runners.")
    taskRunner: RunnerSpec | None = Field(default=None, description="Where the command runs: process (default), sandbox (bubblewrap), python-warm (Python scripts forked from a pre-started interpreter: a fork instead of an interpreter start), docker or kubernetes (a pod through the Kubernetes API); Kestra's runner type names are accepted.")
    runner: Literal["PROCESS", "DOCKER"] | None = Field(default=None, description="Kestra's older way to choose the runner; prefer taskRunner.")
    docker: LegacyDocker | None = Field(default=None, description="Kestra's older Docker options; prefer taskRunner.")
    failFast: bool = Field(default=True, description="Stop at the first failing command line (`set -e` for a shell interpreter).")
    warningOnStdErr: bool = Field(default=True, description="End in WARNING when the command wrote to stderr (a non-zero exit code fails regardless).")
    targetOS: Literal["LINUX", "WINDOWS", "AUTO"] | None = Field(default=None, description="Kestra compatibility: commands always run on the worker's OS.")
    outputDirectory: bool | None = Field(default=None, description="Kestra compatibility: the output dir ({{ outputDir }}, OUTPUT_DIR) always exists.")

    def runner_spec(self) -> RunnerSpec | None:
        """The runner asked for, whichever of Kestra's forms chose it."""
        if self.taskRunner is not None:
            return self.taskRunner
        if self.runner == "DOCKER" or (self.runner is None and self.docker is not None):
            legacy = self.docker or LegacyDocker()
            data = legacy.model_dump(exclude={"image"}, exclude_none=True)
            return DockerRunnerSpec(type="docker", **data)
        return None

    def choose_runner(self, settings: select.RunnerSettings, image: str) -> select.Choice:
        """The runner of this task's command, as the worker's settings allow it."""
        return select.choose(self.runner_spec(), settings, image=image)

    def legacy_image(self) -> str | None:
        return self.docker.image if self.docker else None

    def interpreter_argv(self) -> list[str]:
        """The program and arguments that get the command lines as one last argument."""
        return list(self.interpreter)

    def fail_fast(self) -> bool:
        """Whether a shell interpreter stops at the first failing line."""
        return self.failFast

    def run_variables(self, ctx: RunContext, workdir: Path, visible: str) -> dict[str, Any]:
        """Variables the task's properties see for one run, beyond the execution's (`visible` is the working
        directory as the command sees it)."""
        return {}

    def output_patterns(self, templates: RunTemplates) -> list[str]:
        """The glob patterns of the files uploaded after a successful run."""
        return templates.lines(self.outputFiles, "outputFiles")

    def extra_outputs(self, collector: Collector) -> dict[str, Any]:
        """Outputs a task adds to exitCode, vars and outputFiles."""
        return {}

    @abc.abstractmethod
    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        """The main command lines, and the files (relative) Legato wrote for them."""

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        """What the language needs around the command (Python dependencies, for instance)."""
        return Tooling()

    def collector(self, ctx: RunContext) -> Collector:
        """What reads the command's output lines (a task that parses its tool's log format replaces it)."""
        return Collector(ctx.logger)

    async def after_command(self, ctx: RunContext, workdir: Path, code: int, collector: Collector,
                            prefix: str) -> dict[str, str]:
        """Called once the command has ended, whatever its exit code, before the working directory goes:
        returns more output files (name -> storage URI, stored under `prefix`)."""
        return {}

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await execution.execute(self, ctx)


class InlineScript(ScriptBase):
    """A task whose `script` is written to a file in the working directory and run."""

    EXTENSION: ClassVar[str] = ".sh"
    RUN_FILE: ClassVar[tuple[str, ...]] = ("/bin/sh",)

    script: str = Field(description="The script's source, rendered with the expression engine before it runs.")

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        name = f"script{self.EXTENSION}"
        (workdir / name).write_text(templates.command(self.script), encoding="utf-8")
        return [shlex.join([*self.RUN_FILE, name])], {name}


class CommandLines(ScriptBase):
    """A task whose `commands` are run by `interpreter` after `beforeCommands`."""

    commands: list[str] | Expression = Field(min_length=1, description="The command lines, each rendered, run in order.")

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        return templates.commands(self.commands, "commands"), set()
