"""docker.Build, docker.Push and docker.Tag: images on the engine, and in a registry.

Build pulls the Dockerfile's base images first (Kestra's `pull: true`) with the ALWAYS rule of the runner: when
the registry cannot be reached, a base image already on the engine is used and the log says so."""

from __future__ import annotations

import base64
import io
import json
import re
import tarfile
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.flowable_worker import NamespaceFiles
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.docker.base import DockerTask, engine_failure, without_scheme, working_directory
from legato.plugins.runnable import Expression, render_as, render_bool, render_optional_text, render_text
from legato.plugins.scripts import files
from legato.runners.base import RunnerError
from legato.runners.docker_api import EngineClient, EngineError, messages
from legato.runners.docker_pull import auth_headers, ensure_image, registry_auth

_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(?P<image>\S+)(?:\s+AS\s+(?P<stage>\S+))?", re.IGNORECASE | re.MULTILINE)
_LIST = list[str] | Expression


def base_images(dockerfile: str) -> list[str]:
    """The images a Dockerfile builds FROM (not its own stages, not scratch, not those built from ARGs)."""
    stages: set[str] = set()
    images = []
    for match in _FROM.finditer(dockerfile):
        image = match["image"]
        if image.lower() != "scratch" and image.lower() not in stages and "$" not in image and image not in images:
            images.append(image)
        if match["stage"]:
            stages.add(match["stage"].lower())
    return images


def split_reference(reference: str) -> tuple[str, str]:
    """(repository, tag) of an image reference; the tag defaults to latest."""
    name, _, tag = reference.rpartition(":")
    if not name or "/" in tag:
        return reference, "latest"
    return name, tag


@TASKS.register
class Build(DockerTask):
    """Build an image from a Dockerfile (inline, or a file of the working directory: input or namespace files),
    tag it, and push it when asked. Outputs `imageId`, usable as `containerImage` with `pullPolicy: NEVER`."""

    TYPE: ClassVar[str] = "docker.Build"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.docker.cli.Build", "io.kestra.plugin.docker.Build")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: build
type: io.kestra.plugin.docker.Build
dockerfile: |
  FROM python:3.11-slim
  COPY main.py /app/main.py
inputFiles:
  main.py: print("hello from the image")
tags:
  - my-app:latest
