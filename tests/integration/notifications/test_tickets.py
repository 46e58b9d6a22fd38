"""jira.issues.Create, zendesk.tickets.Create, github.issues.Create, gitlab.issues.Create/Search and
linear.issues.Create against the notification
receiver standing in for Jira's REST API v2 (POST /rest/api/2/issue/ → 201 `{"id", "key", "self"}`), Zendesk's
Tickets API (POST /api/v2/tickets.json → 201 `{"ticket": {"id", "url", ...}}`), GitHub's REST API (POST
/repos/{owner}/{repo}/issues → 201 `{"number", "html_url"}`), GitLab's REST API v4 (POST and GET
/api/v4/projects/{id}/issues) and Linear's GraphQL API (teams, issueLabels,
issueCreate): the payload, the authentication, the outputs and the services' refusals."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from tests.integration.notifications.receiver import Received, Receiver, as_json
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed


def _basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def test_jira_issue_with_labels_and_type(harness: Harness, service: Receiver) -> None:
    service.routes["/rest/api/2/issue/"] = as_json(201, {"id": "10042", "key": "OPS-7", "self": "x"})
    out = harness.run(f"""
id: jira
type: io.kestra.plugin.jira.issues.Create
baseUrl: {service.url}
username: me@example.com
password: api-token
projectKey: OPS
summary: Workflow failed
description: "{{{{ 40 + 2 }}}} has failed"
issueTypeId: 10001
labels:
  - bug
  - workflow
""")
    assert out == {"id": "10042", "key": "OPS-7"}
    sent = service.last()
    assert sent.method == "POST" and sent.headers["authorization"] == _basic("me@example.com", "api-token")
    assert sent.json() == {"fields": {"project": {"key": "OPS"}, "summary": "Workflow failed", "description": "42 has failed",
                                      "issuetype": {"id": "10001"}, "labels": ["kestra-bot", "bug", "workflow"]}}


def test_jira_bearer_and_refusal(harness: Harness, service: Receiver) -> None:
    service.routes["/rest/api/2/issue/"] = as_json(400, {"errorMessages": [], "errors": {"project": "valid project is required"}})
    with pytest.raises(TaskFailed, match=r"Jira: creating the issue failed.*valid project is required"):
        harness.run(f"id: j\ntype: io.kestra.plugin.jira.issues.Create\nbaseUrl: {service.url}\naccessToken: oauth\nprojectKey: NOPE\n")
    assert service.last().headers["authorization"] == "Bearer oauth"
    with pytest.raises(TaskFailed, match="username"):
        harness.run(f"id: j\ntype: io.kestra.plugin.jira.issues.Create\nbaseUrl: {service.url}\nprojectKey: OPS\n")


def test_zendesk_ticket(harness: Harness, service: Receiver) -> None:
    service.routes["/api/v2/tickets.json"] = as_json(201, {"ticket": {"id": 35436, "url": "https://x.zendesk.com/api/v2/tickets/35436.json"}})
    out = harness.run(f"""
id: zd
type: io.kestra.plugin.zendesk.tickets.Create
domain: {service.url}
username: ops@example.com
token: zd-token
subject: Workflow failed
description: "Execution {{{{ 'abc' }}}} has failed."
priority: NORMAL
ticketType: INCIDENT
assigneeId: 1
tags:
  - bug
""")
    assert out == {"id": 35436, "url": "https://x.zendesk.com/api/v2/tickets/35436.json"}
    sent = service.last()
    assert sent.headers["authorization"] == _basic("ops@example.com/token", "zd-token")
    assert sent.json() == {"ticket": {"subject": "Workflow failed", "comment": {"body": "Execution abc has failed."},
                                      "priority": "normal", "type": "incident", "assignee_id": 1, "tags": ["bug"]}}
    service.routes["/api/v2/tickets.json"] = as_json(401, {"error": "Couldn't authenticate you"})
    with pytest.raises(TaskFailed, match=r"Zendesk: creating the ticket failed.*authenticate"):
        harness.run(f"id: zd\ntype: io.kestra.plugin.zendesk.tickets.Create\ndomain: {service.url}\noauthToken: o\nsubject: s\n")


def test_github_issue(harness: Harness, service: Receiver) -> None:
    service.routes["/repos/acme/shop/issues"] = as_json(201, {"number": 12, "html_url": "https://github.com/acme/shop/issues/12"})
    out = harness.run(f"""
