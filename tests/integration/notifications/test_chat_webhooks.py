"""Slack, Teams, Discord, Google Chat and Zulip incoming webhooks against the HTTP test double of each service
(tests/integration/notifications/receiver.py): the payload each service documents arrives, answers other than
2xx fail the task with the service's reason, and the webhook URL (the credential) shows in no log or error."""

from __future__ import annotations

import pytest
from tests.integration.notifications.receiver import Receiver, as_json, text
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed


def test_slack_payload_is_posted_as_json(harness: Harness, service: Receiver) -> None:
    service.routes["/services/T1/B2/secret"] = text(200, "ok")
    ctx = harness.context(
        inputs={"name": "orders"},
        secrets={"SLACK_WEBHOOK": f"{service.url}/services/T1/B2/secret"},
        log_level="DEBUG",
    )
    harness.run(
        """
id: slack
type: io.kestra.plugin.notifications.slack.SlackIncomingWebhook
url: "{{ secrets.SLACK_WEBHOOK }}"
options:
  headers:
    X-Team: "{{ inputs.name }}"
payload: |
  {"text": "Failure in {{ inputs.name }}", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*{{ inputs.name }}*"}}]}
""",
        ctx,
    )
    got = service.last()
    assert got.path == "/services/T1/B2/secret" and got.headers["content-type"] == "application/json"
    assert got.headers["x-team"] == "orders"
    assert got.json() == {
        "text": "Failure in orders",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*orders*"}}],
    }
    logs = " ".join(m for _, m in harness.messages(ctx))
    assert "Request succeeded" in logs and "secret" not in logs and "/services/" not in logs


def test_slack_message_text_becomes_mrkdwn_and_json_text_is_kept(harness: Harness, service: Receiver) -> None:
    service.routes["/hook"] = text(200, "ok")
    harness.run(f"""
id: slack
type: io.kestra.plugin.slack.notifications.SlackIncomingWebhook
url: {service.url}/hook
messageText: "**Done**: __orders__ see [the run](https://example.com/r/1)"
""")
    assert service.last().json() == {"text": "*Done*: _orders_ see <https://example.com/r/1|the run>"}
    harness.run(f"""
id: slack
type: io.kestra.plugin.slack.SlackIncomingWebhook
url: {service.url}/hook
messageText: '{{"text": "raw", "unfurl_links": false}}'
""")
    assert service.last().json() == {"text": "raw", "unfurl_links": False}


def test_a_refused_webhook_fails_with_the_services_reason_and_no_url(
    harness: Harness, service: Receiver
) -> None:
    service.routes["/services/gone"] = text(404, "no_service")
    with pytest.raises(TaskFailed) as failure:
        harness.run(f"""
id: slack
type: io.kestra.plugin.notifications.slack.SlackIncomingWebhook
url: {service.url}/services/gone/TOKEN123
payload: '{{"text": "x"}}'
""")
    assert "answered 404: no_service" in str(failure.value)
    assert "TOKEN123" not in str(failure.value) and "/***" in str(failure.value)


def test_bad_payload_and_missing_message_are_clear_errors(harness: Harness, service: Receiver) -> None:
    with pytest.raises(TaskFailed, match="property 'payload' is not valid JSON"):
        harness.run(
            f"id: s\ntype: io.kestra.plugin.notifications.slack.SlackIncomingWebhook\nurl: {service.url}/x\npayload: '{{text: 1'\n"
        )
    with pytest.raises(TaskFailed, match="either 'messageText' or 'payload' must be set"):
        harness.run(
            f"id: s\ntype: io.kestra.plugin.notifications.slack.SlackIncomingWebhook\nurl: {service.url}/x\n"
        )
    with pytest.raises(TaskFailed, match="property 'url' must be an http"):
        harness.run(
            "id: s\ntype: io.kestra.plugin.notifications.slack.SlackIncomingWebhook\nurl: file:///etc/passwd\npayload: '{}'\n"
        )
    assert service.received == []


