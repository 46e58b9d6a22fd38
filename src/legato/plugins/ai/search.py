"""Tavily's web search API (`POST /search`, `Authorization: Bearer tvly-...`), shared by the retriever and the tool."""

from __future__ import annotations

from typing import Any

from legato.plugins.ai import http
from legato.plugins.context import RunContext, TaskFailed


async def tavily_search(ctx: RunContext, api_key: str, base_url: str, query: str, max_results: int) -> list[dict[str, Any]]:
    """Tavily's `POST /search`: the results (title, url, content, score) for a query."""
    answer = await http.request("POST", http.join(base_url, "search"), body={"query": query, "max_results": max_results},
                                headers={"Authorization": f"Bearer {ctx.render_string(api_key)}"}, timeout=60.0)
    data = answer.json()
    if not isinstance(data, dict):
        raise TaskFailed("Tavily answered something that is not a JSON object")
    return [r for r in data.get("results") or [] if isinstance(r, dict)]
