"""Every tool block an AI task accepts under `tools:`, by Kestra's type names."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import SerializeAsAny

from legato.plugins.ai.mcp_tools import SseMcpClient, StdioMcpClient, StreamableHttpMcpClient
from legato.plugins.ai.tools import KestraFlow, KestraTask, TavilyWebSearchTool, ToolProvider
from legato.plugins.subplugins import SubPlugin, sub_plugin

TOOLS: list[type[SubPlugin]] = [KestraTask, KestraFlow, TavilyWebSearchTool, StdioMcpClient, StreamableHttpMcpClient,
                                SseMcpClient]
Tool: TypeAlias = Annotated[SerializeAsAny[ToolProvider], *sub_plugin("tool", TOOLS)]
