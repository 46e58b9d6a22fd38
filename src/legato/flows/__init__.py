"""Flows as the services see them: `parse_flow` with the installed plugins, the per-process `Flows` cache of
parsed revisions and the `DeployedFlows` view of the live ones.

The names are imported when first used: `parse_flow` alone (`legato flow validate`) needs neither the store nor
SQLAlchemy, which the other two bring."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from legato.flows.deployed import DeployedFlows
    from legato.flows.flows import Flows
    from legato.flows.parse import parse_flow

__all__ = ["DeployedFlows", "Flows", "parse_flow"]

_HOMES = {"DeployedFlows": "legato.flows.deployed", "Flows": "legato.flows.flows", "parse_flow": "legato.flows.parse"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
