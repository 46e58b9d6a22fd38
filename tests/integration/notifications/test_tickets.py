"""jira.issues.Create and zendesk.tickets.Create against the notification receiver, standing in for Jira's REST API
v2 (POST /rest/api/2/issue/ → 201 `{"id", "key", "self"}`) and Zendesk's Tickets API (POST /api/v2/tickets.json →
201 `{"ticket": {"id", "url", ...}}`): the payload, the authentication, the outputs and the services' refusals."""

from __future__ import annotations

import base64

import pytest
from tests.integration.notifications.receiver import Receiver, as_json
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
