"""Slack's Web API, Telegram's Bot API and the incident services (PagerDuty, Opsgenie, Zenduty, Sentry, Twilio)
against the HTTP test double of each (tests/integration/notifications/receiver.py, answers from their docs): the
documented request arrives, with its credential where the API wants it, and an API error fails the task with the
API's reason. Every `*Execution` task then runs in the `errors` of one real failing flow."""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.notifications.flows import of, run, start
from tests.integration.notifications.receiver import Received, Receiver, as_json, text
from tests.unit.plugins.conftest import Harness

from legato.model.state import State
from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage
from legato.store import open_store
from legato.store.sql import SqlStore

SLACK_OK = {"ok": True, "channel": "C123ABC456", "ts": "1503435956.000247", "message": {"text": "Hello"}}


def test_slack_post_then_reply_in_thread_then_update(harness: Harness, service: Receiver) -> None:
    service.routes["/api/chat.postMessage"] = as_json(200, SLACK_OK)
    service.routes["/api/chat.update"] = as_json(200, {**SLACK_OK, "text": "done"})
    ctx = harness.context(secrets={"SLACK_TOKEN": "xoxb-1234-secret"})
    base = f"type: io.kestra.plugin.slack.app.chats.KIND\ntoken: \"{{{{ secrets.SLACK_TOKEN }}}}\"\nurl: {service.url}/api\nchannel: '#general'\n"
    out = harness.run("id: post\n" + base.replace("KIND", "Post") + "messageText: '**Processing**...'\n", ctx)
    assert out == {"timestamp": "1503435956.000247", "channel": "C123ABC456"}
    posted = service.last()
    assert posted.headers["authorization"] == "Bearer xoxb-1234-secret"
    assert posted.json() == {"text": "*Processing*...", "channel": "#general"}
    harness.run(
        "id: reply\n" + base.replace("KIND", "Post") + "messageText: reply\ntimestamp: '1503435956.000247'\n",
        ctx,
    )
    assert service.last().json() == {"text": "reply", "channel": "#general", "thread_ts": "1503435956.000247"}
    harness.run(
        "id: update\n"
        + base.replace("KIND", "Update")
        + 'timestamp: \'1503435956.000247\'\npayload: \'{"text": "done", "blocks": []}\'\n',
        ctx,
    )
    updated = service.last()
    assert updated.path == "/api/chat.update"
    assert updated.json() == {"text": "done", "blocks": [], "channel": "#general", "ts": "1503435956.000247"}
    assert "xoxb" not in " ".join(m for _, m in harness.messages(ctx))


def test_slack_api_errors_fail_with_the_reason(harness: Harness, service: Receiver) -> None:
    service.routes["/api/chat.postMessage"] = as_json(200, {"ok": False, "error": "channel_not_found"})
    with pytest.raises(TaskFailed, match=r"chat\.postMessage .* failed: channel_not_found"):
        harness.run(
            f"id: p\ntype: io.kestra.plugin.slack.app.chats.Post\ntoken: t\nurl: {service.url}/api\nchannel: nope\nmessageText: x\n"
        )
    with pytest.raises(TaskFailed, match="property 'channel' is required"):
        harness.run(
            f"id: p\ntype: io.kestra.plugin.slack.app.chats.Post\ntoken: t\nurl: {service.url}/api\nmessageText: x\n"
        )


def test_telegram_send_and_a_bad_token(harness: Harness, service: Receiver) -> None:
    service.routes["/bot123:ABC/sendMessage"] = as_json(
        200, {"ok": True, "result": {"message_id": 7, "chat": {"id": -100}, "text": "hi"}}
    )
    service.routes["/botbad/sendMessage"] = as_json(
        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
    )
    task = (
        "id: t\ntype: io.kestra.plugin.notifications.telegram.TelegramSend\ntoken: '{token}'\nchannel: '@ops'\npayload: '<b>done</b>'\nparseMode: HTML\nendpointOverride: "
        + service.url
        + "\n"
    )
    harness.run(task.format(token="123:ABC"))
    assert service.last().json() == {"chat_id": "@ops", "text": "<b>done</b>", "parse_mode": "HTML"}
    with pytest.raises(TaskFailed) as failure:
        harness.run(task.format(token="bad"))
    assert (
        "answered 401" in str(failure.value)
        and "Unauthorized" in str(failure.value)
        and "botbad" not in str(failure.value)
    )


