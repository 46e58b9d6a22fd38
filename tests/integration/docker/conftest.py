"""Helpers for the tests against the real Docker engine (tests/docker_engine.py starts it): run a command in a
container, look at the engine's containers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.unit.runners.conftest import Lines

from legato.runners.base import CommandSpec
from legato.runners.docker import DockerRunner
from legato.runners.docker_api import engine_address
from legato.runners.docker_options import DockerOptions
from legato.runners.environment import script_environment


class Engine:
    """The engine as an operator sees it (`docker ps -a`, `docker inspect`)."""

    def __init__(self, host: str) -> None:
        self.host = host

    def client(self) -> httpx.Client:
        transport = httpx.HTTPTransport(uds=self.host.removeprefix("unix://"))
        return httpx.Client(transport=transport, base_url="http://docker", timeout=60)

    def containers(self, **labels: str) -> list[dict[str, Any]]:
        """Every container (running or not) with these labels (io_legato_x → io.legato.x)."""
        wanted = [f"{k.replace('_', '.')}={v}" if v else k.replace("_", ".") for k, v in labels.items()]
        with self.client() as client:
            answer = client.get("/containers/json", params={"all": "1", "filters": json.dumps({"label": wanted})})
        return list(answer.json())

    def remove(self, container_id: str) -> None:
        with self.client() as client:
            client.delete(f"/containers/{container_id}", params={"force": "1"})


@pytest.fixture
def engine(docker_host: str) -> Engine:
    return Engine(docker_host)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def command(workdir: Path, script: str, **kwargs: Any) -> CommandSpec:
    """A shell command whose working dir is `workdir` as the runner will show it."""
    return CommandSpec(argv=["/bin/sh", "-c", script], workdir=workdir, env=script_environment(str(workdir)), **kwargs)


def run_in(options: DockerOptions, workdir: Path, script: str, **kwargs: Any) -> tuple[int, Lines]:
    """Run `script` in a container with `options`; its exit code and lines."""
    runner = DockerRunner(options, engine_address())
    visible = Path(runner.visible_workdir(workdir))
    spec = CommandSpec(argv=["/bin/sh", "-c", script], workdir=workdir, env=script_environment(str(visible)), **kwargs)
    lines = Lines()
    code = asyncio.run(runner.run(spec, lines))
    return code, lines


Run = Callable[..., tuple[int, Lines]]
