"""Legato: an open-source, universal workflow orchestrator with Kestra-compatible YAML flows."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("legato")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