""",
    )

    dockerfile: str = Field(description="The Dockerfile's content, or the path of a Dockerfile in the working directory (input or namespace files).")
    tags: _LIST = Field(description="Names to tag the image with (a registry host first for a private registry).")
    platforms: _LIST | None = Field(default=None, description="Target platforms (linux/amd64...); the engine's own when empty.")
    push: bool | Expression = Field(default=False, description="Push every tag after the build.")
    pull: bool | Expression = Field(default=True, description="Pull the base images first; when the registry cannot be reached, images already on the engine are used, with a warning.")
    buildArgs: dict[str, str] | None = Field(default=None, description="Build arguments (values rendered).")
    labels: dict[str, str] | None = Field(default=None, description="Labels of the image (values rendered).")
    target: str | None = Field(default=None, description="The stage to build in a multi-stage Dockerfile.")
    namespaceFiles: NamespaceFiles | None = Field(default=None, description="Namespace files copied into the build context.")
    inputFiles: dict[str, str] | str | None = Field(default=None, description="Files created in the build context: name → content or kestra:/// URI.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        tags = [without_scheme(t) for t in render_as(ctx, self.tags, list[str], "tags")]
        if not tags:
            raise TaskFailed("property 'tags': at least one tag is needed")
        address = self.address(ctx)
        with working_directory(ctx, self.inputFiles, self.namespaceFiles) as workdir:
            name, text = _dockerfile(workdir, render_text(ctx, self.dockerfile))
            context = _context(workdir)
            async with EngineClient(address) as engine:
                try:
                    if render_bool(ctx, self.pull, "pull"):
                        for base in base_images(text):
                            await ensure_image(engine, base, "ALWAYS", self.registry_credentials(ctx, base), ctx.logger.warn)
                    image_id = await self._build(ctx, engine, name, tags, context)
                    if render_bool(ctx, self.push, "push"):
                        for tag in tags:
                            await push(ctx, engine, tag, self.registry_credentials(ctx, tag))
                except (EngineError, RunnerError) as exc:
                    raise engine_failure(EngineError(str(exc)), address) from None
        ctx.logger.info(f"Built {image_id} as {', '.join(tags)}")
        return {"imageId": image_id}

    async def _build(self, ctx: RunContext, engine: EngineClient, dockerfile: str, tags: list[str], context: bytes) -> str:
        platforms = render_as(ctx, self.platforms or [], list[str], "platforms")
        params: list[tuple[str, Any]] = [("dockerfile", dockerfile), ("pull", "0"), ("rm", "1"), ("forcerm", "1"),
                                         *(("t", t) for t in tags)]
        if self.buildArgs:
            params.append(("buildargs", json.dumps({k: render_text(ctx, v) for k, v in self.buildArgs.items()})))
        if self.labels:
            params.append(("labels", json.dumps({k: render_text(ctx, v) for k, v in self.labels.items()})))
        if self.target:
            params.append(("target", render_optional_text(ctx, self.target)))
        if platforms:
            params.append(("platform", ",".join(platforms)))
        auth = {c["registry"]: _config_entry(c) for c in (self.registry_credentials(ctx, t) for t in tags) if c.get("username")}
        headers = {"Content-Type": "application/x-tar", **({"X-Registry-Config": _b64(auth)} if auth else {})}
        image_id = None
        async with engine.stream("POST", "/build", params=params, content=context, headers=headers) as chunks:
            async for message in messages(chunks):
                if message.get("error"):
                    raise EngineError(f"the build failed: {message['error'].strip()}")
                if str(message.get("stream", "")).strip():
                    ctx.logger.info(str(message["stream"]).rstrip())
                if isinstance(message.get("aux"), dict) and message["aux"].get("ID"):
                    image_id = str(message["aux"]["ID"])
        if image_id is None:
            raise EngineError("the build ended without an image")
        return image_id


@TASKS.register
class Push(DockerTask):
    """Push images already on the engine to their registry (the host in each tag, Docker Hub otherwise)."""

    TYPE: ClassVar[str] = "docker.Push"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.docker.cli.Push", "io.kestra.plugin.docker.Push")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: push
type: io.kestra.plugin.docker.Push
tags:
  - registry.example.com/team/my-app:1.0
credentials:
  registry: registry.example.com
  username: "{{ secret('REGISTRY_USER') }}"
  password: "{{ secret('REGISTRY_PASSWORD') }}"
""",
    )

    tags: _LIST = Field(description="The tags to push; each must exist on the engine.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        tags = list(dict.fromkeys(without_scheme(t) for t in render_as(ctx, self.tags, list[str], "tags")))
        if not tags:
            raise TaskFailed("property 'tags': at least one tag must be provided")
        address = self.address(ctx)
        async with EngineClient(address) as engine:
            try:
                for tag in tags:
                    await push(ctx, engine, tag, self.registry_credentials(ctx, tag))
            except EngineError as exc:
                raise engine_failure(exc, address) from None
        return {}


@TASKS.register
class Tag(DockerTask):
    """Give an image on the engine another name (repository:tag; the tag defaults to latest)."""

    TYPE: ClassVar[str] = "docker.Tag"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.docker.cli.Tag", "io.kestra.plugin.docker.Tag")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: tag
type: io.kestra.plugin.docker.Tag
sourceImage: my-app:build-123
targetImage: registry.example.com/prod/my-app:1.0.0
""",
    )

    sourceImage: str = Field(description="The image to name (a name or an id).")
    targetImage: str = Field(description="The new repository[:tag].")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        source = render_text(ctx, self.sourceImage)
        repository, tag = split_reference(without_scheme(render_text(ctx, self.targetImage)))
        ctx.logger.info(f"Tagging image {source} as {repository}:{tag}")
        address = self.address(ctx)
        async with EngineClient(address) as engine:
            try:
                await engine.call("POST", f"/images/{source}/tag", params={"repo": repository, "tag": tag})
            except EngineError as exc:
                raise engine_failure(exc, address) from None
        return {}


async def push(ctx: RunContext, engine: EngineClient, reference: str, credentials: dict[str, str]) -> None:
    """Push one tag, logging its progress; EngineError with the registry's answer when it fails."""
    repository, tag = split_reference(reference)
    # the engine wants the header even without credentials
    headers = auth_headers(credentials) or {"X-Registry-Auth": registry_auth({"registry": "-"}) or ""}
    ctx.logger.info(f"Pushing {repository}:{tag}")
    async with engine.stream("POST", f"/images/{repository}/push", params={"tag": tag}, headers=headers) as chunks:
        async for message in messages(chunks):
            if message.get("error"):
                raise EngineError(f"pushing {repository}:{tag} failed: {message['error']}")
            if message.get("status") and not message.get("progressDetail"):
                ctx.logger.debug(f"{message.get('id', '')} {message['status']}".strip())


def _dockerfile(workdir: Path, value: str) -> tuple[str, str]:
    """(name in the context, text) of the Dockerfile: a file of the working directory, else inline text."""
    if "\n" not in value.strip() and value.strip():
        try:
            candidate: Path | None = files.inside(workdir, value.strip(), "dockerfile")
        except TaskFailed:
            candidate = None  # not a path of the working directory: inline text
        if candidate is not None and candidate.is_file():
            return candidate.relative_to(workdir).as_posix(), candidate.read_text(errors="replace")
    name = ".legato.dockerfile"
    (workdir / name).write_text(value, encoding="utf-8")
    return name, value


def _context(workdir: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(workdir.rglob("*")):
            tar.add(path, arcname=path.relative_to(workdir).as_posix(), recursive=False)
    return buffer.getvalue()


def _config_entry(credentials: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in (("username", credentials.get("username")), ("password", credentials.get("password"))) if v}


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()
