"""What every Docker task shares (Kestra's AbstractDocker): the engine's address, registry credentials, and a
working directory holding the task's input and namespace files."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from legato.model.flowable_worker import NamespaceFiles
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import RunnableTask, render_optional_text
from legato.plugins.scripts import files
from legato.plugins.scripts.execution import work_root
from legato.runners.base import RunnerError
from legato.runners.docker_api import EngineAddress, EngineError
from legato.runners.select import docker_address
from legato.runners.specs import CredentialsSpec


class DockerTask(RunnableTask):
    """Properties of every Docker task."""

    host: str | None = Field(default=None, description="The Docker engine (unix:///var/run/docker.sock, tcp://host:2375); default: the worker's DOCKER_HOST, else the local socket.")
    config: str | dict[str, Any] | None = Field(default=None, description="A Docker config file (as text or a map): registry credentials are read from its `auths`.")
    credentials: CredentialsSpec | None = Field(default=None, description="Credentials of a private registry (registry, username, password, registryToken, identityToken, auth).")

    def address(self, ctx: RunContext) -> EngineAddress:
        """The engine to talk to."""
        try:
            return docker_address(render_optional_text(ctx, self.host), ctx.runner_settings)
        except RunnerError as exc:
            raise TaskFailed(str(exc)) from None

    def registry_credentials(self, ctx: RunContext, image: str) -> dict[str, str]:
        """Credentials for the registry of `image`: `credentials` (rendered), else the matching `auths` entry of
        `config`."""
        if self.credentials is not None:
            given = self.credentials.model_dump(exclude_none=True)
            return {k: ctx.render_string(v) for k, v in given.items()}
        auths = _config_auths(ctx.render(self.config)) if self.config is not None else {}
        registry = image.split("/", 1)[0] if "/" in image and ("." in image.split("/", 1)[0] or ":" in image.split("/", 1)[0]) else "https://index.docker.io/v1/"
        entry = auths.get(registry) or auths.get(f"https://{registry}") or {}
        return {"registry": registry, **{k: str(v) for k, v in entry.items() if k in ("auth", "username", "password", "identitytoken")}}


def engine_failure(exc: EngineError, address: EngineAddress) -> TaskFailed:
    """A task failure saying what the engine answered, or that no engine answers."""
    return TaskFailed(str(exc) if str(address) in str(exc) else f"Docker engine at {address}: {exc}")


@contextlib.contextmanager
def working_directory(ctx: RunContext, input_files: Any, namespace_files: NamespaceFiles | None) -> Iterator[Path]:
    """A fresh directory with the task's `inputFiles` and namespace files, removed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="legato-docker-", dir=work_root()))
    try:
        storage = ctx.storage
        if input_files is not None:
            if storage is None:
                raise TaskFailed("inputFiles need internal storage, which this worker has not")
            files.stage_inputs(workdir, files.input_files_map(ctx.render(input_files)), storage, ctx.execution.namespace)
        if namespace_files is not None and namespace_files.enabled:
            if storage is None:
                raise TaskFailed("namespaceFiles need internal storage, which this worker has not")
            files.stage_namespace_files(workdir, storage, namespace_files.namespaces or [ctx.execution.namespace],
                                        namespace_files.include, namespace_files.exclude,
                                        namespace_files.folderPerNamespace, namespace_files.ifExists == "OVERWRITE")
        yield workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def without_scheme(reference: str) -> str:
    """An image reference without `https://` (Kestra accepts tags written with a scheme)."""
    return reference.split("://", 1)[1] if "://" in reference else reference


def _config_auths(config: Any) -> dict[str, dict[str, Any]]:
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            raise TaskFailed("property 'config' must be a Docker config file (JSON) or a map") from None
    auths = config.get("auths") if isinstance(config, dict) else None
    if not isinstance(auths, dict):
        return {}
    out = {}
    for registry, entry in auths.items():
        if isinstance(entry, dict):
            if entry.get("auth") and not entry.get("username"):
                user, _, password = base64.b64decode(entry["auth"]).decode(errors="replace").partition(":")
                entry = {**entry, "username": user, "password": password}
            out[str(registry)] = entry
    return out
