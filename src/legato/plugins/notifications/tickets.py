"""Tickets in issue trackers, Kestra's `io.kestra.plugin.jira.issues.Create`, `io.kestra.plugin.zendesk.tickets.
Create`, `io.kestra.plugin.github.issues.Create` and `io.kestra.plugin.linear.issues.Create`, typically in a flow
triggered by another's failure.

- Jira: POST {baseUrl}/rest/api/2/issue/ with `{"fields": {"project": {"key"}, "summary", "description",
  "issuetype": {"id"}, "labels": ["kestra-bot", ...]}}`; Basic authentication with `username` and `password` (an
  API token), else Bearer `accessToken`. Outputs (Legato's; Kestra's task has none) `id` and `key` of the issue.
- Zendesk: POST {domain}/api/v2/tickets.json with `{"ticket": {"subject", "comment": {"body"}, "priority", "type",
  "assignee_id", "tags"}}`; Basic `username/token:token`, else Bearer `oauthToken`. Outputs `id` and `url`.
- GitHub: POST {endpoint}/repos/{owner}/{repo}/issues with `{"title", "body", "labels", "assignees"}`; `token`
  authentication with `oauthToken` or `appInstallationToken`, Bearer with `jwtToken`. Outputs `issueUrl`,
  `issueNumber`. (Kestra's newer `fields`, GitHub's custom issue fields, are not built.)
- Linear (GraphQL, `token` as the whole Authorization value): the team's id by name (`teams`), the labels' ids by
  name (`issueLabels`), then `issueCreate`. Outputs `isSuccess`, `issueId`.
A `baseUrl`/`domain` without a scheme gets https://. Every call goes through the SSRF guard."""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.notifications.http import HttpNotification
from legato.plugins.runnable import Expression, render_as


def _base(url: str) -> str:
    url = url.strip().rstrip("/")
    return url if url.startswith(("http://", "https://")) else f"https://{url}"


def _basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def _answer(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text) if text.strip() else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@TASKS.register
class JiraCreate(HttpNotification):
    """Create a Jira issue (labelled `kestra-bot` and `labels`). Outputs `id` and `key`."""

    TYPE: ClassVar[str] = "jira.issues.Create"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.jira.issues.Create",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: jira_ticket
type: io.kestra.plugin.jira.issues.Create
baseUrl: your-domain.atlassian.net
username: your_email@example.com
password: "{{ secret('JIRA_API_TOKEN') }}"
projectKey: OPS
summary: Workflow failed
description: "{{ trigger.executionId }} has failed on {{ taskrun.startDate }}"
labels:
  - bug
