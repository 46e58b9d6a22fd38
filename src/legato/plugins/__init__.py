"""Every task and trigger type. Core ones ship here grouped by domain; third-party ones register through the
entry-point group `legato.plugins` (each entry point names a module that registers its classes on import)."""

from __future__ import annotations

import importlib
import os
from importlib.metadata import entry_points

from legato.model.task import TASKS, TRIGGERS, TaskRegistry

_loaded = False


def registry() -> TaskRegistry:
    """The task registry with every core and installed plugin loaded."""
    _load_all()
    return TASKS


def trigger_registry() -> TaskRegistry:
    """The trigger registry with every core and installed plugin loaded."""
    _load_all()
    return TRIGGERS


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    importlib.import_module("legato.model.flowable")
    importlib.import_module("legato.model.flowable_worker")
    importlib.import_module("legato.model.triggers")
    importlib.import_module("legato.plugins.core")
    importlib.import_module("legato.plugins.scripts")
    importlib.import_module("legato.plugins.triggers")
    for ep in entry_points(group="legato.plugins"):
        importlib.import_module(ep.value)
    # Modules named here (comma-separated) register their classes on import, like entry points, without
    # installing a package: plugins under development, test-only tasks.
    for name in os.environ.get("LEGATO_EXTRA_PLUGINS", "").split(","):
        if name.strip():
            importlib.import_module(name.strip())
    _loaded = True
