"""Importing plugins on demand, so that parsing a flow imports only the modules of the types it names.

`type_index.json` (generated, checked in) maps every task and trigger type name, aliases included, to the module whose
import registers it. A registry asks its source for a name it does not hold yet: the module the index names is
imported; a name the index does not know makes the third-party plugins load (`legato.plugins` entry points of
other packages, LEGATO_EXTRA_PLUGINS), then everything. Listing the types (`names()`, `classes()`: JSON Schema,
the plugins API and CLI, the copilot) loads everything first. A stale index therefore costs time, never a wrong
answer: everything is found by walking the packages, not by reading the index.

    python -m legato.plugins           # rewrite type_index.json (`make plugin-index`)
    python -m legato.plugins --check   # exit 1 if it is stale
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from legato.model.task import TASKS, TRIGGERS, TaskRegistry

GROUP = "legato.plugins"
# Legato's own types outside legato.plugins: the flowable tasks and the core triggers.
MODEL_MODULES = ("legato.model.flowable", "legato.model.flowable_worker", "legato.model.triggers")
INDEX_PATH = Path(__file__).with_name("type_index.json")


def ours(module: str) -> bool:
    """Whether `module` is Legato's own."""
    return module == "legato" or module.startswith("legato.")


def _own_modules() -> list[str]:
    """Every module of Legato that may register a type, found by walking the packages (not from the index)."""
    import pkgutil

    import legato.plugins

    walked = (m.name for m in pkgutil.walk_packages(legato.plugins.__path__, "legato.plugins.")
              if not m.name.endswith(".__main__"))
    return [*MODEL_MODULES, *walked]


class Plugins:
    """What is imported so far. Imports are idempotent, so two threads importing at once only repeat work; a full
    load is one thread's at a time, so that a listing in another thread waits for it instead of seeing part."""

    def __init__(self) -> None:
        self._outside = False
        self._all = False
        self._loading = False
        self._full_load = threading.RLock()

    def import_module(self, module: str) -> bool:
        """Import `module`; False if it does not exist (an index older than a module's removal)."""
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module.startswith(exc.name):
                return False
            raise
        return True

    def load_outside(self) -> None:
        """Plugins of other packages: the `legato.plugins` entry points not in Legato, and LEGATO_EXTRA_PLUGINS
        (comma-separated modules that register their classes on import, as entry points do, without installing a
        package: plugins under development, test-only tasks)."""
        if self._outside:
            return
        from importlib.metadata import entry_points

        for ep in entry_points(group=GROUP):
            if not ours(ep.value):
                importlib.import_module(ep.value)
        for name in os.environ.get("LEGATO_EXTRA_PLUGINS", "").split(","):
            if name.strip():
                importlib.import_module(name.strip())
        self._outside = True

    def load_all(self) -> None:
        """Every installed plugin. A module that lists the types while it is being imported gets those so far."""
        if self._all:
            return
        with self._full_load:
            if self._all or self._loading:
                return
            self._loading = True
            try:
                for module in _own_modules():
                    importlib.import_module(module)
                self.load_outside()
                self._all = True
            finally:
                self._loading = False


class IndexedSource:
    """A registry's TypeSource: the index first, then the plugins of other packages, then everything."""

    def __init__(self, plugins: Plugins, index: Mapping[str, str], registry: TaskRegistry) -> None:
        self._plugins = plugins
        self._index = index
        self._registry = registry

    def load(self, name: str) -> None:
        module = self._index.get(name)
        if module is not None and self._plugins.import_module(module) and self._registry.loaded(name) is not None:
            return
        self._plugins.load_outside()
        if self._registry.loaded(name) is None:
            self._plugins.load_all()

    def load_all(self) -> None:
        self._plugins.load_all()


PLUGINS = Plugins()


@functools.cache
def read_index() -> tuple[dict[str, str], dict[str, str]]:
    """(task names, trigger names) -> module, as the checked-in index says (read once per process)."""
    index = json.loads(INDEX_PATH.read_text())
    return index["tasks"], index["triggers"]


def attach() -> None:
    """Make TASKS and TRIGGERS find the types not imported yet through the index."""
    tasks, triggers = read_index()
    TASKS.attach(IndexedSource(PLUGINS, tasks, TASKS))
    TRIGGERS.attach(IndexedSource(PLUGINS, triggers, TRIGGERS))


def build_index() -> tuple[dict[str, str], dict[str, str]]:
    """(task names, trigger names) -> the Legato module whose import registers each, from a full load."""
    PLUGINS.load_all()
    return (
        {name: module for name, module in sorted(TASKS.origins().items()) if ours(module)},
        {name: module for name, module in sorted(TRIGGERS.origins().items()) if ours(module)},
    )


def render(tasks: Mapping[str, str], triggers: Mapping[str, str]) -> str:
    """The text of type_index.json (generated by `make plugin-index`; do not edit: tests/unit/plugins/
    test_type_index.py fails when it is stale)."""
    return json.dumps({"tasks": dict(sorted(tasks.items())), "triggers": dict(sorted(triggers.items()))},
                      indent=1) + "\n"


def differences(index: tuple[Mapping[str, str], Mapping[str, str]],
                actual: tuple[Mapping[str, str], Mapping[str, str]]) -> list[str]:
    """What a checked-in index says wrong or lacks, one line per type name."""
    out = []
    for kind, said, found in (("task", index[0], actual[0]), ("trigger", index[1], actual[1])):
        for name in sorted(set(said) | set(found)):
            if said.get(name) != found.get(name):
                out.append(f"{kind} {name}: index says {said.get(name)}, registered by {found.get(name)}")
    return out


def main(argv: list[str]) -> int:
    actual = build_index()
    if "--check" in argv:
        stale = differences(read_index(), actual)
        for line in stale:
            print(line, file=sys.stderr)
        if stale:
            print(f"{INDEX_PATH} is stale: run `make plugin-index`", file=sys.stderr)
        return 1 if stale else 0
    INDEX_PATH.write_text(render(*actual))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
