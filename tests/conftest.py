"""Fixtures any test directory may use: the Docker engine (tests/docker_engine.py), started on first use and
stopped by the last test session, with the stand-in images built. A test that asks for `docker_host` runs with
DOCKER_HOST pointing at it; without an engine it skips, or fails in CI (CI=true)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import httpx
import pytest

from legato.runners import docker_reaper
from tests import docker_engine as engines
from tests.services import unavailable


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[engines.Engine]:
    stack = contextlib.ExitStack()
    try:
        engine = stack.enter_context(engines.session())
    except (engines.EngineUnavailable, RuntimeError, httpx.HTTPError) as exc:
        stack.close()
        unavailable("a Docker engine", str(exc))
    with stack:
        yield engine
        left = _left_behind(engine.host)
        assert not left, f"Legato containers left behind by the tests (now removed): {', '.join(left)}"


@pytest.fixture
def docker_host(docker_engine: engines.Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    """The engine's DOCKER_HOST, set for the test (runners read it when a task starts)."""
    monkeypatch.setenv("DOCKER_HOST", docker_engine.host)
    return docker_engine.host


def _left_behind(host: str) -> list[str]:
    """Legato containers owned by this process or by a process that is gone (another session's live ones are
    theirs); removed after being counted, so that one failure does not spill into later runs."""
    transport = httpx.HTTPTransport(uds=host.removeprefix("unix://"))
    with httpx.Client(transport=transport, base_url="http://docker", timeout=30) as client:
        found = client.get("/containers/json", params={"all": "1", "filters": '{"label": ["io.legato.managed"]}'}).json()
        mine = docker_reaper.owner_label(os.getpid())
        left = []
        for container in found:
            owner = (container.get("Labels") or {}).get(docker_reaper.OWNER, "")
            if owner == mine or docker_reaper.owner_alive(owner) is False:
                client.delete(f"/containers/{container['Id']}", params={"force": "1"})
                left.append(container["Names"][0].lstrip("/"))
    return left
