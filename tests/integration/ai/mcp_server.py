"""A real MCP server (the MCP SDK's FastMCP) for the MCP client tools' tests: `python mcp_server.py` serves over
stdio, `python mcp_server.py http PORT` over streamable HTTP on 127.0.0.1, `python mcp_server.py sse PORT` over
HTTP+SSE."""

from __future__ import annotations

import sys

from mcp.server.fastmcp import FastMCP

server = FastMCP("legato-test", host="127.0.0.1", port=int(sys.argv[2]) if len(sys.argv) > 2 else 8000)


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def where() -> str:
    """The server's view of its own environment: its working folder, variables, and whether it sees the file PROBE names."""
    import os

    probe = os.environ.get("PROBE", "")
    return (f"cwd={os.getcwd()} home={os.environ.get('HOME')} secret={os.environ.get('TOKEN', '-')} "
            f"sees_host_tmp={bool(probe) and os.path.exists(probe)}")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "stdio"
    server.run(transport={"http": "streamable-http", "sse": "sse"}.get(mode, "stdio"))
