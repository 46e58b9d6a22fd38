"""A namespace's variables as expressions see them (`namespace.<name>`): merged over the parents', read from
storage only when named, kept for a short while, never shadowing a context's own `namespace`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from legato.expressions import ExpressionError, Renderer
from legato.services import namespace_settings as settings
from legato.services.principal import SYSTEM
from legato.storage import LocalStorage
from legato.store.ports import Store


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _save(store: Store, storage: LocalStorage, namespace: str, **variables: object) -> None:
    settings.put(storage, store, settings.NamespaceSettings(namespace, variables=dict(variables)), by=SYSTEM,
                 now=datetime.now(UTC))


def test_expressions_read_the_flow_namespace_variables_nearest_first(tmp_path: Path, sqlite_store: Store) -> None:
    storage = LocalStorage(tmp_path / "storage")
    _save(sqlite_store, storage, "company", region="eu", bucket="main")
    _save(sqlite_store, storage, "company.team", region="us")
    renderer = Renderer(variables=settings.ExpressionVariables(storage))
    context = {"flow": {"namespace": "company.team.etl"}}
    assert renderer.render("{{ namespace.region }}/{{ namespace.bucket }}", context) == "us/main"
    with pytest.raises(ExpressionError):
        renderer.render("{{ namespace.missing }}", context)
    assert renderer.render("{{ namespace }}", {"namespace": "own", "flow": {"namespace": "company"}}) == "own"


def test_a_change_reaches_expressions_once_the_short_cache_expires(tmp_path: Path, sqlite_store: Store) -> None:
    storage = LocalStorage(tmp_path / "storage")
    clock = Clock()
    variables = settings.ExpressionVariables(storage, ttl=2.0, clock=clock)
    _save(sqlite_store, storage, "ops", level="1")
    renderer = Renderer(variables=variables)
    context = {"flow": {"namespace": "ops"}}
    assert renderer.render("{{ namespace.level }}", context) == "1"
    _save(sqlite_store, storage, "ops", level="2")
    assert renderer.render("{{ namespace.level }}", context) == "1"
    clock.now = 2.5
    assert renderer.render("{{ namespace.level }}", context) == "2"
