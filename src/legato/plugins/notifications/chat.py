"""Chat services that take a message on an incoming-webhook URL: Slack (and Mattermost or Rocket.Chat, which speak
Slack's format), Microsoft Teams, Discord, Google Chat and Zulip. Each has Kestra's `*IncomingWebhook` task (a JSON
`payload` rendered and posted as is) and its `*Execution` task (the execution summary in the service's own message
format)."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.notifications.http import HttpNotification, parse_json
from legato.plugins.notifications.summary import ExecutionFields, Summary, summarize
from legato.plugins.runnable import render_optional_text

_KESTRA = "io.kestra.plugin.notifications"


class IncomingWebhook(HttpNotification):
    """POST a JSON message to a webhook URL."""

    url: str = Field(
        description="The incoming-webhook URL (rendered; keep it in a secret: it is the credential)."
    )
    payload: str | None = Field(
        default=None, description="The message: a JSON document in the service's format (rendered)."
    )

    async def message(self, ctx: RunContext) -> Any:
        """The JSON value to post."""
        if self.payload is None:
            raise TaskFailed(f"property 'payload' is required by {self.TYPE}")
        return parse_json(ctx.render_string(self.payload), "payload")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        await self.post_json(ctx, ctx.render_string(self.url), await self.message(ctx))
        ctx.logger.info("Request succeeded")
        return {}


# --- Slack ------------------------------------------------------------------------------------------------


def slack_mrkdwn(text: str) -> str:
    """Markdown bold, italics and links in Slack's mrkdwn (`**b**` → `*b*`, `__i__` → `_i_`, `[t](u)` → `<u|t>`)."""
    text = re.sub(r"\*\*(.*?)\*\*", r"*\1*", text)
    text = re.sub(r"__(.*?)__", r"_\1_", text)
    return re.sub(r"\[(.*?)\]\((.*?)\)", r"<\2|\1>", text)


def slack_text_message(text: str) -> Any:
    """`messageText` as Kestra reads it: a JSON object as is, any other text as `{"text": mrkdwn}`."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {"text": slack_mrkdwn(text)}


def slack_summary(summary: Summary) -> dict[str, Any]:
    """The execution summary as a Slack message: text, blocks with a Details button, and a coloured attachment."""
    title = f"*<{summary.link}|{summary.title}>*\n> {summary.outcome}"
    blocks: list[dict[str, Any]] = []
    if summary.custom_message:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": summary.custom_message}})
    blocks.append(
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": title},
            "accessory": {
                "type": "button",
                "text": {"type": "plain_text", "text": "Details"},
                "url": summary.link,
            },
        }
    )
    fields = [{"title": k, "value": v, "short": True} for k, v in summary.facts()]
    return {
        "text": title,
        "blocks": blocks,
        "attachments": [{"color": summary.color, "fields": fields, "ts": int(summary.start.timestamp())}],
    }


@TASKS.register
class SlackIncomingWebhook(IncomingWebhook):
    """Send a Slack message with an incoming webhook: a JSON `payload` (text, blocks, attachments), or `messageText`
    (Markdown turned into Slack's mrkdwn). Mattermost and Rocket.Chat accept the same messages on their own
    incoming webhooks."""

    TYPE: ClassVar[str] = "notifications.slack.SlackIncomingWebhook"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.slack.SlackIncomingWebhook",
        "io.kestra.plugin.slack.SlackIncomingWebhook",
        "io.kestra.plugin.slack.notifications.SlackIncomingWebhook",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: alert_on_failure
type: io.kestra.plugin.notifications.slack.SlackIncomingWebhook
url: "{{ secret('SLACK_WEBHOOK') }}"
payload: |
  {"text": "Failure alert for flow {{ flow.namespace }}.{{ flow.id }} with ID {{ execution.id }}"}
""",
        """\
id: send_slack_message
type: io.kestra.plugin.notifications.slack.SlackIncomingWebhook
url: "{{ secret('SLACK_WEBHOOK') }}"
messageText: "**Done**: {{ flow.id }} ran, see [the docs](https://example.com)"
""",
    )

    messageText: str | None = Field(
        default=None,
        description="The message as text (Markdown bold, italics and links become Slack's mrkdwn) or as a JSON object; ignored when `payload` is set.",
    )

    async def message(self, ctx: RunContext) -> Any:
        if self.payload is not None:
            return parse_json(ctx.render_string(self.payload), "payload")
        if self.messageText is not None:
            return slack_text_message(ctx.render_string(self.messageText))
        raise TaskFailed("either 'messageText' or 'payload' must be set")


