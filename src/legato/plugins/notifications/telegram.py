"""Telegram messages from a bot (Bot API `sendMessage`), Kestra's `TelegramSend` and `TelegramExecution`. The Bot
API answers `ok: false` on an error, which fails the task with the API's reason."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.notifications.http import HttpNotification
from legato.plugins.notifications.summary import ExecutionFields, summarize
from legato.plugins.runnable import render_optional_text

# --- Telegram --------------------------------------------------------------------------------------------

_PARSE_MODES = {
    "HTML": "HTML",
    "MARKDOWNV2": "MarkdownV2",
    "MarkdownV2": "MarkdownV2",
    "Markdown": "Markdown",
}


@TASKS.register
class TelegramSend(HttpNotification):
    """Send a Telegram message from a bot (Bot API `sendMessage`) to a chat, group or channel."""

    TYPE: ClassVar[str] = "notifications.telegram.TelegramSend"
    ALIASES: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.notifications.telegram.TelegramSend",
        "io.kestra.plugin.telegram.TelegramSend",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_telegram_message
type: io.kestra.plugin.notifications.telegram.TelegramSend
token: "{{ secret('TELEGRAM_TOKEN') }}"
channel: "@DevOpsChannel"
payload: "Flow {{ flow.id }} finished"
""",
    )

    token: str = Field(description="The bot's token (rendered).")
    channel: str = Field(description="Chat id, or @channelusername (rendered).")
    payload: str | None = Field(default=None, description="Text of the message (rendered).")
    parseMode: Literal["HTML", "MARKDOWNV2", "MarkdownV2", "Markdown"] | None = Field(
        default=None, description="Formatting of the text: HTML or MarkdownV2."
    )
    endpointOverride: str | None = Field(
        default=None,
        description="Base URL of the Bot API (default https://api.telegram.org; a local Bot API server).",
    )

    async def text(self, ctx: RunContext) -> str:
        if self.payload is None:
            raise TaskFailed("property 'payload' is required by TelegramSend")
        return ctx.render_string(self.payload)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        base = (render_optional_text(ctx, self.endpointOverride) or "https://api.telegram.org").rstrip("/")
        url = f"{base}/bot{ctx.render_string(self.token)}/sendMessage"
        message: dict[str, Any] = {"chat_id": ctx.render_string(self.channel), "text": await self.text(ctx)}
        if self.parseMode:
            message["parse_mode"] = _PARSE_MODES[self.parseMode]
        try:
            answer = await self.post_json(ctx, url, message)
        except TaskFailed as exc:
            raise TaskFailed(f"Telegram sendMessage failed: {exc}") from None
        body = answer.json()
        if not isinstance(body, dict) or body.get("ok") is not True:
            raise TaskFailed(f"Telegram sendMessage failed: {answer.text[:200]}")
        ctx.logger.info("Message sent")
        return {}


@TASKS.register
class TelegramExecution(TelegramSend, ExecutionFields):
    """Send the summary of an execution to a Telegram chat."""

    TYPE: ClassVar[str] = "notifications.telegram.TelegramExecution"
    ALIASES: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.notifications.telegram.TelegramExecution",
        "io.kestra.plugin.telegram.TelegramExecution",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_telegram
type: io.kestra.plugin.notifications.telegram.TelegramExecution
token: "{{ secret('TELEGRAM_TOKEN') }}"
channel: "2072728690"
executionId: "{{ trigger.executionId }}"
""",
    )

    async def text(self, ctx: RunContext) -> str:
        return (await summarize(ctx, self)).text()
