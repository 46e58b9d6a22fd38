"""docker.Compose: `docker compose -f <files> <composeArgs>` as a script task. Without a `taskRunner` it runs on
the worker (where LEGATO_DOCKER_PRIVILEGED_ENABLED allows it), with `docker compose` (the CLI plugin) where installed, else `docker-compose` (Debian 12
packages only that one), against the worker's engine (DOCKER_HOST is passed on). Kestra's own default, its
Docker runner with the docker:27.5.1-cli image, works where that image is on the engine and the socket is
mounted (`volumes`, which the administrator must allow)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, render_as
from legato.plugins.scripts.base import ScriptBase, Tooling
from legato.plugins.scripts.templates import RunTemplates
from legato.runners import select
from legato.runners.base import Runner, RunnerError
from legato.runners.process import ProcessRunner

# `docker compose` where the CLI has the plugin, else the standalone docker-compose
_COMPOSE = ('compose() { if docker compose version >/dev/null 2>&1; then docker compose "$@"; '
            'elif command -v docker-compose >/dev/null 2>&1; then docker-compose "$@"; '
            'else echo "neither docker compose nor docker-compose is installed where this task runs" >&2; return 127; fi; }')


@TASKS.register
class Compose(ScriptBase):
    """Run Docker Compose on a compose file given inline, as a path of the working directory, or as a
    kestra:/// URI (`composeFile`, or several as `composeFiles`), with `composeArgs` such as [up, -d]."""

    TYPE: ClassVar[str] = "docker.Compose"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.docker.cli.Compose", "io.kestra.plugin.docker.Compose")
    DEFAULT_IMAGE: ClassVar[str] = "docker:27.5.1-cli"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: compose_run
type: io.kestra.plugin.docker.Compose
composeFile: |
  services:
    hello:
      image: alpine:latest
      command: echo hello from compose
composeArgs:
  - up
  - --abort-on-container-exit
""",
    )

    composeFile: str | None = Field(default=None, description="The compose file: inline YAML, a path in the working directory, or a kestra:/// URI.")
    composeFiles: list[str] | Expression | None = Field(default=None, description="Several compose files, passed in order with repeated -f (each as composeFile).")
    composeArgs: list[str] | Expression = Field(description="Arguments after `docker compose -f <file>`, e.g. [up, -d] or [down].")

    def choose_runner(self, settings: select.RunnerSettings, image: str) -> select.Choice:
        """With no runner named, the worker's own `docker compose`, outside the script sandbox (which hides the
        engine's socket on purpose): a compose file can start privileged containers and mount any host folder,
        so the administrator must allow it as they allow privileged containers."""
        if self.runner_spec() is not None:
            return super().choose_runner(settings, image)
        if not settings.docker_privileged:
            raise RunnerError("docker.Compose drives the Docker engine itself (a compose file may start privileged "
                              "containers and mount host folders), which this worker does not allow: an "
                              "administrator enables it with LEGATO_DOCKER_PRIVILEGED_ENABLED=true")
        return select.Choice(ProcessRunner(hidden=settings.hidden))

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        host = ctx.runner_settings.environ.get("DOCKER_HOST")
        return Tooling(env={"DOCKER_HOST": host} if host and runner.name != "docker" else {})

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        given = render_as(ctx, self.composeFiles, list[str], "composeFiles") if self.composeFiles else []
        if not given and self.composeFile is not None:
            given = [templates.text(self.composeFile)]
        names = [self._file(ctx, workdir, value, i) for i, value in enumerate(given)]
        args = [templates.text(a) for a in render_as(ctx, self.composeArgs, list[str], "composeArgs")]
        command = ["compose", *(part for name in names for part in ("-f", name)), *args]
        ctx.logger.info(f"Running command: docker {shlex.join(command)}")
        return [_COMPOSE, shlex.join(command)], {n for n in names if n.startswith(".legato-compose")}

    def _file(self, ctx: RunContext, workdir: Path, value: str, index: int) -> str:
        text = value.strip()
        if text.startswith("kestra://"):
            if ctx.storage is None:
                raise TaskFailed("a kestra:/// compose file needs internal storage, which this worker has not")
            name = f".legato-compose-{index}.yaml"
            ctx.storage.download(text, workdir / name)
            return name
        if "\n" not in text and text and (workdir / text).is_file() and (workdir / text).resolve().is_relative_to(workdir.resolve()):
            return text
        name = f".legato-compose-{index}.yaml"
        (workdir / name).write_text(value, encoding="utf-8")
        return name