class _SlackLegacy(Frozen):
    channel: str | None = Field(
        default=None,
        description="Channel to post to (legacy webhooks, Mattermost, Rocket.Chat; new Slack webhooks are tied to one).",
    )
    username: str | None = Field(
        default=None, description="Author name shown (legacy webhooks, Mattermost, Rocket.Chat)."
    )
    iconUrl: str | None = Field(
        default=None, description="URL of the author's icon (legacy webhooks, Mattermost, Rocket.Chat)."
    )
    iconEmoji: str | None = Field(
        default=None, description="Emoji used as the author's icon (legacy webhooks)."
    )

    def decorate(self, ctx: RunContext, message: dict[str, Any]) -> dict[str, Any]:
        for key, value in (
            ("channel", self.channel),
            ("username", self.username),
            ("icon_url", self.iconUrl),
            ("icon_emoji", self.iconEmoji),
        ):
            rendered = render_optional_text(ctx, value)
            if rendered is not None:
                message[key] = rendered
        return message


@TASKS.register
class SlackExecution(SlackIncomingWebhook, ExecutionFields, _SlackLegacy):
    """Send the summary of an execution to Slack: a link to it in the UI, its state, duration, the failed (or last)
    task and custom fields. Use it in `errors`/`afterExecution`, or in a system flow with a Flow trigger on
    FAILED and `executionId: "{{ trigger.executionId }}"`."""

    TYPE: ClassVar[str] = "notifications.slack.SlackExecution"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.slack.SlackExecution",
        "io.kestra.plugin.slack.SlackExecution",
        "io.kestra.plugin.slack.notifications.SlackExecution",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_alert
type: io.kestra.plugin.notifications.slack.SlackExecution
url: "{{ secret('SLACK_WEBHOOK') }}"
executionId: "{{ trigger.executionId }}"
customMessage: "Production flow failed"
customFields:
  Team: data
""",
    )

    async def message(self, ctx: RunContext) -> Any:
        return self.decorate(ctx, slack_summary(await summarize(ctx, self)))


# --- Microsoft Teams -------------------------------------------------------------------------------------


@TASKS.register
class TeamsIncomingWebhook(IncomingWebhook):
    """Send a Microsoft Teams message with an incoming webhook (a MessageCard or Adaptive Card `payload`)."""

    TYPE: ClassVar[str] = "notifications.teams.TeamsIncomingWebhook"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.teams.TeamsIncomingWebhook",
        "io.kestra.plugin.microsoft365.teams.TeamsIncomingWebhook",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_teams_message
type: io.kestra.plugin.notifications.teams.TeamsIncomingWebhook
url: "{{ secret('TEAMS_WEBHOOK') }}"
payload: |
  {
    "@type": "MessageCard",
    "@context": "http://schema.org/extensions",
    "themeColor": "0076D7",
    "summary": "Notification",
    "sections": [{"activityTitle": "Flow {{ flow.id }} finished", "markdown": true}]
  }
""",
    )


@TASKS.register
class TeamsExecution(TeamsIncomingWebhook, ExecutionFields):
    """Send the summary of an execution to Microsoft Teams as a MessageCard (facts, link to the execution)."""

    TYPE: ClassVar[str] = "notifications.teams.TeamsExecution"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.teams.TeamsExecution",
        "io.kestra.plugin.microsoft365.teams.TeamsExecution",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_teams