""",
    )

    baseUrl: str = Field(description="The Jira site, e.g. https://your-domain.atlassian.net (rendered; https:// added when missing).")
    username: str | None = Field(default=None, description="User (email) for Basic authentication, with `password` (rendered).")
    password: str | None = Field(default=None, description="API token or password for Basic authentication (rendered).")
    accessToken: str | None = Field(default=None, description="OAuth Bearer token, used when username/password are not both set (rendered).")
    projectKey: str = Field(description="Key of the project the issue goes to (rendered).")
    summary: str | None = Field(default=None, description="The issue's summary (rendered).")
    description: str | None = Field(default=None, description="The issue's description (rendered).")
    labels: list[str] | Expression | None = Field(default=None, description="Labels added to `kestra-bot` (rendered).")
    issueTypeId: str | int | None = Field(default=None, description="Id of the issue type (see /rest/api/2/issue/createmeta); the project's default when unset.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        fields: dict[str, Any] = {"project": {"key": ctx.render_string(self.projectKey)}}
        if self.summary is not None:
            fields["summary"] = ctx.render_string(self.summary)
        if self.description is not None:
            fields["description"] = ctx.render_string(self.description)
        if self.issueTypeId is not None:
            fields["issuetype"] = {"id": ctx.render_string(str(self.issueTypeId))}
        labels = render_as(ctx, ctx.render(self.labels), list[str], "labels") if self.labels is not None else []
        fields["labels"] = ["kestra-bot", *[str(label) for label in labels]]
        user = ctx.render_string(self.username) if self.username else ""
        secret = ctx.render_string(self.password) if self.password else ""
        if user and secret:
            auth = _basic(user, secret)
        elif self.accessToken:
            auth = f"Bearer {ctx.render_string(self.accessToken)}"
        else:
            raise TaskFailed("set `username` and `password` (an API token), or `accessToken`")
        url = f"{_base(ctx.render_string(self.baseUrl))}/rest/api/2/issue/"
        try:
            answer = await self.post_json(ctx, url, {"fields": fields}, {"Authorization": auth, "Accept": "application/json"})
        except TaskFailed as exc:
            raise TaskFailed(f"Jira: creating the issue failed: {exc}") from None
        body = _answer(answer.text)
        ctx.logger.info(f"Jira issue {body.get('key', '')} created")
        return {"id": body.get("id"), "key": body.get("key")}


@TASKS.register
class ZendeskCreate(HttpNotification):
    """Create a Zendesk ticket. Outputs `id` and `url`."""

    TYPE: ClassVar[str] = "zendesk.tickets.Create"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.zendesk.tickets.Create",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: zendesk_ticket
type: io.kestra.plugin.zendesk.tickets.Create
domain: mycompany.zendesk.com
username: ops@example.com
token: "{{ secret('ZENDESK_API_TOKEN') }}"
subject: Workflow failed
description: "{{ trigger.executionId }} has failed."
priority: HIGH
ticketType: INCIDENT
tags:
  - workflow
""",
    )

    domain: str = Field(description="The Zendesk instance, e.g. mycompany.zendesk.com (rendered; https:// added when missing).")
    username: str | None = Field(default=None, description="Agent email for API-token authentication, with `token` (rendered).")
    token: str | None = Field(default=None, description="API token (rendered).")
    oauthToken: str | None = Field(default=None, description="OAuth Bearer token, used when username/token are not both set (rendered).")
    subject: str | None = Field(default=None, description="The ticket's subject (rendered).")
    description: str | None = Field(default=None, description="The ticket's first comment (rendered).")
    priority: Literal["URGENT", "HIGH", "NORMAL", "LOW"] | Expression | None = Field(default=None, description="URGENT, HIGH, NORMAL or LOW.")
    ticketType: Literal["PROBLEM", "INCIDENT", "QUESTION", "TASK"] | Expression | None = Field(default=None, description="PROBLEM, INCIDENT, QUESTION or TASK.")
    assigneeId: int | Expression | None = Field(default=None, description="Id of the agent the ticket is assigned to.")
    tags: list[str] | Expression | None = Field(default=None, description="Tags of the ticket (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        ticket: dict[str, Any] = {}
        if self.subject is not None:
            ticket["subject"] = ctx.render_string(self.subject)
        if self.description is not None:
            ticket["comment"] = {"body": ctx.render_string(self.description)}
        for prop, name, allowed in (("priority", "priority", ("URGENT", "HIGH", "NORMAL", "LOW")),
                                    ("ticketType", "type", ("PROBLEM", "INCIDENT", "QUESTION", "TASK"))):
            value = getattr(self, prop)
            if value is not None:
                rendered = ctx.render_string(value).upper()
                if rendered not in allowed:
                    raise TaskFailed(f"property '{prop}' must be one of {', '.join(allowed)}, not {rendered!r}")
                ticket[name] = rendered.lower()
        if self.assigneeId is not None:
            ticket["assignee_id"] = render_as(ctx, ctx.render(self.assigneeId), int, "assigneeId")
        if self.tags is not None:
            ticket["tags"] = [str(t) for t in render_as(ctx, ctx.render(self.tags), list[str], "tags")]
        user = ctx.render_string(self.username) if self.username else ""
        secret = ctx.render_string(self.token) if self.token else ""
        if user and secret:
            auth = _basic(f"{user}/token", secret)
        elif self.oauthToken:
            auth = f"Bearer {ctx.render_string(self.oauthToken)}"
        else:
            raise TaskFailed("set `username` and `token`, or `oauthToken`")
        base = _base(ctx.render_string(self.domain))
        try:
            answer = await self.post_json(ctx, f"{base}/api/v2/tickets.json", {"ticket": ticket}, {"Authorization": auth})
        except TaskFailed as exc:
            raise TaskFailed(f"Zendesk: creating the ticket failed: {exc}") from None
        created = _answer(answer.text).get("ticket") or {}
        ticket_id = created.get("id")
        ctx.logger.info(f"Zendesk ticket {ticket_id} created")
        return {"id": ticket_id, "url": created.get("url") or (f"{base}/api/v2/tickets/{ticket_id}.json" if ticket_id else None)}


@TASKS.register
class GithubIssueCreate(HttpNotification):
    """Open a GitHub issue (REST API: POST {endpoint}/repos/{owner}/{repo}/issues). Outputs `issueUrl` and
    `issueNumber`."""

    TYPE: ClassVar[str] = "github.issues.Create"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.github.issues.Create",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: github_issue
type: io.kestra.plugin.github.issues.Create
oauthToken: "{{ secret('GITHUB_TOKEN') }}"
repository: my-org/my-repo
title: Workflow failed
body: "{{ trigger.executionId }} has failed on {{ taskrun.startDate }}"
labels:
  - bug
""",
    )

    login: str | None = Field(default=None, description="The GitHub login the token belongs to (informative: the token identifies the caller).")
    oauthToken: str | None = Field(default=None, description="A personal access token or OAuth token (rendered).")
    jwtToken: str | None = Field(default=None, description="A token sent as Bearer, e.g. a GitHub App JWT or a fine-grained token (rendered).")
    appInstallationToken: str | None = Field(default=None, description="A GitHub App installation token (rendered).")
    endpoint: str = Field(default="https://api.github.com", description="API base URL (GitHub Enterprise: https://ghe.example.com/api/v3).")
    repository: str = Field(description="owner/name of the repository (rendered).")
    title: str = Field(description="The issue's title (rendered).")
    body: str | None = Field(default=None, description="The issue's Markdown body (rendered).")
    labels: list[str] | Expression | None = Field(default=None, description="Labels of the issue (rendered).")
    assignees: list[str] | Expression | None = Field(default=None, description="Logins of the assignees (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        repository = ctx.render_string(self.repository).strip().strip("/")
        if repository.count("/") != 1:
            raise TaskFailed(f"property 'repository' must be owner/name, not {repository!r}")
        if self.oauthToken:
            auth = f"token {ctx.render_string(self.oauthToken)}"
        elif self.appInstallationToken:
            auth = f"token {ctx.render_string(self.appInstallationToken)}"
        elif self.jwtToken:
            auth = f"Bearer {ctx.render_string(self.jwtToken)}"
        else:
            raise TaskFailed("set `oauthToken`, `jwtToken` or `appInstallationToken`")
        issue: dict[str, Any] = {"title": ctx.render_string(self.title)}
        if self.body is not None:
            issue["body"] = ctx.render_string(self.body)
        for prop in ("labels", "assignees"):
            value = getattr(self, prop)
            if value is not None:
                issue[prop] = [str(v) for v in render_as(ctx, ctx.render(value), list[str], prop)]
        url = f"{ctx.render_string(self.endpoint).rstrip('/')}/repos/{repository}/issues"
        headers = {"Authorization": auth, "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        try:
            answer = await self.post_json(ctx, url, issue, headers)
        except TaskFailed as exc:
            raise TaskFailed(f"GitHub: opening the issue failed: {exc}") from None
        created = _answer(answer.text)
        ctx.logger.info(f"GitHub issue {created.get('html_url', '')} opened")
        return {"issueUrl": created.get("html_url"), "issueNumber": created.get("number")}


_LINEAR_CREATE = "mutation ($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id } } }"


@TASKS.register
class LinearCreate(HttpNotification):
    """Create a Linear issue in a team (named), with labels (named). Outputs `isSuccess` and `issueId`; when Linear
    refuses the issue the task ends in WARNING with `isSuccess: false`, as Kestra's does."""

    TYPE: ClassVar[str] = "linear.issues.Create"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.linear.issues.Create",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: linear_issue
type: io.kestra.plugin.linear.issues.Create
token: "{{ secret('LINEAR_API_KEY') }}"
team: Platform
title: Workflow failed
description: "{{ trigger.executionId }} has failed on {{ taskrun.startDate }}"
labels:
  - Bug
""",
    )

    token: str = Field(description="The whole Authorization header value (a personal API key, or `Bearer <OAuth token>`; rendered).")
    team: str = Field(description="Name of the team the issue goes to (rendered; case-insensitive).")
    title: str = Field(description="The issue's title (rendered).")
    description: str | None = Field(default=None, description="The issue's Markdown description (rendered).")
    labels: list[str] | Expression | None = Field(default=None, description="Names of existing labels to set (rendered; unknown names are skipped).")
    url: str = Field(default="https://api.linear.app/graphql", description="Legato: the GraphQL endpoint (a proxy, or a test double).")

    async def _query(self, ctx: RunContext, payload: dict[str, Any]) -> dict[str, Any]:
        answer = await self.post_json(ctx, ctx.render_string(self.url), payload,
                                      {"Authorization": ctx.render_string(self.token)})
        return _answer(answer.text)

    @staticmethod
    def _nodes(body: dict[str, Any], field: str) -> list[dict[str, Any]]:
        nodes = ((body.get("data") or {}).get(field) or {}).get("nodes") or []
        return [n for n in nodes if isinstance(n, dict)]

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        team = ctx.render_string(self.team).strip()
        try:
            teams = self._nodes(await self._query(ctx, {"query": "query { teams { nodes { id name } } }"}), "teams")
            team_id = next((t["id"] for t in teams if str(t.get("name", "")).lower() == team.lower()), None)
            if team_id is None:
                raise TaskFailed(f"Linear: no team named {team!r} (teams: {', '.join(str(t.get('name')) for t in teams)})")
            wanted = [str(n) for n in render_as(ctx, ctx.render(self.labels), list[str], "labels")] if self.labels is not None else []
            label_ids: list[str] = []
            if wanted:
                known = self._nodes(await self._query(ctx, {"query": "query { issueLabels { nodes { id name } } }"}), "issueLabels")
                by_name = {str(n.get("name", "")).lower(): n["id"] for n in known}
                label_ids = [by_name[w.lower()] for w in wanted if w.lower() in by_name]
                missing = [w for w in wanted if w.lower() not in by_name]
                if missing:
                    ctx.logger.warn(f"Linear: no label named {', '.join(missing)}: not set")
            issue: dict[str, Any] = {"teamId": team_id, "title": ctx.render_string(self.title)}
            if self.description is not None:
                issue["description"] = ctx.render_string(self.description)
            if label_ids:
                issue["labelIds"] = label_ids
            body = await self._query(ctx, {"query": _LINEAR_CREATE, "variables": {"input": issue}})
        except TaskFailed as exc:
            if str(exc).startswith("Linear:"):
                raise
            raise TaskFailed(f"Linear: {exc}") from None
        created = (body.get("data") or {}).get("issueCreate") or {}
        if body.get("errors") or not created.get("success"):
            ctx.logger.warn(f"Linear refused the issue: {json.dumps(body.get('errors') or body)[:500]}")
            ctx.effects.warning = True
            return {"isSuccess": False, "issueId": None}
        issue_id = (created.get("issue") or {}).get("id")
        ctx.logger.info(f"Linear issue {issue_id} created")
        return {"isSuccess": True, "issueId": issue_id}
