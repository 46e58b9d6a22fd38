"""Kestra's notification plugins are installed through the entry point: every task under Kestra's names, each
property documented, with examples that validate and a JSON Schema that refuses unknown properties; the pure
helpers they rely on (mrkdwn, durations, redaction, Sentry DSNs)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato.plugins import registry
from legato.plugins.context import TaskFailed
from legato.plugins.notifications.alerts import sentry_url
from legato.plugins.notifications.chat import slack_mrkdwn
from legato.plugins.notifications.http import redact
from legato.plugins.notifications.summary import human_duration
from legato.plugins.runnable import RunnableTask
from tests.unit.plugins.documented import assert_documented

K = "io.kestra.plugin.notifications"
NAMES = [
    *(
        f"{K}.{family}.{kind}"
        for family, kinds in {
            "slack": ("SlackIncomingWebhook", "SlackExecution"),
            "teams": ("TeamsIncomingWebhook", "TeamsExecution"),
            "discord": ("DiscordIncomingWebhook", "DiscordExecution"),
            "google": ("GoogleChatIncomingWebhook", "GoogleChatExecution"),
            "zulip": ("ZulipIncomingWebhook", "ZulipExecution"),
            "telegram": ("TelegramSend", "TelegramExecution"),
            "pagerduty": ("PagerDutyAlert", "PagerDutyExecution"),
            "opsgenie": ("OpsgenieAlert", "OpsgenieExecution"),
            "zenduty": ("ZendutyAlert", "ZendutyExecution"),
            "sentry": ("SentryAlert", "SentryExecution"),
            "twilio": ("TwilioAlert", "TwilioExecution"),
            "mail": ("MailSend", "MailExecution"),
        }.items()
        for kind in kinds
    ),
    "io.kestra.plugin.slack.app.chats.Post",
    "io.kestra.plugin.slack.app.chats.Update",
    "io.kestra.plugin.slack.app.conversations.Create",
    "io.kestra.plugin.slack.app.conversations.SetTopic",
    "io.kestra.plugin.slack.app.conversations.Invite",
    "io.kestra.plugin.slack.app.reactions.Add",
    "io.kestra.plugin.slack.app.canvases.Create",
    "io.kestra.plugin.slack.app.conversations.History",
    "io.kestra.plugin.slack.SlackIncomingWebhook",
    "io.kestra.plugin.slack.notifications.SlackExecution",
    # Kestra's per-service plugins, which replace io.kestra.plugin.notifications
    "io.kestra.plugin.email.MailSend",
    "io.kestra.plugin.microsoft365.teams.TeamsIncomingWebhook",
    "io.kestra.plugin.googleworkspace.chat.GoogleChatExecution",
    "io.kestra.plugin.discord.DiscordExecution",
    "io.kestra.plugin.telegram.TelegramExecution",
    "io.kestra.plugin.pagerduty.PagerDutyAlert",
    "io.kestra.plugin.opsgenie.OpsgenieExecution",
    "io.kestra.plugin.zenduty.ZendutyExecution",
    "io.kestra.plugin.sentry.SentryAlert",
    "io.kestra.plugin.zulip.ZulipExecution",
    "io.kestra.plugin.twilio.notify.TwilioAlert",
    "io.kestra.plugin.twilio.notify.TwilioExecution",
    "io.kestra.plugin.gitlab.issues.Create",
    "io.kestra.plugin.gitlab.issues.Search",
]


@pytest.mark.parametrize("name", NAMES)
def test_each_notification_task_is_registered_documented_and_its_examples_validate(name: str) -> None:
    tasks = registry()  # loads the `legato.plugins` entry points
    cls = tasks.lookup(name)
    assert cls is not None and issubclass(cls, RunnableTask) and name in cls.ALIASES
    assert_documented(cls, name=name)
    if name.endswith("Execution"):
        assert {"executionId", "customFields", "customMessage"} <= set(cls.model_json_schema()["properties"])


def test_a_typo_is_an_error_and_mail_keeps_kestras_from() -> None:
    cls = registry().lookup(f"{K}.slack.SlackExecution")
    assert cls is not None
    with pytest.raises(ValueError, match="customField"):
        cls.model_validate(
            {"id": "x", "type": f"{K}.slack.SlackExecution", "url": "https://h", "customField": {}}
        )
    mail = registry().lookup(f"{K}.mail.MailSend")
    assert mail is not None and "from" in mail.model_json_schema()["properties"]


def test_helpers() -> None:
    assert slack_mrkdwn("**a** __b__ [c](https://d)") == "*a* _b_ <https://d|c>"
    assert (
        human_duration(timedelta(seconds=2.5)) == "2.5s" and human_duration(timedelta(seconds=75)) == "1m 15s"
    )
    assert human_duration(timedelta(hours=1, seconds=3)) == "1h 0m 3s"
    assert redact("https://hooks.slack.com/services/T/B/X?x=1") == "https://hooks.slack.com/***"
    assert redact("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert sentry_url("https://abc@o1.ingest.sentry.io/42", "ENVELOPE") == (
        "https://o1.ingest.sentry.io/api/42/envelope/?sentry_version=7&sentry_client=legato&sentry_key=abc"
    )
    assert sentry_url("https://abc@sentry.example.com/prefix/7", "STORE").startswith(
        "https://sentry.example.com/prefix/api/7/store/?"
    )
    with pytest.raises(TaskFailed, match="property 'dsn'"):
        sentry_url("https://sentry.example.com/7", "ENVELOPE")