def test_pagerduty_opsgenie_and_zenduty_alerts(harness: Harness, service: Receiver) -> None:
    service.routes["/v2/enqueue"] = as_json(
        202, {"status": "success", "message": "Event processed", "dedup_key": "k1"}
    )
    service.routes["/v2/alerts"] = as_json(
        202, {"result": "Request will be processed", "took": 0.3, "requestId": "r1"}
    )
    service.routes["/api/events/"] = as_json(201, {"message": "ok"})
    harness.run(
        f"id: pd\ntype: io.kestra.plugin.notifications.pagerduty.PagerDutyAlert\nurl: {service.url}/v2/enqueue\n"
        'payload: \'{"routing_key": "R1", "event_action": "trigger", "payload": {"summary": "s", "source": "x", "severity": "error"}}\'\n'
    )
    assert service.last().json()["routing_key"] == "R1"
    harness.run(
        f"id: og\ntype: io.kestra.plugin.notifications.opsgenie.OpsgenieAlert\nurl: {service.url}/v2/alerts\n"
        'authorizationToken: abc-key\npayload: \'{"message": "down"}\'\n'
    )
    assert service.last().headers["authorization"] == "GenieKey abc-key"
    harness.run(
        f"id: zd\ntype: io.kestra.plugin.notifications.zenduty.ZendutyAlert\nurl: {service.url}/api/events/KEY1/\n"
        'payload: \'{"alert_type": "info", "message": "m", "summary": "s"}\'\n'
    )
    assert service.last().path == "/api/events/KEY1/" and service.last().json()["alert_type"] == "info"


def test_sentry_envelope_and_store_endpoints_from_the_dsn(harness: Harness, service: Receiver) -> None:
    service.routes["/api/42/"] = as_json(200, {"id": "0" * 32})
    dsn = service.url.replace("http://", "http://pubkey1@") + "/42"
    harness.run(f"id: s\ntype: io.kestra.plugin.notifications.sentry.SentryAlert\ndsn: '{dsn}'\n")
    got = service.last()
    path, query = got.path.split("?")
    assert path == "/api/42/envelope/" and urllib.parse.parse_qs(query)["sentry_key"] == ["pubkey1"]
    head, item, event = (json.loads(line) for line in got.text.strip().split("\n"))
    assert head["event_id"] == event["event_id"] and head["dsn"] == dsn
    assert item == {
        "type": "event",
        "length": len(json.dumps(event).encode()),
        "content_type": "application/json",
    }
    assert event["level"] == "error" and event["message"]["message"].startswith("Execution ")
    harness.run(
        f"id: s\ntype: io.kestra.plugin.notifications.sentry.SentryAlert\ndsn: '{dsn}'\nendpointType: STORE\npayload: '{{\"level\": \"info\"}}'\n"
    )
    assert service.last().path.startswith("/api/42/store/?") and service.last().json()["level"] == "info"
    with pytest.raises(TaskFailed, match="property 'dsn' must be a Sentry DSN"):
        harness.run(
            f"id: s\ntype: io.kestra.plugin.notifications.sentry.SentryAlert\ndsn: '{service.url}/42'\n"
        )


