"""Script tasks run for real (real interpreters, real processes) through the worker's RunContext over a real
SQLite store; each test's storage is a LocalStorage under tmp_path, handed to the context as the worker will."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.scripts.interpreters import put_tools_on_path
from tests.unit.plugins.conftest import Clock, Harness
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

from legato.plugins import registry
from legato.storage import LocalStorage

registry()  # registers the script tasks
put_tools_on_path()  # bun and deno from `make tools`


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LEGATO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "legato-cache"))
    yield


class Scripts:
    """Runs script tasks and reads back what a user would see."""

    def __init__(self, harness: Harness, storage: LocalStorage) -> None:
        self.harness = harness
        self.storage = storage

    def context(self, **kwargs: Any) -> Any:
        return self.harness.context(storage=self.storage, **kwargs)

    def run(self, source: str, ctx: Any = None, **kwargs: Any) -> tuple[dict[str, Any], Any]:
        ctx = ctx or self.context(**kwargs)
        return self.harness.run(source, ctx), ctx

    def messages(self, ctx: Any) -> list[tuple[str, str]]:
        return self.harness.messages(ctx)


@pytest.fixture
def scripts(harness: Harness, storage: LocalStorage) -> Scripts:
    return Scripts(harness, storage)


__all__ = ["Clock", "Scripts"]
