"""Legato: an open-source, universal workflow orchestrator with Kestra-compatible YAML flows."""

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    # Read from the installed metadata when asked: importlib.metadata costs a CLI start more than its command.
    if name != "__version__":
        raise AttributeError(f"module 'legato' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("legato")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found