def test_slack_history_reads_every_page_into_an_ion_file(harness: Harness, service: Receiver, tmp_path: Path) -> None:
    pages = {None: ([{"type": "message", "user": "U1", "text": "first", "ts": "1764979200.000100"}], "c2"),
             "c2": ([{"type": "message", "user": "U2", "text": "second", "ts": "1764979300.000200"}], "")}

    def history(request: Received) -> tuple[int, str, bytes]:
        messages, following = pages[request.json().get("cursor")]
        body = {"ok": True, "messages": messages, "has_more": bool(following),
                "response_metadata": {"next_cursor": following}}
        return 200, "application/json", json.dumps(body).encode()

    service.routes["/api/conversations.history"] = history
    storage = LocalStorage(tmp_path / "storage")
    ctx = harness.context(secrets={"SLACK_TOKEN": "xoxb-1"}, storage=storage)
    out = harness.run(
        f"id: h\ntype: io.kestra.plugin.slack.app.conversations.History\ntoken: \"{{{{ secrets.SLACK_TOKEN }}}}\"\n"
        f"url: {service.url}/api\nchannel: C42\noldest: '2025-12-06T00:00:00Z'\n", ctx)
    assert out["size"] == 2
    lines = storage.get(out["uri"]).decode().splitlines()
    assert [line.count("first") + line.count("second") for line in lines] == [1, 1] and "U2" in lines[1]
    first, second = (r.json() for r in service.received)
    assert first == {"channel": "C42", "limit": 200, "inclusive": False, "oldest": "1764979200.000000"}
    assert second == {**first, "cursor": "c2"}
    assert service.last().headers["authorization"] == "Bearer xoxb-1"
    service.routes["/api/conversations.history"] = as_json(200, {"ok": False, "error": "channel_not_found"})
    with pytest.raises(TaskFailed, match="channel_not_found"):
        harness.run(f"id: h\ntype: io.kestra.plugin.slack.app.conversations.History\ntoken: t\n"
                    f"url: {service.url}/api\nchannel: C0\n", harness.context(storage=storage))


def test_twilio_posts_form_fields_with_basic_auth(harness: Harness, service: Receiver) -> None:
    service.routes["/v1/Services/IS1/Notifications"] = as_json(201, {"sid": "NT1"})
    harness.run(
        f"id: tw\ntype: io.kestra.plugin.notifications.twilio.TwilioAlert\nurl: {service.url}/v1/Services/IS1/Notifications\n"
        'accountSID: AC1\nauthToken: tok\npayload: \'{"Body": "down", "Identity": "0001"}\'\n'
    )
    got = service.last()
    assert got.headers["content-type"] == "application/x-www-form-urlencoded"
    assert got.headers["authorization"] == "Basic " + base64.b64encode(b"AC1:tok").decode()
    assert urllib.parse.parse_qs(got.text) == {"Body": ["down"], "Identity": ["0001"]}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqlStore]:
    monkeypatch.setenv("LEGATO_URL", "https://legato.example.com")
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    yield store
    store.close()


