"""Every task and trigger type. Core ones ship here grouped by domain; third-party ones register through the
entry-point group `legato.plugins` (each entry point names a module that registers its classes on import).

Nothing is imported up front: the registries import the module of a type when a flow first names it (through
the generated `type_index.json`, see `loader`), and every plugin when all types are listed."""

from __future__ import annotations

from legato.model.task import TASKS, TRIGGERS, TaskRegistry
from legato.plugins import loader

loader.attach()


def registry() -> TaskRegistry:
    """The task registry: every core and installed plugin type, each imported when first looked up."""
    return TASKS


def trigger_registry() -> TaskRegistry:
    """The trigger registry: every core and installed plugin type, each imported when first looked up."""
    return TRIGGERS
