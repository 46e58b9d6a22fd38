"""A real Git server (git-http-backend over HTTP with basic auth, tests/git_server.py) and the task harness of
the core task tests, with internal storage and the loopback address allowed to the Git tasks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.git_server import GitServer, git_server
from tests.unit.plugins.conftest import Harness
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

from legato.plugins import registry
from legato.plugins.core.netguard import ENV_ALLOWED
from legato.storage import LocalStorage


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitServer]:
    monkeypatch.setenv(ENV_ALLOWED, "127.0.0.1/32")
    root = tmp_path / "git"
    root.mkdir()
    with git_server(root) as running:
        yield running


class Tasks:
    """Runs Git tasks as the worker does, with internal storage, optionally inside a working directory."""

    def __init__(self, harness: Harness, storage: LocalStorage) -> None:
        self.harness = harness
        self.storage = storage

    def run(
        self, source: str, *, working_dir: Path | None = None, namespace: str | None = None
    ) -> tuple[dict[str, Any], Any]:
        execution = self.harness.execution(namespace=namespace) if namespace else None
        ctx = self.harness.context(storage=self.storage, execution=execution)
        ctx.working_dir = working_dir
        return self.harness.run(source, ctx), ctx

    def messages(self, ctx: Any) -> list[str]:
        return [message for _, message in self.harness.messages(ctx)]


@pytest.fixture
def tasks(harness: Harness, tmp_path: Path) -> Tasks:
    registry()
    return Tasks(harness, LocalStorage(tmp_path / "storage"))
