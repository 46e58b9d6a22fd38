"""GitLab issues through the REST API v4 (Kestra's `io.kestra.plugin.gitlab.issues.Create` and `Search`):
{url}{apiPath}/{projectId}/issues, the token in the PRIVATE-TOKEN header, every call through the SSRF guard.

- Create: POST `{"title", "description", "labels": [...]}`; outputs `issueId`, `webUrl`, `statusCode`.
- Search: GET with `state` (opened by default, closed, all), `search` (title and description), `labels`
  (comma-joined); outputs `issues` (GitLab's issue objects, first page), `count`, `statusCode`."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.notifications.http import Answer, HttpNotification
from legato.plugins.runnable import Expression, render_as


class GitLabIssues(HttpNotification):
    """What the GitLab issue tasks share: where the API is, the project and the token."""

    url: str = Field(default="https://gitlab.com", description="The GitLab instance (rendered).")
    apiPath: str = Field(default="/api/v4/projects", description="The projects API path (rendered).")
    token: str = Field(description="A personal, project or group access token (rendered), sent as PRIVATE-TOKEN.")
    projectId: str = Field(description="The project's numeric id or its path, group/name (rendered; encoded here when it is not already).")
    labels: list[str] | Expression | None = Field(default=None, description="Labels (rendered).")

    async def call(self, ctx: RunContext, method: str, query: str = "", body: Any = None) -> Answer:
        project = ctx.render_string(self.projectId).strip()
        encoded = urllib.parse.quote(project, safe="%")  # a path as group/name, or already encoded
        base = ctx.render_string(self.url).rstrip("/") + "/" + ctx.render_string(self.apiPath).strip("/")
        target = f"{base}/{encoded}/issues{query}"
        data = json.dumps(body).encode() if body is not None else b""
        try:
            return await self.post(ctx, target, data, "application/json",
                                   {"PRIVATE-TOKEN": ctx.render_string(self.token)}, method=method)
        except TaskFailed as exc:
            raise TaskFailed(f"GitLab: {exc}") from None

    def label_list(self, ctx: RunContext) -> list[str] | None:
        if self.labels is None:
            return None
        return [str(v) for v in render_as(ctx, ctx.render(self.labels), list[str], "labels")]


@TASKS.register
class GitLabIssueCreate(GitLabIssues):
    """Open an issue in a GitLab project. Outputs `issueId`, `webUrl` and `statusCode`."""

    TYPE: ClassVar[str] = "gitlab.issues.Create"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.gitlab.issues.Create",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: create_issue
type: io.kestra.plugin.gitlab.issues.Create
token: "{{ secret('GITLAB_TOKEN') }}"
projectId: "123"
title: Workflow failed
issueDescription: "{{ execution.id }} failed"
labels:
  - bug
""",
    )

    title: str = Field(description="The issue's title (rendered).")
    issueDescription: str | None = Field(default=None, description="The issue's Markdown description (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        issue: dict[str, Any] = {"title": ctx.render_string(self.title)}
        if self.issueDescription is not None:
            issue["description"] = ctx.render_string(self.issueDescription)
        if (labels := self.label_list(ctx)) is not None:
            issue["labels"] = labels
        answer = await self.call(ctx, "POST", body=issue)
        created = answer.json()
        if not isinstance(created, dict) or "id" not in created:
            raise TaskFailed(f"GitLab: the answer is not an issue: {answer.text[:200]}")
        ctx.logger.info(f"GitLab issue {created.get('web_url', '')} opened")
        return {"issueId": str(created["id"]), "webUrl": created.get("web_url"), "statusCode": answer.code}


@TASKS.register
class GitLabIssueSearch(GitLabIssues):
    """List a GitLab project's issues by state, text and labels. Outputs `issues`, `count` and `statusCode`."""

    TYPE: ClassVar[str] = "gitlab.issues.Search"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.gitlab.issues.Search",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: search_issues
type: io.kestra.plugin.gitlab.issues.Search
token: "{{ secret('GITLAB_TOKEN') }}"
projectId: "123"
search: bug
state: opened
labels:
  - critical
""",
    )

    search: str | None = Field(default=None, description="Text matched against the issues' titles and descriptions (rendered).")
    state: str = Field(default="opened", description="opened, closed or all (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        params = {"state": ctx.render_string(self.state)}
        if self.search is not None:
            params["search"] = ctx.render_string(self.search)
        if (labels := self.label_list(ctx)) is not None:
            params["labels"] = ",".join(labels)
        answer = await self.call(ctx, "GET", "?" + urllib.parse.urlencode(params))
        issues = answer.json()
        if not isinstance(issues, list):
            raise TaskFailed(f"GitLab: the answer is not a list of issues: {answer.text[:200]}")
        ctx.logger.info(f"Found {len(issues)} GitLab issue(s)")
        return {"issues": issues, "count": len(issues), "statusCode": answer.code}
