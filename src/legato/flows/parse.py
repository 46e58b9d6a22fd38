"""Parsing a flow with every installed task and trigger type: the one way a source becomes a Flow."""

from __future__ import annotations

from collections.abc import Sequence

from legato import plugins
from legato.model.flow import Flow
from legato.model.loader import load_flow
from legato.model.taskfield import PluginDefault


def parse_flow(source: str, name: str = "<flow>", defaults: Sequence[PluginDefault] = ()) -> Flow:
    """Parse and validate a flow with every installed task and trigger type; FlowValidationError names `name`
    and the lines of the problems. `defaults`: its namespace's plugin defaults (below the flow's own)."""
    return load_flow(source, source=name, registry=plugins.registry(), triggers=plugins.trigger_registry(),
                     defaults=defaults)
