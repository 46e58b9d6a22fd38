"""docker.Run: one container from an image, its `commands` as the container's command, with input, namespace
and output files, env, limits and Kestra's stdout protocol, through the docker runner (so the worker's rules on
volumes, privileged containers and the data dir hold here too)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.flowable_worker import NamespaceFiles
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.docker.base import DockerTask, working_directory
from legato.plugins.runnable import Expression, render_as, render_optional_text, render_text
from legato.plugins.scripts import files
from legato.plugins.scripts.protocol import Collector
from legato.runners import select
from legato.runners.base import CommandSpec, CommandTimedOut, RunnerError
from legato.runners.docker import DockerRunner
from legato.runners.environment import script_environment
from legato.runners.specs import CpuSpec, DockerRunnerSpec, MemorySpec
from legato.storage import task_run_prefix

_LIST = list[str] | Expression


@TASKS.register
class Run(DockerTask):
    """Run a container from an image and wait for its end (or not, with `wait: false`). `commands` are the
    container's command (the image's own when empty); files, env and `::{"outputs": ...}::` lines work as in
    script tasks. Volumes are mounted only where an administrator allows them (LEGATO_DOCKER_VOLUMES_ENABLED)."""

    TYPE: ClassVar[str] = "docker.Run"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.docker.cli.Run", "io.kestra.plugin.docker.Run")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: write_a_file
type: io.kestra.plugin.docker.Run
containerImage: ubuntu:22.04
commands:
  - /bin/sh
  - -c
  - echo hello > file.txt
outputFiles:
  - file.txt
""",
    )

    containerImage: str = Field(description="The image to run (rendered).")
    commands: _LIST = Field(default_factory=list, description="The container's command and arguments (rendered); the image's CMD when empty.")
    user: str | None = Field(default=None, description="User (name or uid[:gid]) of the container's process.")
    entryPoint: _LIST | None = Field(default=None, description="The container's entry point; the image's own when empty.")
    extraHosts: _LIST | None = Field(default=None, description="host:ip entries added to /etc/hosts.")
    networkMode: str | None = Field(default=None, description="Docker network mode: bridge, host, none, or a network's name.")
    portBindings: _LIST | None = Field(default=None, description="Published ports, as docker run -p: [ip:]hostPort:containerPort[/protocol].")
    volumes: _LIST | None = Field(default=None, description="Bind mounts host:container[:ro], mounted only where an administrator enables them (LEGATO_DOCKER_VOLUMES_ENABLED=true; Kestra's volume-enabled).")
    pullPolicy: Literal["ALWAYS", "IF_NOT_PRESENT", "NEVER"] = Field(default="IF_NOT_PRESENT", description="When to pull the image (Kestra's default for this task: IF_NOT_PRESENT).")
    deviceRequests: list[dict[str, Any]] | None = Field(default=None, description="Kestra compatibility: accepted, not applied (no device drivers here).")
    cpu: CpuSpec | None = Field(default=None, description="CPU limit.")
    memory: MemorySpec | None = Field(default=None, description="Memory limits.")
    shmSize: str | None = Field(default=None, description="Size of /dev/shm, e.g. 256m (the engine's default: 64m).")
    privileged: bool | None = Field(default=None, description="Run privileged; allowed only where an administrator enables it (LEGATO_DOCKER_PRIVILEGED_ENABLED=true).")
    env: dict[str, str] | None = Field(default=None, description="Environment variables of the container (values rendered).")
    warningOnStdErr: bool | None = Field(default=None, description="Kestra compatibility: deprecated and ignored.")
    namespaceFiles: NamespaceFiles | None = Field(default=None, description="Namespace files copied into the working directory.")
    inputFiles: dict[str, str] | str | None = Field(default=None, description="Files created in the working directory: name → content or kestra:/// URI.")
    outputFiles: _LIST | None = Field(default=None, description="Glob patterns of working-directory files uploaded to internal storage after the run.")
    wait: bool = Field(default=True, description="Wait for the container's end; false starts it and ends the task, leaving it running (its id in outputs.taskRunner.containerId; stopped by docker.Stop, removed by docker.Rm).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        image = render_text(ctx, self.containerImage)
        runner = self._runner(ctx, image)
        commands = render_as(ctx, self.commands, list[str], "commands")
        with working_directory(ctx, self.inputFiles, self.namespaceFiles) as workdir:
            visible = runner.visible_workdir(workdir)
            env = {k: render_text(ctx, v) for k, v in (self.env or {}).items()}
            spec = CommandSpec(argv=commands, workdir=workdir, env=script_environment(visible, env), image=image,
                               labels={"io.legato.execution": ctx.execution.id, "io.legato.task": ctx.task_run.task_id},
                               note=ctx.logger.warn)
            ctx.effects.extra["runner"] = runner.name
            if not self.wait:
                container = await _guarded(runner.start(spec))
                ctx.logger.info(f"Container {container[:12]} started from {image}; it goes on running")
                return {"exitCode": 0, "vars": {}, "outputFiles": {}, "taskRunner": {"containerId": container}}
            collector = Collector(ctx.logger)
            code = await _guarded(runner.run(spec, collector))
            if code != 0:
                tail = "\n".join(collector.tail)
                message = f"Command failed with exit code {code}"  # the tail is in the log lines already
                raise TaskFailed(message + (f":\n{tail}" if tail else ""), log_message=message)
            return {"exitCode": code, "vars": collector.vars, "outputFiles": self._upload(ctx, workdir)}

    def _runner(self, ctx: RunContext, image: str) -> DockerRunner:
        """The docker runner with this task's options, as the worker's settings allow them."""
        lists = {name: render_as(ctx, getattr(self, name) or [], list[str], name)
                 for name in ("volumes", "extraHosts", "portBindings")}
        entry = render_as(ctx, self.entryPoint or [], list[str], "entryPoint")
        spec = DockerRunnerSpec(
            type="docker", host=render_optional_text(ctx, self.host), pullPolicy=self.pullPolicy, user=self.user,
            networkMode=self.networkMode, volumes=lists["volumes"], extraHosts=lists["extraHosts"],
            portBindings=lists["portBindings"], cpu=self.cpu, memory=self.memory, shmSize=self.shmSize,
            privileged=bool(self.privileged), credentials=self.credentials,
            fileHandlingStrategy=None if self.wait else "VOLUME",
        )
        settings = ctx.runner_settings
        try:
            for note in select.docker_notes(spec, settings):
                ctx.logger.warn(note)
            options = select.docker_options(spec, image, settings)
            options = dataclasses.replace(options, entry_point=entry or None,
                                          credentials=self.registry_credentials(ctx, image))
            return DockerRunner(options, self.address(ctx))
        except RunnerError as exc:
            raise TaskFailed(str(exc)) from None

    def _upload(self, ctx: RunContext, workdir: Any) -> dict[str, str]:
        patterns = render_as(ctx, self.outputFiles or [], list[str], "outputFiles")
        if not patterns:
            return {}
        if ctx.storage is None:
            raise TaskFailed("outputFiles need internal storage, which this worker has not")
        run = ctx.execution
        prefix = task_run_prefix(run.namespace, run.flow_id, run.id, ctx.task_run.task_id, ctx.task_run.id)
        return files.collect_outputs(workdir, patterns, None, set(), ctx.storage, prefix)


async def _guarded(work: Any) -> Any:
    try:
        return await work
    except (RunnerError, CommandTimedOut) as exc:
        raise TaskFailed(str(exc)) from None