id: gh
type: io.kestra.plugin.github.issues.Create
endpoint: {service.url}
jwtToken: ghs_token
repository: acme/shop
title: Workflow failed
body: "Execution {{{{ 'abc' }}}} failed"
labels: [bug, workflow]
assignees: [octocat]
""")
    assert out == {"issueUrl": "https://github.com/acme/shop/issues/12", "issueNumber": 12}
    sent = service.last()
    assert sent.headers["authorization"] == "Bearer ghs_token" and sent.headers["accept"] == "application/vnd.github+json"
    assert sent.json() == {"title": "Workflow failed", "body": "Execution abc failed", "labels": ["bug", "workflow"],
                           "assignees": ["octocat"]}
    with pytest.raises(TaskFailed, match="owner/name"):
        harness.run(f"id: gh\ntype: io.kestra.plugin.github.issues.Create\nendpoint: {service.url}\noauthToken: t\nrepository: shop\ntitle: x\n")


def test_gitlab_issue_create_then_search(harness: Harness, service: Receiver) -> None:
    service.routes["/api/v4/projects/acme%2Fshop/issues"] = lambda r: (
        (201, "application/json", json.dumps({"id": 84, "iid": 7, "web_url": "https://gitlab.example/acme/shop/-/issues/7"}).encode())
        if r.method == "POST" else
        (200, "application/json", json.dumps([{"iid": 7, "title": "Workflow failed", "state": "opened"}]).encode()))
    base = f"url: {service.url}\ntoken: glpat-1\nprojectId: acme/shop\n"
    out = harness.run("id: c\ntype: io.kestra.plugin.gitlab.issues.Create\n" + base
                      + "title: Workflow failed\nissueDescription: \"Execution {{ 'abc' }} failed\"\nlabels: [bug]\n")
    assert out == {"issueId": "84", "webUrl": "https://gitlab.example/acme/shop/-/issues/7", "statusCode": 201}
    sent = service.last()
    assert sent.method == "POST" and sent.headers["private-token"] == "glpat-1"
    assert sent.json() == {"title": "Workflow failed", "description": "Execution abc failed", "labels": ["bug"]}
    found = harness.run("id: s\ntype: io.kestra.plugin.gitlab.issues.Search\n" + base + "search: failed\nlabels: [bug, ci]\n")
    assert found == {"issues": [{"iid": 7, "title": "Workflow failed", "state": "opened"}], "count": 1, "statusCode": 200}
    asked = service.last()
    assert asked.method == "GET" and asked.path == "/api/v4/projects/acme%2Fshop/issues?state=opened&search=failed&labels=bug%2Cci"
    service.routes["/api/v4/projects/9/issues"] = as_json(404, {"message": "404 Project Not Found"})
    with pytest.raises(TaskFailed, match=r"GitLab: .*404 Project Not Found"):
        harness.run(f"id: s\ntype: io.kestra.plugin.gitlab.issues.Search\nurl: {service.url}\ntoken: t\nprojectId: '9'\n")


def test_linear_issue_by_team_and_label_names(harness: Harness, service: Receiver) -> None:
    seen: list[dict[str, Any]] = []

    def graphql(received: Received) -> tuple[int, str, bytes]:
        query = received.json()
        seen.append(query)
        if "teams" in query["query"]:
            data = {"teams": {"nodes": [{"id": "t-1", "name": "Platform"}, {"id": "t-2", "name": "Data"}]}}
        elif "issueLabels" in query["query"]:
            data = {"issueLabels": {"nodes": [{"id": "l-bug", "name": "Bug"}, {"id": "l-wf", "name": "Workflow"}]}}
        elif query["variables"]["input"]["title"] == "refused":
            return 200, "application/json", json.dumps({"errors": [{"message": "Argument Validation Error"}]}).encode()
        else:
            data = {"issueCreate": {"success": True, "issue": {"id": "iss-9"}}}
        return 200, "application/json", json.dumps({"data": data}).encode()

    service.routes["/graphql"] = graphql
    base = f"id: lin\ntype: io.kestra.plugin.linear.issues.Create\nurl: {service.url}/graphql\ntoken: lin_api_key\nteam: platform\n"
    out = harness.run(base + "title: Workflow failed\ndescription: \"{{ 'abc' }} failed\"\nlabels: [Bug, Unknown]\n")
    assert out == {"isSuccess": True, "issueId": "iss-9"}
    assert service.last().headers["authorization"] == "lin_api_key"
    assert seen[-1]["variables"] == {"input": {"teamId": "t-1", "title": "Workflow failed", "description": "abc failed",
                                               "labelIds": ["l-bug"]}}
    ctx = harness.context()
    assert harness.run(base + "title: refused\n", ctx) == {"isSuccess": False, "issueId": None}
    assert ctx.effects.warning is True
    with pytest.raises(TaskFailed, match="no team named 'Nope'"):
        harness.run(base.replace("team: platform", "team: Nope") + "title: x\n")
