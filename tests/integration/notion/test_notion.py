"""Kestra's Notion page tasks against the REST API test double (double.py), and the Markdown they write as blocks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.notion.double import PARENT, TOKEN, NotionDouble
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.plugins.notion.markdown import blocks

REPORT = """\
# Daily report
Orders were **up** today, see [the dashboard](https://example.com/d).
It was a *good* day.

## Numbers
- 42 orders
- 3 refunds
1. first
2. second
- [x] shipped
- [ ] invoiced
> quoted
---
```python
print("hi")
```
"""


@pytest.fixture
def notion() -> Iterator[NotionDouble]:
    double = NotionDouble()
    with double.serve():
        yield double


def task(double: NotionDouble, kind: str, **props: Any) -> dict[str, Any]:
    return {"id": "t", "type": f"io.kestra.plugin.notion.page.{kind}", "apiToken": TOKEN, "baseUrl": double.base_url,
            **props}


def test_markdown_as_blocks() -> None:
    found = blocks(REPORT)
    assert [b["type"] for b in found] == [
        "heading_1", "paragraph", "heading_2", "bulleted_list_item", "bulleted_list_item", "numbered_list_item",
        "numbered_list_item", "to_do", "to_do", "quote", "divider", "code"]
    paragraph = found[1]["paragraph"]["rich_text"]
    assert [(t["text"]["content"], t.get("annotations"), t["text"].get("link")) for t in paragraph] == [
        ("Orders were ", None, None), ("up", {"bold": True}, None), (" today, see ", None, None),
        ("the dashboard", None, {"url": "https://example.com/d"}), (". It was a ", None, None),
        ("good", {"italic": True}, None), (" day.", None, None)]
    assert [b["to_do"]["checked"] for b in found[7:9]] == [True, False]
    assert found[-1]["code"] == {"rich_text": [{"type": "text", "text": {"content": 'print("hi")'}}], "language": "python"}
    long = blocks("x" * 4500)[0]["paragraph"]["rich_text"]
    assert [len(t["text"]["content"]) for t in long] == [2000, 2000, 500]


def test_create_then_update_a_page(harness: Harness, notion: NotionDouble) -> None:
    created = harness.run(task(notion, "Create", parentPageId=PARENT, title="Report {{ flow.id }}", content=REPORT))
    page = notion.pages[created["pageId"]]
    assert page["title"] == "Report orders" and page["parent"] == PARENT and len(page["children"]) == 12
    assert created["url"] == f"https://www.notion.so/{created['pageId'].replace('-', '')}"
    assert notion.requests[-1].headers["notion-version"] == "2022-06-28"

    harness.run(task(notion, "Update", pageId=created["pageId"], content="\n".join(f"- item {n}" for n in range(150))))
    assert len(page["children"]) == 162 and page["title"] == "Report orders"  # 150 items in two requests of <= 100
    assert [len(r.body["children"]) for r in notion.requests if r.path.endswith("/children")] == [100, 50]
    renamed = harness.run(task(notion, "Update", pageId=created["pageId"], title="Final report"))
    assert page["title"] == "Final report" and renamed["pageId"] == created["pageId"]


def test_refusals(harness: Harness, notion: NotionDouble) -> None:
    with pytest.raises(TaskFailed, match="give a title or content"):
        harness.run(task(notion, "Update", pageId=PARENT))
    with pytest.raises(TaskFailed, match=r"answered HTTP 404: .*object_not_found"):
        harness.run(task(notion, "Update", pageId="99999999-9999-9999-9999-999999999999", title="x"))
    with pytest.raises(TaskFailed, match=r"answered HTTP 401: .*unauthorized"):
        harness.run({**task(notion, "Create", parentPageId=PARENT, title="x"), "apiToken": "wrong"})