def test_the_ssrf_guard_still_blocks_internal_addresses(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEGATO_HTTP_ALLOWED_NETWORKS", raising=False)
    for url in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/x"):
        with pytest.raises(TaskFailed, match="private, loopback or otherwise internal"):
            harness.run(
                f"id: s\ntype: io.kestra.plugin.notifications.discord.DiscordIncomingWebhook\nurl: {url}\npayload: '{{}}'\n"
            )


def test_teams_discord_google_chat_and_zulip_webhooks(harness: Harness, service: Receiver) -> None:
    service.routes["/teams"] = text(200, "1")
    service.routes["/discord"] = lambda _: (204, "", b"")
    service.routes["/chat"] = as_json(200, {"name": "spaces/AAA/messages/BBB", "text": "hi"})
    service.routes["/zulip"] = as_json(200, {"result": "success", "msg": ""})
    cards = {
        "teams": '{"@type": "MessageCard", "@context": "http://schema.org/extensions", "summary": "s", "sections": [{"activityTitle": "t"}]}',
        "discord": '{"username": "Kestra", "content": "done"}',
        "chat": '{"text": "done"}',
        "zulip": '{"text": "done"}',
    }
    types = {
        "teams": "teams.TeamsIncomingWebhook",
        "discord": "discord.DiscordIncomingWebhook",
        "chat": "google.GoogleChatIncomingWebhook",
        "zulip": "zulip.ZulipIncomingWebhook",
    }
    for key, kind in types.items():
        harness.run(
            f"id: n\ntype: io.kestra.plugin.notifications.{kind}\nurl: {service.url}/{key}\npayload: '{cards[key]}'\n"
        )
        got = service.last()
        assert got.path == f"/{key}" and got.headers["content-type"] == "application/json"
        assert got.json() == __import__("json").loads(cards[key])


def test_a_redirect_is_not_followed(harness: Harness, service: Receiver) -> None:
    service.routes["/moved"] = lambda _: (302, "text/plain", b"")
    with pytest.raises(TaskFailed, match="answered 302"):
        harness.run(
            f"id: n\ntype: io.kestra.plugin.notifications.teams.TeamsIncomingWebhook\nurl: {service.url}/moved\npayload: '{{}}'\n"
        )


def test_an_unknown_execution_id_fails_at_once(harness: Harness, service: Receiver) -> None:
    with pytest.raises(TaskFailed, match="property 'executionId': no execution 'nope' found"):
        harness.run(
            f"id: s\ntype: io.kestra.plugin.notifications.slack.SlackExecution\nurl: {service.url}/x\nexecutionId: nope\n"
        )
    assert service.received == []


def test_the_summary_of_another_ended_execution(
    harness: Harness, service: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from legato.model.state import State

    monkeypatch.setenv("LEGATO_URL", "https://ui.example.com/")
    service.routes["/x"] = text(200, "ok")
    other = harness.execution(state=State.SUCCESS)
    harness.run(
        f"id: s\ntype: io.kestra.plugin.notifications.google.GoogleChatExecution\nurl: {service.url}/x\n"
        f"executionId: {other.id}\ncustomMessage: weekly\n"
    )
    message = service.last().json()["text"]
    assert message.startswith(
        f"weekly\n*<https://ui.example.com/ui/executions/{other.id}|[company.team] orders ➛ SUCCESS>*\nSucceeded after "
    )


def test_mattermost_takes_slack_messages_with_channel_username_and_icon(
    harness: Harness, service: Receiver
) -> None:
    """Mattermost's incoming webhook (`POST /hooks/<id>`, answer 200 `ok`) accepts Slack's format, plus `channel`,
    `username` and `icon_url` overrides."""
    service.routes["/hooks/"] = text(200, "ok")
    harness.run(
        f"""
id: mm
type: io.kestra.plugin.notifications.slack.SlackExecution
url: {service.url}/hooks/xn3k8
channel: town-square
username: Legato
iconUrl: https://example.com/icon.png
iconEmoji: ":robot:"
"""
    )
    message = service.last().json()
    assert (message["channel"], message["username"], message["icon_url"], message["icon_emoji"]) == (
        "town-square",
        "Legato",
        "https://example.com/icon.png",
        ":robot:",
    )
    assert message["attachments"][0]["fields"][0] == {
        "title": "Namespace",
        "value": "company.team",
        "short": True,
    }
