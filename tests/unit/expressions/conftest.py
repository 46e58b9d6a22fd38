"""Shared fixtures: a renderer with a fixed clock and a context shaped like the runtime's."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from legato.expressions import Renderer

FIXED_NOW = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


class LazyOutputs(Mapping[str, Any]):
    """Outputs the way the runtime passes them: a Mapping that loads a task's outputs on access."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self.loaded: list[str] = []

    def __getitem__(self, key: str) -> Any:
        value = self._data[key]
        self.loaded.append(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def make_context() -> dict[str, Any]:
    return {
        "flow": {"id": "hello", "namespace": "company.team", "revision": 2},
        "execution": {"id": "exec1", "startDate": datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
                      "state": "RUNNING", "originalId": "exec1"},
        "inputs": {"name": "World", "count": 3, "ratio": 0.5, "flag": True, "off": False, "empty": "",
                   "items": [3, 1, 2], "words": ["b", "a", "c"], "nested": {"a": {"b": 42}},
                   "nothing": None, "data": {"k1": "v1", "k2": "v2"}, "text": "  Hello World  ",
                   "csv": "a,b,c", "json": '{"x": 1, "y": [1, 2]}', "big": 1234567.891},
        "outputs": LazyOutputs({"t1": {"value": "v1", "rows": 10},
                                "my-task": {"value": "dash"},
                                "each": {"a": {"value": "out-a"}, "b": {"value": "out-b"}}}),
        "vars": {"env": "prod", "limit": 5},
        "labels": {"team": "data"},
        "trigger": {"body": {"msg": "{{ 7*7 }}"}},
        "taskrun": {"id": "tr1", "startDate": datetime(2024, 1, 2, 3, 4, 6, tzinfo=UTC), "attemptsCount": 1,
                    "parentId": None, "value": "b", "iteration": 0},
        "parents": [],
        "task": {"id": "t2", "type": "io.kestra.plugin.core.log.Log"},
        "envs": {"home": "/home/app"},
        "globals": {"region": "eu"},
    }


@pytest.fixture
def ctx() -> dict[str, Any]:
    return make_context()


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(clock=lambda: FIXED_NOW)
