"""A registry of its own for the test-only types of lazy_types (never TASKS)."""

from legato.model.task import TaskRegistry

REGISTRY = TaskRegistry()