type: io.kestra.plugin.notifications.teams.TeamsExecution
url: "{{ secret('TEAMS_WEBHOOK') }}"
executionId: "{{ trigger.executionId }}"
activityTitle: Kestra Teams notification
""",
    )

    themeColor: str = Field(default="0076D7", description="Colour of the card's edge (hex RGB, rendered).")
    activityTitle: str | None = Field(default=None, description="Title of the card's section (rendered).")
    activitySubtitle: str | None = Field(
        default=None, description="Subtitle of the card's section (rendered)."
    )

    async def message(self, ctx: RunContext) -> Any:
        summary = await summarize(ctx, self)
        section: dict[str, Any] = {
            "facts": [{"name": k, "value": v} for k, v in summary.facts()],
            "markdown": True,
        }
        for key, value in (
            ("activityTitle", self.activityTitle),
            ("activitySubtitle", self.activitySubtitle),
        ):
            if value is not None:
                section[key] = ctx.render_string(value)
        if summary.custom_message:
            section["text"] = summary.custom_message
        return {
            "@type": "MessageCard",
            "@context": "http://schema.org/extensions",
            "themeColor": ctx.render_string(self.themeColor),
            "summary": f"{summary.title}: {summary.outcome}",
            "title": summary.title,
            "sections": [section],
            "potentialAction": [
                {"@type": "OpenUri", "name": "Details", "targets": [{"os": "default", "uri": summary.link}]}
            ],
        }


# --- Discord ---------------------------------------------------------------------------------------------


@TASKS.register
class DiscordIncomingWebhook(IncomingWebhook):
    """Send a Discord message with a channel webhook (`payload`: content, embeds, username...)."""

    TYPE: ClassVar[str] = "notifications.discord.DiscordIncomingWebhook"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.discord.DiscordIncomingWebhook",
        "io.kestra.plugin.discord.DiscordIncomingWebhook",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_discord_message
type: io.kestra.plugin.notifications.discord.DiscordIncomingWebhook
url: "{{ secret('DISCORD_WEBHOOK') }}"
payload: |
  {"username": "Kestra", "content": "Flow {{ flow.id }} finished"}
""",
    )


