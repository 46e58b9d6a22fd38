"""LINE (Kestra's `io.kestra.plugin.line.LineExecution`): the summary of an execution broadcast to the followers of
a LINE Official Account through the Messaging API (`POST /v2/bot/message/broadcast` with the channel access token
as Bearer token, body `{"messages": [{"type": "text", "text": ...}]}`). `url` reaches another endpoint (a push
proxy, a test double); `textBody` sends a text of one's own instead of the summary."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.notifications.http import HttpNotification
from legato.plugins.notifications.summary import ExecutionFields, summarize

BROADCAST = "https://api.line.me/v2/bot/message/broadcast"
_MAX_TEXT = 5000  # the Messaging API's limit for a text message


@TASKS.register
class LineExecution(HttpNotification, ExecutionFields):
    """Broadcast the summary of an execution (state, duration, link, failed task, custom fields and message) to a
    LINE Official Account's followers."""

    TYPE: ClassVar[str] = "line.LineExecution"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.line.LineExecution",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: notify_line
type: io.kestra.plugin.line.LineExecution
channelAccessToken: "{{ secret('LINE_CHANNEL_ACCESS_TOKEN') }}"
executionId: "{{ trigger.executionId }}"
customMessage: "Daily revenue close reached a terminal state"
customFields:
  Owner: Finance Ops
""",
    )

    channelAccessToken: str = Field(description="The channel access token of the LINE Official Account (rendered).")
    url: str = Field(default=BROADCAST, description="The Messaging API endpoint (rendered).")
    textBody: str | None = Field(default=None, description="A text to send instead of the execution summary (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if self.textBody is not None:
            text = ctx.render_string(self.textBody)
        else:
            text = (await summarize(ctx, self)).text()
        if len(text) > _MAX_TEXT:
            text = text[: _MAX_TEXT - 1] + "…"
        headers = {"Authorization": f"Bearer {ctx.render_string(self.channelAccessToken)}"}
        try:
            await self.post_json(ctx, ctx.render_string(self.url), {"messages": [{"type": "text", "text": text}]}, headers)
        except TaskFailed as exc:
            raise TaskFailed(f"LINE broadcast failed: {exc}") from None
        ctx.logger.info("LINE broadcast message sent")
        return {}
