"""A test double of Notion's REST API, version 2022-06-28 (developers.notion.com/reference: "Create a page",
"Update page properties", "Retrieve a page", "Append block children"), over in-memory pages:

- POST /v1/pages with `parent.page_id`, `properties.title.title` (rich text) and at most 100 `children` answers 200
  with the page object (`object: page`, `id`, `url`, `created_time`, `last_edited_time`, `properties`);
- PATCH /v1/pages/{id} with `properties` and GET /v1/pages/{id} answer the page;
- PATCH /v1/blocks/{id}/children with at most 100 `children` appends them and answers `{"object": "list",
  "results": [blocks]}`; more than 100 is 400 `validation_error`;
- an unknown page is 404 `{"object": "error", "status": 404, "code": "object_not_found", "message": ...}`; a request
  without the bearer token or the `Notion-Version` header is 401 `unauthorized` / 400 `missing_version`."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api_double import ApiDouble, Reply, Request

TOKEN = "secret_notion"
PARENT = "11111111-2222-3333-4444-555555555555"


def error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"object": "error", "status": status, "code": code, "message": message})


class NotionDouble(ApiDouble):
    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, dict[str, Any]] = {PARENT: {"id": PARENT, "title": "Parent", "children": []}}
        self.route("POST", r"/v1/pages", self._create)
        self.route("PATCH", r"/v1/pages/(?P<page>[0-9a-f-]+)", self._patch)
        self.route("GET", r"/v1/pages/(?P<page>[0-9a-f-]+)", self._get)
        self.route("PATCH", r"/v1/blocks/(?P<page>[0-9a-f-]+)/children", self._append)

    def dispatch(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            with self.lock:
                self.requests.append(request)
            return error(401, "unauthorized", "API token is invalid.")
        if "notion-version" not in request.headers:
            return error(400, "missing_version", "Notion-Version header failed validation.")
        return super().dispatch(request)

    def _page(self, page: dict[str, Any]) -> dict[str, Any]:
        return {"object": "page", "id": page["id"], "url": f"https://www.notion.so/{page['id'].replace('-', '')}",
                "created_time": "2026-12-07T10:00:00.000Z", "last_edited_time": "2026-12-07T10:05:00.000Z",
                "properties": {"title": {"id": "title", "type": "title",
                                         "title": [{"plain_text": page["title"]}]}}}

    def _create(self, request: Request) -> Reply:
        body = request.body
        parent = body["parent"]["page_id"]
        if parent not in self.pages:
            return error(404, "object_not_found", f"Could not find page with ID: {parent}.")
        if len(body.get("children", [])) > 100:
            return error(400, "validation_error", "body.children.length should be ≤ `100`.")
        page_id = str(uuid.uuid4())
        title = "".join(t["text"]["content"] for t in body["properties"]["title"]["title"])
        self.pages[page_id] = {"id": page_id, "title": title, "parent": parent, "children": list(body.get("children", []))}
        return Reply(200, self._page(self.pages[page_id]))

    def _patch(self, request: Request, page: str) -> Reply:
        if page not in self.pages:
            return error(404, "object_not_found", f"Could not find page with ID: {page}.")
        title = request.body.get("properties", {}).get("title", {}).get("title")
        if title is not None:
            self.pages[page]["title"] = "".join(t["text"]["content"] for t in title)
        return Reply(200, self._page(self.pages[page]))

    def _get(self, request: Request, page: str) -> Reply:
        if page not in self.pages:
            return error(404, "object_not_found", f"Could not find page with ID: {page}.")
        return Reply(200, self._page(self.pages[page]))

    def _append(self, request: Request, page: str) -> Reply:
        if page not in self.pages:
            return error(404, "object_not_found", f"Could not find block with ID: {page}.")
        children = request.body["children"]
        if len(children) > 100:
            return error(400, "validation_error", "body.children.length should be ≤ `100`.")
        self.pages[page]["children"] += children
        return Reply(200, {"object": "list", "results": children})
