"""Pydantic models of flows, tasks, triggers, inputs and executions, and the YAML loader that builds them.

The names below are the surface other layers use; the submodules hold the rest.
"""

from legato.model.errors import FlowValidationError, InputsError, Problem
from legato.model.flow import Flow
from legato.model.inputs_values import validate_inputs
from legato.model.loader import load_flow, load_flows
from legato.model.schema import flow_json_schema

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
