"""Slack's Web API with a Slack app's bot token (Kestra's `io.kestra.plugin.slack.app.*`): post and update messages
(`chats.Post`, `chats.Update`), create a channel, set its topic and invite people (`conversations.Create`,
`SetTopic`, `Invite`), read a channel's history into a file (`conversations.History`), add a reaction
(`reactions.Add`). The API answers 200 with `ok: false` on an error, which
fails the task with the API's reason (`channel_not_found`, `not_in_channel`, `missing_scope`...)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.storage_files import output_uri
from legato.plugins.notifications.chat import slack_text_message
from legato.plugins.notifications.http import Answer, HttpNotification, parse_json, redact
from legato.plugins.runnable import render_optional_text
from legato.storage import ion


class SlackApi(HttpNotification):
    """A call of one Slack Web API method with a bot token."""

    token: str = Field(
        description="Bot token of the Slack app (xoxb-..., rendered), with the scopes the method needs."
    )
    url: str = Field(
        default="https://slack.com/api",
        description="Base URL of the Slack Web API (a Slack-compatible server).",
    )

    METHOD: ClassVar[str] = ""

    async def call(self, ctx: RunContext, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` to the method; the API's answer, or TaskFailed with its error."""
        url = ctx.render_string(self.url).rstrip("/") + f"/{self.METHOD}"
        headers = {"Authorization": f"Bearer {ctx.render_string(self.token)}"}
        answer: Answer = await self.post_json(ctx, url, body, headers)
        result = answer.json()
        if not isinstance(result, dict) or result.get("ok") is not True:
            reason = result.get("error") if isinstance(result, dict) else answer.text[:200]
            raise TaskFailed(f"Slack {self.METHOD} at {redact(url)} failed: {reason}")
        return result


class _SlackChat(SlackApi):
    channel: str | None = Field(
        default=None, description="Channel id or name (rendered); may come from the payload instead."
    )
    messageText: str | None = Field(
        default=None,
        description="The message as text (Markdown bold, italics and links become mrkdwn) or a JSON object; ignored when `payload` is set.",
    )
    payload: str | None = Field(
        default=None,
        description="The message as JSON (text, blocks, attachments, channel, thread_ts...; rendered).",
    )

    def message(self, ctx: RunContext) -> dict[str, Any]:
        if self.payload is not None:
            value = parse_json(ctx.render_string(self.payload), "payload")
        elif self.messageText is not None:
            value = slack_text_message(ctx.render_string(self.messageText))
        else:
            raise TaskFailed("either 'messageText' or 'payload' must be set")
        if not isinstance(value, dict):
            raise TaskFailed("property 'payload' must be a JSON object (a Slack message)")
        channel = render_optional_text(ctx, self.channel)
        if channel:
            value["channel"] = channel
        if not value.get("channel"):
            raise TaskFailed("property 'channel' is required (or a 'channel' in the payload)")
        return value


@TASKS.register
class Post(_SlackChat):
    """Post a Slack message with the Web API (`chat.postMessage`); `timestamp` replies in that message's thread.
    Outputs the new message's `timestamp` and `channel`."""

    TYPE: ClassVar[str] = "slack.app.chats.Post"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.slack.app.chats.Post",)
    METHOD: ClassVar[str] = "chat.postMessage"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: post_message