def test_every_execution_task_reports_a_failed_flow(store: SqlStore, service: Receiver) -> None:
    service.routes["/pd"] = as_json(
        202, {"status": "success", "message": "Event processed", "dedup_key": "k"}
    )
    service.routes["/og"] = as_json(202, {"result": "Request will be processed"})
    service.routes["/zd"] = as_json(201, {})
    service.routes["/api/7/"] = as_json(200, {"id": "x"})
    service.routes["/tw"] = as_json(201, {"sid": "NT1"})
    service.routes["/bot9:T/sendMessage"] = as_json(200, {"ok": True, "result": {"message_id": 1}})
    service.routes["/discord"] = lambda _: (204, "", b"")
    service.routes["/chat"] = as_json(200, {"name": "spaces/A/messages/B"})
    dsn = service.url.replace("http://", "http://k@") + "/7"
    flow = f"""
id: billing
namespace: notify.all
tasks:
  - id: charge
    type: io.kestra.plugin.core.execution.Fail
errors:
  - id: pagerduty
    type: io.kestra.plugin.notifications.pagerduty.PagerDutyExecution
    url: {service.url}/pd
    routingKey: R1
  - id: opsgenie
    type: io.kestra.plugin.notifications.opsgenie.OpsgenieExecution
    url: {service.url}/og
    authorizationToken: GenieKey g1
    priority: P1
    responders: {{team-1: team}}
    tags: [billing]
  - id: zenduty
    type: io.kestra.plugin.notifications.zenduty.ZendutyExecution
    url: {service.url}/zd
  - id: sentry
    type: io.kestra.plugin.notifications.sentry.SentryExecution
    dsn: "{dsn}"
    level: FATAL
  - id: twilio
    type: io.kestra.plugin.twilio.notify.TwilioExecution  # Kestra's newer name
    url: {service.url}/tw
    accountSID: AC1
    authToken: tok
    identity: "0001"
  - id: telegram
    type: io.kestra.plugin.notifications.telegram.TelegramExecution
    endpointOverride: {service.url}
    token: "9:T"
    channel: "-100"
  - id: discord
    type: io.kestra.plugin.notifications.discord.DiscordExecution
    url: {service.url}/discord
    username: Legato
    embedList:
      - title: Billing
        color: [255, 0, 0]
  - id: chat
    type: io.kestra.plugin.notifications.google.GoogleChatExecution
    url: {service.url}/chat
"""
    execution = start(store, [flow], "notify.all", "billing")
    run(store, lambda: len(service.received) >= 8)
    [ended] = of(store, "billing")
    assert ended.state == State.FAILED
    link = f"https://legato.example.com/ui/executions/{execution.id}"
    got: dict[str, Received] = {r.path.split("?")[0].rstrip("/").split("/")[-1]: r for r in service.received}
    pd = got["pd"].json()
    assert pd["routing_key"] == "R1" and pd["event_action"] == "trigger" and pd["links"][0]["href"] == link
    assert (
        pd["payload"]["severity"] == "error" and pd["payload"]["custom_details"]["Final task ID"] == "charge"
    )
    og = got["og"].json()
    assert got["og"].headers["authorization"] == "GenieKey g1"
    assert og["message"] == "[notify.all] billing ➛ FAILED" and og["priority"] == "P1"
    assert og["responders"] == [{"id": "team-1", "type": "team"}] and og["tags"] == ["billing"]
    zd = got["zd"].json()
    assert (
        zd["alert_type"] == "error" and zd["entity_id"] == execution.id and zd["urls"][0]["link_url"] == link
    )
    _, _, event = (json.loads(line) for line in got["envelope"].text.strip().split("\n"))
    assert event["level"] == "fatal" and event["exception"]["values"][0]["value"].startswith(
        "Failed on task `charge` after "
    )
    body = urllib.parse.parse_qs(got["Notifications" if "Notifications" in got else "tw"].text)
    assert (
        body["Identity"] == ["0001"]
        and "Failed on task `charge`" in body["Body"][0]
        and link in body["Body"][0]
    )
    telegram = got["sendMessage"].json()
    assert telegram["chat_id"] == "-100" and "[notify.all] billing ➛ FAILED" in telegram["text"]
    discord = got["discord"].json()
    assert discord["username"] == "Legato" and discord["embeds"][0] == {"title": "Billing", "color": 0xFF0000}
    assert (
        discord["embeds"][1]["footer"]["text"].startswith("Failed on task `charge`")
        and discord["embeds"][1]["url"] == link
    )
    assert got["chat"].json()["text"].startswith(f"*<{link}|[notify.all] billing ➛ FAILED>*")


def test_teams_answer_text_is_accepted(harness: Harness, service: Receiver) -> None:
    service.routes["/t"] = text(200, "1")
    harness.run(
        f'id: t\ntype: io.kestra.plugin.notifications.teams.TeamsIncomingWebhook\nurl: {service.url}/t\npayload: \'{{"text": "x"}}\'\n'
    )
    assert service.last().json() == {"text": "x"}


