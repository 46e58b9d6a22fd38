"""Helpers for the tests against the real Docker engine (tests/docker_engine.py starts it): run a command in a
container, look at the engine's containers."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.services import unavailable
from tests.unit.plugins.conftest import Harness
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness
from tests.unit.runners.conftest import Lines

from legato.plugins import registry
from legato.runners.base import CommandSpec
from legato.runners.docker import DockerRunner
from legato.runners.docker_api import engine_address
from legato.runners.docker_options import DockerOptions
from legato.runners.environment import script_environment
from legato.storage import LocalStorage


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


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


class Tasks:
    """Runs docker tasks as the worker does, with internal storage; reads back what a user sees."""

    def __init__(self, harness: Harness, storage: LocalStorage) -> None:
        self.harness = harness
        self.storage = storage

    def run(self, source: str) -> tuple[dict[str, Any], Any]:
        ctx = self.harness.context(storage=self.storage)
        return self.harness.run(source, ctx), ctx

    def messages(self, ctx: Any) -> list[tuple[str, str]]:
        return self.harness.messages(ctx)


@pytest.fixture
def tasks(harness: Harness, storage: LocalStorage, docker_host: str) -> Tasks:
    registry()
    return Tasks(harness, storage)


@pytest.fixture
def local_registry(tmp_path: Path) -> Iterator[str]:
    """A Docker registry (Debian's docker-registry) on 127.0.0.1, which the engine trusts without TLS: its
    host:port."""
    binary = shutil.which("docker-registry")
    if binary is None:
        unavailable("docker-registry", "not installed (Debian: apt-get install docker-registry, or make system-deps)")
    port = _free_port()
    config = tmp_path / "registry.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path / 'registry'}\n"
                      f"http:\n  addr: 127.0.0.1:{port}\nlog:\n  level: warn\n")
    proc = subprocess.Popen([str(binary), "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"docker-registry did not start: {proc.stderr.read() if proc.stderr else ''!r}")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