type: io.kestra.plugin.slack.app.chats.Post
token: "{{ secret('SLACK_TOKEN') }}"
channel: "#general"
messageText: "Hello from Kestra!"
""",
    )

    timestamp: str | None = Field(
        default=None, description="Timestamp of a message to reply to in its thread (rendered)."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        message = self.message(ctx)
        thread = render_optional_text(ctx, self.timestamp)
        if thread:
            message["thread_ts"] = thread
        body = await self.call(ctx, message)
        return {"timestamp": body.get("ts"), "channel": body.get("channel")}


@TASKS.register
class Update(_SlackChat):
    """Update a Slack message with the Web API (`chat.update`), named by its channel and `timestamp`."""

    TYPE: ClassVar[str] = "slack.app.chats.Update"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.slack.app.chats.Update",)
    METHOD: ClassVar[str] = "chat.update"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: update_message
type: io.kestra.plugin.slack.app.chats.Update
token: "{{ secret('SLACK_TOKEN') }}"
channel: "#general"
timestamp: "{{ outputs.post_message.timestamp }}"
messageText: "Processing complete!"
""",
    )

    timestamp: str = Field(description="Timestamp of the message to update (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        message = self.message(ctx)
        message["ts"] = ctx.render_string(self.timestamp)
        body = await self.call(ctx, message)
        return {"timestamp": body.get("ts"), "channel": body.get("channel")}


@TASKS.register
class ConversationsCreate(SlackApi):
    """Create a Slack channel (`conversations.create`, scope channels:manage or groups:write); outputs its `id` and
    `name`."""

    TYPE: ClassVar[str] = "slack.app.conversations.Create"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.slack.app.conversations.Create",)
    METHOD: ClassVar[str] = "conversations.create"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: create_channel
type: io.kestra.plugin.slack.app.conversations.Create
token: "{{ secret('SLACK_TOKEN') }}"
name: proj-acme-launch
isPrivate: false
""",
    )

    name: str = Field(
        description="Name of the channel: lowercase letters, digits, hyphens and underscores (rendered)."
    )
    isPrivate: bool = Field(default=False, description="Create a private channel.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        body = await self.call(ctx, {"name": ctx.render_string(self.name), "is_private": self.isPrivate})
        channel = body.get("channel") or {}
        return {"id": channel.get("id"), "name": channel.get("name")}


@TASKS.register
class ConversationsSetTopic(SlackApi):
    """Set the topic of a Slack channel (`conversations.setTopic`)."""

    TYPE: ClassVar[str] = "slack.app.conversations.SetTopic"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.slack.app.conversations.SetTopic",)
    METHOD: ClassVar[str] = "conversations.setTopic"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: set_topic
type: io.kestra.plugin.slack.app.conversations.SetTopic
token: "{{ secret('SLACK_TOKEN') }}"
channel: "{{ outputs.create_channel.id }}"
topic: Launch of the ACME project
""",
    )

    channel: str = Field(description="Channel id (rendered).")
    topic: str = Field(description="The new topic (rendered; Slack keeps 250 characters).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        await self.call(
            ctx, {"channel": ctx.render_string(self.channel), "topic": ctx.render_string(self.topic)}
        )
        return {}


@TASKS.register
class ConversationsInvite(SlackApi):
    """Invite users to a Slack channel (`conversations.invite`)."""

    TYPE: ClassVar[str] = "slack.app.conversations.Invite"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.slack.app.conversations.Invite",)
    METHOD: ClassVar[str] = "conversations.invite"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: invite_users