def test_slack_project_channel_flow(store: SqlStore, service: Receiver) -> None:
    """A real Kestra blueprint's shape: create a channel, set its topic, invite people, welcome them, react."""
    service.routes["/api/conversations.create"] = as_json(
        200, {"ok": True, "channel": {"id": "C0NEW1", "name": "proj-acme", "is_private": False}}
    )
    service.routes["/api/conversations.setTopic"] = as_json(200, {"ok": True, "channel": {"id": "C0NEW1"}})
    service.routes["/api/conversations.invite"] = as_json(200, {"ok": True, "channel": {"id": "C0NEW1"}})
    service.routes["/api/chat.postMessage"] = as_json(200, {**SLACK_OK, "channel": "C0NEW1"})
    service.routes["/api/reactions.add"] = as_json(200, {"ok": True})
    common = f"    token: xoxb-1\n    url: {service.url}/api\n"
    flow = f"""
id: project_channel
namespace: notify.slack
inputs:
  - id: user_ids
    type: ARRAY
    itemType: STRING
    defaults: [U01, U02]
tasks:
  - id: create_channel
    type: io.kestra.plugin.slack.app.conversations.Create
{common}    name: proj-acme
  - id: set_topic
    type: io.kestra.plugin.slack.app.conversations.SetTopic
{common}    channel: "{{{{ outputs.create_channel.id }}}}"
    topic: ACME launch
  - id: invite_users
    type: io.kestra.plugin.slack.app.conversations.Invite
{common}    channel: "{{{{ outputs.create_channel.id }}}}"
    users: "{{{{ inputs.user_ids }}}}"
  - id: post_welcome
    type: io.kestra.plugin.slack.app.chats.Post
{common}    channel: "{{{{ outputs.create_channel.id }}}}"
    messageText: Welcome
  - id: add_reaction
    type: io.kestra.plugin.slack.app.reactions.Add
{common}    channel: "{{{{ outputs.create_channel.id }}}}"
    name: ":white_check_mark:"
    timestamp: "{{{{ outputs.post_welcome.timestamp }}}}"
"""
    start(store, [flow], "notify.slack", "project_channel")
    run(store, lambda: len(service.received) >= 5)
    [ended] = of(store, "project_channel")
    assert ended.state == State.SUCCESS
    calls = [(r.path.removeprefix("/api/"), r.json()) for r in service.received]
    assert calls == [
        ("conversations.create", {"name": "proj-acme", "is_private": False}),
        ("conversations.setTopic", {"channel": "C0NEW1", "topic": "ACME launch"}),
        ("conversations.invite", {"channel": "C0NEW1", "users": "U01,U02"}),
        ("chat.postMessage", {"text": "Welcome", "channel": "C0NEW1"}),
        (
            "reactions.add",
            {"channel": "C0NEW1", "timestamp": "1503435956.000247", "name": "white_check_mark"},
        ),
    ]
    assert all(r.headers["authorization"] == "Bearer xoxb-1" for r in service.received)


def test_slack_canvas_from_markdown(harness: Harness, service: Receiver) -> None:
    service.routes["/api/canvases.create"] = as_json(200, {"ok": True, "canvas_id": "F0CANVAS1"})
    out = harness.run(
        f"""
id: canvas
type: io.kestra.plugin.slack.app.canvases.Create
token: xoxb-1
url: {service.url}/api
title: "Daily metrics {{{{ inputs.day }}}}"
documentContent:
  type: markdown
  markdown: "## Orders: {{{{ inputs.orders }}}}"
""",
        harness.context(inputs={"day": "2024-05-01", "orders": 42}),
    )
    assert out == {"canvasId": "F0CANVAS1"}
    assert service.last().json() == {
        "title": "Daily metrics 2024-05-01",
        "document_content": {"type": "markdown", "markdown": "## Orders: 42"},
    }
