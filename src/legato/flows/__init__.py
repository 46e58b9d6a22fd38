"""Flows as the services see them: `parse_flow` with the installed plugins, the per-process `Flows` cache of
parsed revisions and the `DeployedFlows` view of the live ones."""

from legato.flows.deployed import DeployedFlows
from legato.flows.flows import Flows
from legato.flows.parse import parse_flow

__all__ = ["DeployedFlows", "Flows", "parse_flow"]
