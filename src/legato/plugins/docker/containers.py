"""docker.Stop and docker.Rm: containers (and images) on the engine, e.g. the one a `docker.Run` with `wait: false`
left running (its id is `outputs.<run>.taskRunner.containerId`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.docker.base import DockerTask, engine_failure
from legato.plugins.runnable import Expression, render_as, render_bool, render_text
from legato.runners.docker_api import EngineClient, EngineError

_LIST = list[str] | Expression


@TASKS.register
class Stop(DockerTask):
    """Stop (or kill) a container, then remove it unless `delete: false`."""

    TYPE: ClassVar[str] = "docker.Stop"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.docker.cli.Stop", "io.kestra.plugin.docker.Stop")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: stop_redis
type: io.kestra.plugin.docker.Stop
containerId: "{{ outputs.start_redis.taskRunner.containerId }}"
kill: true
""",
    )

    containerId: str = Field(description="The container's id or name (rendered).")
    kill: bool | Expression = Field(default=False, description="Kill it (SIGKILL) instead of stopping it (SIGTERM, then SIGKILL after the engine's grace period).")
    delete: bool | Expression = Field(default=True, description="Remove the container once stopped.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        container = render_text(ctx, self.containerId).strip()
        if not container:
            raise TaskFailed("property 'containerId' is empty")
        kill, delete = render_bool(ctx, self.kill, "kill"), render_bool(ctx, self.delete, "delete")
        address = self.address(ctx)
        async with EngineClient(address) as engine:
            try:
                if kill:
                    try:
                        await engine.call("POST", f"/containers/{container}/kill")
                    except EngineError as exc:
                        if exc.status != 409:  # 409: not running, nothing to kill
                            raise
                else:
                    await engine.call("POST", f"/containers/{container}/stop")  # 304 (already stopped) is no error
                ctx.logger.info(f"Container {container} {'killed' if kill else 'stopped'}")
                if delete:
                    await engine.call("DELETE", f"/containers/{container}", params={"v": "true"})
                    ctx.logger.info(f"Container {container} removed")
            except EngineError as exc:
                raise engine_failure(exc, address) from None
        return {}


@TASKS.register
class Rm(DockerTask):
    """Remove containers and images from the engine."""

    TYPE: ClassVar[str] = "docker.Rm"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.docker.cli.Rm", "io.kestra.plugin.docker.Rm")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: cleanup
type: io.kestra.plugin.docker.Rm
containerIds:
  - "{{ outputs.start.taskRunner.containerId }}"
imageIds:
  - my-app:build-{{ execution.id }}
force: true
""",
    )

    containerIds: _LIST | None = Field(default=None, description="Containers (ids or names) to remove.")
    imageIds: _LIST | None = Field(default=None, description="Images (ids or references) to remove.")
    removeVolumes: bool | Expression = Field(default=False, description="Also remove the anonymous volumes of the containers.")
    force: bool | Expression = Field(default=False, description="Remove running containers (killing them) and images in use.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        containers = render_as(ctx, self.containerIds or [], list[str], "containerIds")
        images = render_as(ctx, self.imageIds or [], list[str], "imageIds")
        if not containers and not images:
            raise TaskFailed("nothing to remove: set containerIds or imageIds")
        force, volumes = render_bool(ctx, self.force, "force"), render_bool(ctx, self.removeVolumes, "removeVolumes")
        address = self.address(ctx)
        flag = {True: "true", False: "false"}
        async with EngineClient(address) as engine:
            try:
                for container in containers:
                    await engine.call("DELETE", f"/containers/{container}", params={"force": flag[force], "v": flag[volumes]})
                    ctx.logger.info(f"Container {container} removed")
                for image in images:
                    await engine.call("DELETE", f"/images/{image}", params={"force": flag[force]})
                    ctx.logger.info(f"Image {image} removed")
            except EngineError as exc:
                raise engine_failure(exc, address) from None
        return {}