type: io.kestra.plugin.slack.app.conversations.Invite
token: "{{ secret('SLACK_TOKEN') }}"
channel: "{{ outputs.create_channel.id }}"
users: [U0123ABCD, U0456EFGH]
""",
    )

    channel: str = Field(description="Channel id (rendered).")
    users: list[str] | str = Field(
        description="User ids (U...): a list, or an expression giving one (or a comma-separated string)."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        users = _user_ids(ctx.render(self.users))
        if not users:
            raise TaskFailed("property 'users' holds no user id")
        await self.call(ctx, {"channel": ctx.render_string(self.channel), "users": ",".join(users)})
        return {}


@TASKS.register
class ConversationsHistory(SlackApi):
    """Read a channel's messages (`conversations.history`, 200 a page, every page) into an Ion file of one message
    per line, as Slack gives them; `oldest` and `latest` bound them in time. Outputs `uri` and `size`; the count is
    also the `records` metric."""

    TYPE: ClassVar[str] = "slack.app.conversations.History"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.slack.app.conversations.History",)
    METHOD: ClassVar[str] = "conversations.history"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: fetch_history
type: io.kestra.plugin.slack.app.conversations.History
token: "{{ secret('SLACK_TOKEN') }}"
channel: C1234567890
oldest: "{{ now() | dateAdd(-1, 'DAYS') }}"
""",
    )

    channel: str = Field(description="Id of the channel (rendered): the last part of the channel's link in Slack.")
    oldest: str | None = Field(default=None, description="Only messages from this instant on (ISO 8601, rendered).")
    latest: str | None = Field(default=None, description="Only messages up to this instant (ISO 8601, rendered).")
    inclusive: bool = Field(default=False, description="Include the messages at exactly `oldest` or `latest`.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        body: dict[str, Any] = {"channel": ctx.render_string(self.channel), "limit": 200, "inclusive": self.inclusive}
        for name, value in (("oldest", self.oldest), ("latest", self.latest)):
            if (text := render_optional_text(ctx, value)) is not None:
                body[name] = _slack_ts(text, name)
        lines: list[str] = []
        cursor = None
        while True:
            page = await self.call(ctx, {**body, "cursor": cursor} if cursor else body)
            lines.extend(ion.dumps(message) + "\n" for message in page.get("messages") or [])
            following = (page.get("response_metadata") or {}).get("next_cursor") or None
            if following is None or following == cursor:
                break
            cursor = following
        uri = ctx.storage.put(output_uri(ctx, "history.ion"), "".join(lines).encode())
        ctx.effects.extra.setdefault("metrics", []).append({"name": "records", "type": "counter", "value": len(lines)})
        ctx.logger.info(f"Fetched {len(lines)} message(s) of channel {body['channel']}")
        return {"uri": uri, "size": len(lines)}


def _slack_ts(text: str, name: str) -> str:
    """An ISO 8601 instant as Slack's message timestamp (seconds.microseconds since the epoch)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TaskFailed(f"property '{name}' is not an ISO 8601 instant: {text!r}") from None
    if moment.tzinfo is None:
        raise TaskFailed(f"property '{name}' needs a time zone (e.g. Z): {text!r}")
    return f"{moment.timestamp():.6f}"


@TASKS.register
class ReactionsAdd(SlackApi):
    """Add an emoji reaction to a Slack message (`reactions.add`), named by its channel and `timestamp`."""

    TYPE: ClassVar[str] = "slack.app.reactions.Add"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.slack.app.reactions.Add",)
    METHOD: ClassVar[str] = "reactions.add"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: add_reaction
type: io.kestra.plugin.slack.app.reactions.Add
token: "{{ secret('SLACK_TOKEN') }}"
channel: "{{ outputs.post_welcome.channel }}"
timestamp: "{{ outputs.post_welcome.timestamp }}"
name: white_check_mark
""",
    )

    channel: str = Field(description="Channel id of the message (rendered).")
    timestamp: str = Field(description="Timestamp of the message (rendered).")
    name: str = Field(description="Emoji name, without colons (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        body = {
            "channel": ctx.render_string(self.channel),
            "timestamp": ctx.render_string(self.timestamp),
            "name": ctx.render_string(self.name).strip(":"),
        }
        await self.call(ctx, body)
        return {}


class DocumentContent(Frozen):
    """A canvas's content: Slack's API takes markdown only."""

    type: str = Field(default="markdown", description="Content type: markdown.")
    markdown: str = Field(description="The content in Slack's canvas markdown (rendered).")


@TASKS.register
class CanvasesCreate(SlackApi):
    """Create a Slack canvas from markdown (`canvases.create`, scope canvases:write), standalone or tabbed in a
    channel; outputs its `canvasId`."""

    TYPE: ClassVar[str] = "slack.app.canvases.Create"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.slack.app.canvases.Create",)
    METHOD: ClassVar[str] = "canvases.create"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: create_canvas
type: io.kestra.plugin.slack.app.canvases.Create
token: "{{ secret('SLACK_TOKEN') }}"
title: Project Documentation
documentContent:
  type: markdown
  markdown: |
    ## Overview
    - [ ] Task 1
""",
    )

    title: str | None = Field(default=None, description="Title of the canvas (rendered).")
    documentContent: DocumentContent | None = Field(
        default=None, description="The canvas's content: `type: markdown` and `markdown`."
    )
    channelId: str | None = Field(
        default=None, description="Channel to add the canvas to as a tab (rendered; required on free teams)."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        body: dict[str, Any] = {}
        title = render_optional_text(ctx, self.title)
        if title:
            body["title"] = title
        if self.documentContent is not None:
            content = self.documentContent
            body["document_content"] = {"type": content.type, "markdown": ctx.render_string(content.markdown)}
        channel = render_optional_text(ctx, self.channelId)
        if channel:
            body["channel_id"] = channel
        answer = await self.call(ctx, body)
        return {"canvasId": answer.get("canvas_id")}


def _user_ids(value: Any) -> list[str]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = parse_json(text, "users")
        else:
            return [u.strip() for u in text.split(",") if u.strip()]
    if not isinstance(value, list):
        raise TaskFailed("property 'users' must be a list of user ids")
    return [str(u).strip() for u in value if str(u).strip()]
