"""Notion pages (API version 2022-06-28, the integration token as a bearer token): `page.Create` creates a page
under `parentPageId` with a title and Markdown content; `page.Update` changes a page's title and appends Markdown
content to its end (at least one of the two). Content goes in requests of at most 100 blocks, Notion's limit.
Requests go through the SSRF guard: `baseUrl` is the flow's to set."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.apiclient import ApiClient
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.notion.markdown import Block, blocks, rich_text
from legato.plugins.runnable import RunnableTask, render_optional_text, render_text

API = "https://api.notion.com"
VERSION = "2022-06-28"
_MOST_BLOCKS = 100  # children in one request


class NotionTask(RunnableTask):
    apiToken: str = Field(description="The integration's token (an internal integration secret; use a secret).")
    baseUrl: str = Field(default=API, description="Legato: the API's base URL (a proxy, or a test double).")
    options: dict[str, Any] | None = Field(default=None, description="Kestra's HTTP client options (accepted; timeouts are 60 s).")

    def client(self, ctx: RunContext) -> ApiClient:
        return ApiClient("Notion", render_text(ctx, self.baseUrl).rstrip("/"), max_retries=3,
                         retry_statuses=frozenset({429, 502, 503, 504}),
                         headers={"Authorization": f"Bearer {render_text(ctx, self.apiToken)}", "Notion-Version": VERSION})

    @staticmethod
    async def append(client: ApiClient, page_id: str, children: list[Block]) -> None:
        for start in range(0, len(children), _MOST_BLOCKS):
            await client.call("PATCH", f"/v1/blocks/{page_id}/children", json={"children": children[start:start + _MOST_BLOCKS]})

    @staticmethod
    def outputs(page: dict[str, Any]) -> dict[str, Any]:
        return {"pageId": page.get("id"), "url": page.get("url"), "createdTime": page.get("created_time"),
                "lastEditedTime": page.get("last_edited_time")}


def _title(text: str) -> dict[str, Any]:
    return {"title": {"title": rich_text(text)}}


@TASKS.register
class Create(NotionTask):
    """Create a page under another page, titled `title`, with `content` (Markdown) as its blocks; outputs
    `pageId`, `url`, `createdTime`, `lastEditedTime`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.notion.page.Create"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: create_page
type: io.kestra.plugin.notion.page.Create
apiToken: "{{ secret('NOTION_API_TOKEN') }}"
parentPageId: "{{ secret('NOTION_PARENT_PAGE_ID') }}"
title: "Daily report {{ now() | date('yyyy-MM-dd') }}"
content: |
  # Summary
  - {{ outputs.count.value }} orders
""",
    )

    parentPageId: str = Field(description="The page the new page goes under (rendered).")
    title: str = Field(description="The page's title (rendered).")
    content: str | None = Field(default=None, description="The page's content, in Markdown (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        children = blocks(render_optional_text(ctx, self.content) or "")
        client = self.client(ctx)
        body = {"parent": {"page_id": render_text(ctx, self.parentPageId)}, "properties": _title(render_text(ctx, self.title)),
                "children": children[:_MOST_BLOCKS]}
        page = await client.call("POST", "/v1/pages", json=body) or {}
        if not page.get("id"):
            raise TaskFailed(f"Notion: creating the page gave no page: {str(page)[:300]}")
        await self.append(client, page["id"], children[_MOST_BLOCKS:])
        ctx.logger.info(f"Notion page {page['id']} created with {len(children)} block(s)")
        return self.outputs(page)


@TASKS.register
class Update(NotionTask):
    """Give a page a new `title` and/or append `content` (Markdown) at its end; at least one of the two. Outputs
    `pageId`, `url`, `createdTime`, `lastEditedTime`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.notion.page.Update"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: update_page
type: io.kestra.plugin.notion.page.Update
apiToken: "{{ secret('NOTION_API_TOKEN') }}"
pageId: 12345678-1234-1234-1234-123456789abc
title: Meeting notes (updated)
content: |
  ## Next steps
  - [ ] Ship the release
""",
    )

    pageId: str = Field(description="The page's id: a UUID, or 32 hex digits (rendered).")
    title: str | None = Field(default=None, description="A new title (rendered).")
    content: str | None = Field(default=None, description="Markdown appended at the end of the page (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        title, content = render_optional_text(ctx, self.title), render_optional_text(ctx, self.content)
        if not title and not content:
            raise TaskFailed("give a title or content to update the page with")
        page_id, client = render_text(ctx, self.pageId).strip(), self.client(ctx)
        if content:
            await self.append(client, page_id, blocks(content))
        if title:
            page = await client.call("PATCH", f"/v1/pages/{page_id}", json={"properties": _title(title)})
        else:
            page = await client.call("GET", f"/v1/pages/{page_id}")
        return self.outputs(page or {})
