"""Pydantic models of flows, tasks, triggers, inputs and executions, and the YAML loader that builds them.

The names below are the surface other layers use; the submodules hold the rest. Each name loads its submodule on
first use: a module that needs only a small one (`legato.model.state`, the CLI talking to a server) does not pay
for the flow models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from legato.model.errors import FlowValidationError, InputsError, Problem
    from legato.model.flow import Flow
    from legato.model.inputs_values import validate_inputs
    from legato.model.loader import load_flow, load_flows
    from legato.model.schema import flow_json_schema

_SUBMODULES = {
    "Flow": "flow",
    "FlowValidationError": "errors",
    "InputsError": "errors",
    "Problem": "errors",
    "flow_json_schema": "schema",
    "load_flow": "loader",
    "load_flows": "loader",
    "validate_inputs": "inputs_values",
}

__all__ = [
    "Flow",
    "FlowValidationError",
    "InputsError",
    "Problem",
    "flow_json_schema",
    "load_flow",
    "load_flows",
    "validate_inputs",
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return getattr(importlib.import_module(f"legato.model.{_SUBMODULES[name]}"), name)
    raise AttributeError(f"module 'legato.model' has no attribute {name!r}")
