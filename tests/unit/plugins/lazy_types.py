"""Test-only types for tests/unit/plugins/test_type_index.py, registered in lazy_registry.REGISTRY (never in
TASKS) when this module is imported: one needs a Python package that is not installed."""

from __future__ import annotations

from typing import ClassVar

from legato.model.task import Task
from tests.unit.plugins.lazy_registry import REGISTRY


@REGISTRY.register
class NeedsAcme(Task):
    """A task whose client library is missing here."""

    TYPE: ClassVar[str] = "acme.NeedsAcme"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.acme.NeedsAcme",)
    REQUIRES: ClassVar[tuple[str, ...]] = ("acme_client_not_installed",)
    EXTRA: ClassVar[str] = "acme"


@REGISTRY.register
class Plain(Task):
    """A task that needs nothing."""

    TYPE: ClassVar[str] = "acme.Plain"
