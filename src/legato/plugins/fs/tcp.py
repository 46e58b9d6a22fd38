"""io.kestra.plugin.fs.tcp.Send: open a TCP connection, send one payload (text, or bytes given as base64), close.
The host passes the SSRF guard as every other network task's (legato.plugins.core.netguard)."""

from __future__ import annotations

import asyncio
import base64
import binascii
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import netguard
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_text


@TASKS.register
class Send(RunnableTask):
    """Send a payload to a TCP server and close the connection. Outputs `host`, `port` and `sentBytes`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.fs.tcp.Send"
    ALIASES: ClassVar[tuple[str, ...]] = ()
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_tcp
type: io.kestra.plugin.fs.tcp.Send
host: 127.0.0.1
port: 9090
payload: "Hello from Kestra"
""",
    )

    host: str = Field(description="The server's host name or IP address (rendered).")
    port: int | Expression = Field(description="The server's port.")
    payload: str = Field(description="What to send (rendered): text, or base64 of bytes with `encoding: BASE64`.")
    encoding: str = Field(default="UTF-8", description="How `payload` becomes bytes: a text encoding (UTF-8, the default, ISO-8859-1...) or BASE64 (decoded).")
    timeout: Duration = Field(default=timedelta(seconds=10), description="Longest wait to connect and to send.")
    tcpService: dict[str, Any] = Field(default_factory=dict, description="Accepted for Kestra's flows; it has no setting that changes Legato's behaviour.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        host = render_text(ctx, self.host)
        port = render_as(ctx, self.port, int, "port")
        if not 0 < port < 65536:
            raise TaskFailed(f"property 'port' must be between 1 and 65535, not {port}")
        data = _encode(render_text(ctx, self.payload), render_text(ctx, self.encoding))
        seconds = self.timeout.total_seconds()

        def send() -> None:
            connect = netguard.guarded_connect(netguard.allowed_networks())
            try:
                with connect((host, port), seconds) as sock:
                    sock.sendall(data)
            except TimeoutError:
                raise TaskFailed(f"no TCP connection to {host}:{port} within {seconds:g} s") from None
            except OSError as exc:
                raise TaskFailed(f"cannot send to {host}:{port}: {exc.strerror or exc}") from None

        await asyncio.to_thread(send)
        ctx.logger.info(f"Sent {len(data)} byte(s) to {host}:{port}")
        return {"host": host, "port": port, "sentBytes": len(data)}


def _encode(payload: str, encoding: str) -> bytes:
    if encoding.upper() == "BASE64":
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise TaskFailed("property 'payload' is not valid base64 (encoding: BASE64)") from None
    try:
        return payload.encode(encoding)
    except LookupError:
        raise TaskFailed(f"property 'encoding': unknown encoding {encoding!r} (UTF-8, BASE64, ...)") from None
    except UnicodeEncodeError as exc:
        raise TaskFailed(f"property 'payload' cannot be written in {encoding}: {exc.reason}") from None
