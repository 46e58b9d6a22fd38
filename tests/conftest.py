"""Fixtures any test directory may use: the Docker engine (tests/docker_engine.py), started on first use and
stopped by the last test session, with the stand-in images built. A test that asks for `docker_host` runs with
DOCKER_HOST pointing at it; without an engine it skips, or fails in CI (CI=true). Empty SQLite stores are migrated
from a per-process template (tests/sqlite_template.py; LEGATO_TEST_MIGRATE_EACH=1 runs Alembic for each instead).

In a parallel run (pytest-xdist, `-n N`) each worker process is a session of its own: the controller holds a share
of the engine for the whole run (the workers do not stop and restart it between them) and, once every worker is
done, removes and reports the Legato containers whose owner process is gone; a worker reports only its own."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import IO

import httpx
import pytest

from legato.runners import docker_reaper
from tests import docker_engine as engines
from tests import durations, sqlite_template
from tests.services import unavailable

WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1...: this process is a worker of a parallel run


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(durations.Durations(config, worker=WORKER is not None), "legato-durations")
    if os.environ.get("LEGATO_TEST_MIGRATE_EACH") != "1":  # 1: Alembic for every SQLite database, as before
        config.stash[_SQLITE_TEMPLATE] = sqlite_template.install()
    if _controller(config):
        config.stash[_ENGINE_SHARE] = engines.hold()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    share = session.config.stash.get(_ENGINE_SHARE, None)
    if share is None:
        return
    try:
        engine = engines.find()
        left = _left_behind(engine.host, dead_owners=True) if engine is not None else []
    finally:
        engines.release(share)
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"Legato containers left behind by the tests (now removed): {', '.join(left)}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED



def pytest_unconfigure(config: pytest.Config) -> None:
    template = config.stash.get(_SQLITE_TEMPLATE, None)
    if template is not None:
        sqlite_template.uninstall(template)


def _controller(config: pytest.Config) -> bool:
    """Whether this process hands the tests out to xdist workers (`-n N`, N > 0)."""
    return WORKER is None and config.pluginmanager.hasplugin("dsession")


_ENGINE_SHARE = pytest.StashKey[IO[str]]()
_SQLITE_TEMPLATE = pytest.StashKey[sqlite_template.SqliteTemplate]()


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
        left = _left_behind(engine.host, dead_owners=WORKER is None)
        assert not left, f"Legato containers left behind by the tests (now removed): {', '.join(left)}"


@pytest.fixture
def docker_host(docker_engine: engines.Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    """The engine's DOCKER_HOST, set for the test (runners read it when a task starts)."""
    monkeypatch.setenv("DOCKER_HOST", docker_engine.host)
    return docker_engine.host


def _left_behind(host: str, *, dead_owners: bool) -> list[str]:
    """Legato containers owned by this process, or (`dead_owners`) by a process that is gone (another session's
    live ones are theirs; in a parallel run, a dead owner may be another worker's test in progress, so only the
    controller looks at them, at the end); removed after being counted, so that one failure does not spill into
    later runs."""
    transport = httpx.HTTPTransport(uds=host.removeprefix("unix://"))
    with httpx.Client(transport=transport, base_url="http://docker", timeout=30) as client:
        found = client.get("/containers/json", params={"all": "1", "filters": '{"label": ["io.legato.managed"]}'}).json()
        mine = docker_reaper.owner_label(os.getpid())
        left = []
        for container in found:
            owner = (container.get("Labels") or {}).get(docker_reaper.OWNER, "")
            if owner == mine or (dead_owners and docker_reaper.owner_alive(owner) is False):
                client.delete(f"/containers/{container['Id']}", params={"force": "1"})
                left.append(container["Names"][0].lstrip("/"))
    return left
