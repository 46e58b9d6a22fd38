"""The installed plugin families: Legato's core types, and one family per `legato.plugins` entry point, with
the distribution that ships it, its version, its types and what it lacks (an optional extra not installed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, entry_points, version
from typing import Any

from legato import plugins
from legato.model.task import missing_extra

CORE = "core"


@dataclass(frozen=True)
class Family:
    name: str
    module: str
    distribution: str
    version: str
    types: list[str] = field(default_factory=list)  # canonical type names, tasks and triggers
    missing: dict[str, str] = field(default_factory=dict)  # type name -> why it cannot run here

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "module": self.module, "distribution": self.distribution, "version": self.version,
                "types": self.types, "missing": self.missing}


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


def families() -> list[Family]:
    """Core first, then each entry-point family by name."""
    classes = [*plugins.registry().classes(), *plugins.trigger_registry().classes()]
    found: list[Family] = []
    claimed: set[int] = set()
    for ep in sorted(entry_points(group="legato.plugins"), key=lambda e: e.name):
        mine = [c for c in classes if c.__module__ == ep.value or c.__module__.startswith(ep.value + ".")]
        claimed.update(id(c) for c in mine)
        distribution = ep.dist.name if ep.dist is not None else "unknown"
        found.append(_family(ep.name, ep.value, distribution, _version(distribution), mine))
    core = [c for c in classes if id(c) not in claimed]
    return [_family(CORE, "legato", "legato", _version("legato"), core), *found]


def _family(name: str, module: str, distribution: str, release: str, classes: list[type[Any]]) -> Family:
    missing = {c.TYPE: why for c in classes if (why := missing_extra(c)) is not None}
    return Family(name, module, distribution, release, sorted(c.TYPE for c in classes), missing)