class Embed(Frozen):
    """One Discord embed (Kestra's `embedList` item)."""

    title: str | None = Field(default=None, description="Title (rendered).")
    websiteUrl: str | None = Field(default=None, description="URL the title links to (rendered).")
    description: str | None = Field(default=None, description="Text of the embed (rendered).")
    thumbnail: str | None = Field(default=None, description="URL of a thumbnail image (rendered).")
    authorName: str | None = Field(default=None, description="Author name (rendered).")
    color: list[int] | None = Field(default=None, description="RGB colour, e.g. [255, 0, 0].")
    footer: str | None = Field(default=None, description="Footer text (rendered).")

    def to_json(self, ctx: RunContext, avatar: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in (
            ("title", self.title),
            ("description", self.description),
            ("url", self.websiteUrl),
        ):
            if value is not None:
                out[key] = ctx.render_string(value)
        if self.thumbnail is not None:
            out["thumbnail"] = {"url": ctx.render_string(self.thumbnail)}
        if self.authorName is not None:
            out["author"] = {
                "name": ctx.render_string(self.authorName),
                "url": out.get("url"),
                "icon_url": avatar,
            }
        if self.color is not None:
            red, green, blue = ([*self.color, 0, 0, 0])[:3]
            out["color"] = (red << 16) + (green << 8) + blue
        if self.footer is not None:
            out["footer"] = {"text": ctx.render_string(self.footer)}
        return out


@TASKS.register
class DiscordExecution(DiscordIncomingWebhook, ExecutionFields):
    """Send the summary of an execution to Discord: an embed with the facts, the outcome in its footer and a link
    to the execution; `embedList` adds embeds of your own. A non-empty `payload` is sent instead, as is."""

    TYPE: ClassVar[str] = "notifications.discord.DiscordExecution"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.discord.DiscordExecution",
        "io.kestra.plugin.discord.DiscordExecution",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_discord
type: io.kestra.plugin.notifications.discord.DiscordExecution
url: "{{ secret('DISCORD_WEBHOOK') }}"
username: Kestra
content: "Execution ended"
embedList:
  - title: Failure alert
    color: [255, 0, 0]
""",
    )

    username: str | None = Field(default=None, description="Name the webhook posts as (rendered).")
    avatarUrl: str | None = Field(default=None, description="Avatar of the webhook (rendered).")
    embedList: list[Embed] | None = Field(default=None, description="Embeds added before the summary.")
    content: str | None = Field(default=None, description="Message text above the embeds (rendered).")

    async def message(self, ctx: RunContext) -> Any:
        if self.payload is not None and ctx.render_string(self.payload).strip():
            return await super().message(ctx)
        summary = await summarize(ctx, self)
        avatar = render_optional_text(ctx, self.avatarUrl)
        facts = "\n".join(f"{k}: {v}" for k, v in summary.facts())
        description = (
            f"{summary.custom_message}\n\n" if summary.custom_message else ""
        ) + f"{facts}\n\n[Link to the Execution page]({summary.link})"
        embeds = [e.to_json(ctx, avatar) for e in self.embedList or ()]
        embeds.append(
            {
                "title": summary.title,
                "url": summary.link,
                "description": description,
                "color": {"good": 0x2EB886, "warning": 0xDAA038}.get(summary.color, 0xA30200),
                "footer": {"text": summary.outcome},
            }
        )
        message: dict[str, Any] = {"tts": False, "embeds": embeds}
        if self.username is not None:
            message["username"] = ctx.render_string(self.username)
        if avatar is not None:
            message["avatar_url"] = avatar
        if self.content is not None:
            message["content"] = ctx.render_string(self.content)
        return message


# --- Google Chat -----------------------------------------------------------------------------------------


@TASKS.register
class GoogleChatIncomingWebhook(IncomingWebhook):
    """Send a Google Chat message with a space's incoming webhook (`payload`: text or cards)."""

    TYPE: ClassVar[str] = "notifications.google.GoogleChatIncomingWebhook"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.google.GoogleChatIncomingWebhook",
        "io.kestra.plugin.googleworkspace.chat.GoogleChatIncomingWebhook",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_google_chat_message
type: io.kestra.plugin.notifications.google.GoogleChatIncomingWebhook
url: "{{ secret('GOOGLE_WEBHOOK') }}"
payload: |
  {"text": "Flow {{ flow.id }} finished"}
""",
    )


@TASKS.register
class GoogleChatExecution(GoogleChatIncomingWebhook, ExecutionFields):
    """Send the summary of an execution to Google Chat as text; `text` replaces it, as in Kestra."""

    TYPE: ClassVar[str] = "notifications.google.GoogleChatExecution"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.google.GoogleChatExecution",
        "io.kestra.plugin.googleworkspace.chat.GoogleChatExecution",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_google_chat
type: io.kestra.plugin.notifications.google.GoogleChatExecution
url: "{{ secret('GOOGLE_WEBHOOK') }}"
executionId: "{{ trigger.executionId }}"
""",
    )

    text: str | None = Field(default=None, description="Message text sent instead of the summary (rendered).")

    async def message(self, ctx: RunContext) -> Any:
        if self.text is not None:
            return {"text": ctx.render_string(self.text)}
        summary = await summarize(ctx, self)
        facts = ", ".join(f"{k} {v}" for k, v in summary.facts())
        head = f"{summary.custom_message}\n" if summary.custom_message else ""
        return {"text": f"{head}*<{summary.link}|{summary.title}>*\n{summary.outcome}\n{facts}"}


# --- Zulip -----------------------------------------------------------------------------------------------


@TASKS.register
class ZulipIncomingWebhook(IncomingWebhook):
    """Send a Zulip message with an incoming webhook integration URL (Zulip's Slack-compatible webhook
    takes Slack's message format)."""

    TYPE: ClassVar[str] = "notifications.zulip.ZulipIncomingWebhook"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.zulip.ZulipIncomingWebhook",
        "io.kestra.plugin.zulip.ZulipIncomingWebhook",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_zulip_message
type: io.kestra.plugin.notifications.zulip.ZulipIncomingWebhook
url: "{{ secret('ZULIP_WEBHOOK') }}"
payload: |
  {"text": "Hello from the workflow {{ flow.id }}"}
""",
    )


@TASKS.register
class ZulipExecution(ZulipIncomingWebhook, ExecutionFields, _SlackLegacy):
    """Send the summary of an execution to Zulip (Slack's message format on Zulip's Slack-compatible webhook)."""

    TYPE: ClassVar[str] = "notifications.zulip.ZulipExecution"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.zulip.ZulipExecution",
        "io.kestra.plugin.zulip.ZulipExecution",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_zulip
type: io.kestra.plugin.notifications.zulip.ZulipExecution
url: "{{ secret('ZULIP_WEBHOOK') }}"
executionId: "{{ trigger.executionId }}"
""",
    )

    async def message(self, ctx: RunContext) -> Any:
        return self.decorate(ctx, slack_summary(await summarize(ctx, self)))
