"""Email over SMTP: Kestra's `mail.MailSend` (HTML and text bodies, attachments and inline images from internal
storage, cc) and `mail.MailExecution` (the execution summary). Transport strategies as Kestra's: SMTPS (TLS from
the first byte, the default), SMTP_TLS (STARTTLS, required), SMTP (plain) and SMTP_OAUTH2 (STARTTLS with an
XOAUTH2 token as the password).

The connection goes through the same guard as HTTP calls (`legato.plugins.core.netguard`): an SMTP relay on an
internal address must be allowed by the operator with LEGATO_HTTP_ALLOWED_NETWORKS."""

from __future__ import annotations

import asyncio
import html
import json
import mimetypes
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import netguard
from legato.plugins.core.storage_stream import opened
from legato.plugins.notifications.summary import ExecutionFields, Summary, summarize
from legato.plugins.runnable import RunnableTask, render_optional_text

_KESTRA = "io.kestra.plugin.notifications.mail"
_PORTS = {"SMTPS": 465, "SMTP_TLS": 587, "SMTP_OAUTH2": 587, "SMTP": 25}
_NO_TEXT = "Please view this email in a modern email client"
_MAX_ATTACHMENTS = 25 << 20  # what mail servers commonly accept in one message

Strategy = Literal["SMTP", "SMTPS", "SMTP_TLS", "SMTP_OAUTH2"]


class Attachment(Frozen):
    """A file of internal storage attached to the mail."""

    uri: str = Field(description="kestra:/// URI of the file in internal storage (rendered).")
    name: str = Field(description="File name shown in the mail (rendered).")
    contentType: str = Field(
        default="application/octet-stream", description="MIME type of the file (rendered)."
    )


def _guarded(host: str, port: int, timeout: float) -> socket.socket:
    return netguard.guarded_connect(netguard.allowed_networks())((host, port), timeout)


class _SMTP(smtplib.SMTP):
    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return _guarded(host, port, timeout)


class _SMTPS(smtplib.SMTP_SSL):
    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self.context.wrap_socket(_guarded(host, port, timeout), server_hostname=self._host)  # type: ignore[attr-defined]


@TASKS.register
class MailSend(RunnableTask):
    """Send an email with an SMTP server: HTML and/or plain text, cc, attachments and inline images from internal
    storage."""

    TYPE: ClassVar[str] = "notifications.mail.MailSend"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.MailSend",
        "io.kestra.plugin.email.MailSend",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_email
type: io.kestra.plugin.notifications.mail.MailSend
from: hello@kestra.io
to: hello@kestra.io;ops@example.com
username: "{{ secret('EMAIL_USERNAME') }}"
password: "{{ secret('EMAIL_PASSWORD') }}"
host: mail.privateemail.com
port: 465
subject: "Kestra workflow failed for the flow {{ flow.id }} in the namespace {{ flow.namespace }}"
htmlTextContent: "Failure alert for flow {{ flow.namespace }}.{{ flow.id }} with ID {{ execution.id }}"
attachments:
  - name: report.csv
    uri: "{{ outputs.report.uri }}"
    contentType: text/csv
""",
    )

    host: str = Field(description="The SMTP server (rendered).")
    port: int | str | None = Field(
        default=None,
        description="The SMTP port (default: 465 for SMTPS, 587 for SMTP_TLS and SMTP_OAUTH2, 25 for SMTP).",
    )
    username: str | None = Field(default=None, description="User name to log in with (rendered).")
    password: str | None = Field(
        default=None, description="Password (rendered); the OAuth2 access token with SMTP_OAUTH2."
    )
    transportStrategy: Strategy = Field(
        default="SMTPS",
        description="SMTPS (TLS from the start), SMTP_TLS (STARTTLS, required), SMTP (no encryption) or SMTP_OAUTH2.",
    )
    sessionTimeout: int = Field(
        default=10000, ge=1, description="Time allowed for the SMTP session, in milliseconds."
    )
    verifyServerIdentity: bool = Field(
        default=True, description="Check the server's TLS certificate and host name."
    )
    trustedHosts: list[str] | None = Field(
        default=None,
        description="When set, only these hosts are trusted for TLS, and their certificates are accepted as presented.",
    )
    from_: str = Field(alias="from", description="Address of the sender (rendered).")
    to: str = Field(description="Recipients, separated by ';' or ',' (rendered).")
    cc: str | None = Field(
        default=None, description="Carbon-copy recipients, separated by ';' or ',' (rendered)."
    )
    subject: str | None = Field(default=None, description="Subject (rendered).")
    htmlTextContent: str | None = Field(
        default=None, description="HTML body (rendered); sent with the text body as alternatives."
    )
    plainTextContent: str | None = Field(default=None, description="Plain-text body (rendered).")
    attachments: list[Attachment] | str | None = Field(
        default=None,
        description="Files of internal storage to attach: a list of {name, uri, contentType}, or that list as JSON (rendered).",
    )
    embeddedImages: list[Attachment] | str | None = Field(
        default=None, description="Images of internal storage the HTML refers to as `cid:<name>`."
    )

    async def content(self, ctx: RunContext) -> tuple[str | None, str | None, str]:
        """(default subject, HTML body, text body) of the mail."""
        html_body = render_optional_text(ctx, self.htmlTextContent)
        return None, html_body, render_optional_text(ctx, self.plainTextContent) or _NO_TEXT

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        message = await self.compose(ctx)
        host = ctx.render_string(self.host).strip()
        port = self._port(ctx)
        ctx.logger.debug(
            f"Sending an email to {message['To']} through {host}:{port} ({self.transportStrategy})"
        )
        await asyncio.to_thread(self._deliver, ctx, message, host, port)
        ctx.logger.info(f"Email sent to {message['To']}")
        return {}

    async def compose(self, ctx: RunContext) -> EmailMessage:
        message = EmailMessage()
        message["From"] = ctx.render_string(self.from_)
        message["To"] = _addresses(ctx.render_string(self.to), "to")
        if self.cc is not None and ctx.render_string(self.cc).strip():
            message["Cc"] = _addresses(ctx.render_string(self.cc), "cc")
        default_subject, html_body, text_body = await self.content(ctx)
        subject = render_optional_text(ctx, self.subject) or default_subject
        if subject:
            message["Subject"] = subject
        message.set_content(text_body)
        if html_body is not None:
            message.add_alternative(html_body, subtype="html")
            html_part = message.get_body(preferencelist=("html",))
            for name, kind, data in _files(ctx, self.embeddedImages, "embeddedImages"):
                maintype, subtype = kind.split("/", 1)
                if isinstance(html_part, EmailMessage):
                    html_part.add_related(
                        data, maintype=maintype, subtype=subtype, cid=f"<{name}>", filename=name
                    )
        total = 0
        for name, kind, data in _files(ctx, self.attachments, "attachments"):
            total += len(data)
            if total > _MAX_ATTACHMENTS:
                raise TaskFailed(f"attachments add up to more than {_MAX_ATTACHMENTS >> 20} MB")
            maintype, subtype = kind.split("/", 1)
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        message["Message-ID"] = make_msgid(domain="legato")
        return message

    def _port(self, ctx: RunContext) -> int:
        if self.port is None:
            return _PORTS[self.transportStrategy]
        text = ctx.render_string(self.port) if isinstance(self.port, str) else str(self.port)
        if not text.strip().isdigit() or not 0 < int(text) < 65536:
            raise TaskFailed(f"property 'port': {text!r} is not a port number")
        return int(text)

    def _context(self, host: str) -> ssl.SSLContext:
        context = ssl.create_default_context()
        trusted = self.trustedHosts
        if trusted is not None and host not in trusted:
            raise TaskFailed(f"host {host} is not among the trustedHosts ({', '.join(trusted)})")
        if not self.verifyServerIdentity or trusted is not None:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _deliver(self, ctx: RunContext, message: EmailMessage, host: str, port: int) -> None:
        timeout = self.sessionTimeout / 1000
        strategy = self.transportStrategy
        try:
            context = None if strategy == "SMTP" else self._context(host)
            client = (
                _SMTPS(host, port, timeout=timeout, context=context)
                if strategy == "SMTPS"
                else _SMTP(host, port, timeout=timeout)
            )
            with client:
                if strategy in ("SMTP_TLS", "SMTP_OAUTH2"):
                    client.starttls(context=context)
                self._login(ctx, client)
                client.send_message(message)
        except TaskFailed:
            raise
        except smtplib.SMTPNotSupportedError as exc:
            if "STARTTLS" in str(exc):
                raise TaskFailed(
                    f"{host}:{port} does not offer STARTTLS, which {strategy} requires"
                ) from None
            raise TaskFailed(f"{host}:{port} does not offer a login (SMTP AUTH) on this connection") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise TaskFailed(
                f"{host}:{port} refused the login: {exc.smtp_code} {_reason(exc.smtp_error)}"
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(f"{k} ({v[0]} {_reason(v[1])})" for k, v in exc.recipients.items())
            raise TaskFailed(f"{host}:{port} refused the recipients {refused}") from None
        except smtplib.SMTPResponseException as exc:
            raise TaskFailed(f"{host}:{port} answered {exc.smtp_code} {_reason(exc.smtp_error)}") from None
        except ssl.SSLError as exc:
            raise TaskFailed(
                f"TLS with {host}:{port} failed: {exc.reason or exc} (verifyServerIdentity: false or trustedHosts accept a self-signed certificate)"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TaskFailed(f"sending the email through {host}:{port} failed: {exc}") from None

    def _login(self, ctx: RunContext, client: smtplib.SMTP) -> None:
        user = render_optional_text(ctx, self.username)
        secret = render_optional_text(ctx, self.password)
        if not user:
            return
        if self.transportStrategy == "SMTP_OAUTH2":
            client.ehlo_or_helo_if_needed()
            token = f"user={user}\x01auth=Bearer {secret or ''}\x01\x01"
            client.auth("XOAUTH2", lambda challenge=None: token)
        else:
            client.login(user, secret or "")


@TASKS.register
class MailExecution(MailSend, ExecutionFields):
    """Email the summary of an execution (HTML and text): link to it in the UI, state, duration, failed task and
    custom fields."""

    TYPE: ClassVar[str] = "notifications.mail.MailExecution"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.MailExecution",
        "io.kestra.plugin.email.MailExecution",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_email
type: io.kestra.plugin.notifications.mail.MailExecution
to: hello@kestra.io
from: hello@kestra.io
subject: "The workflow execution {{ trigger.executionId }} failed for the flow {{ trigger.flowId }} in the namespace {{ trigger.namespace }}"
host: mail.privateemail.com
port: 465
username: "{{ secret('EMAIL_USERNAME') }}"
password: "{{ secret('EMAIL_PASSWORD') }}"
executionId: "{{ trigger.executionId }}"
""",
    )

    async def content(self, ctx: RunContext) -> tuple[str | None, str | None, str]:
        summary = await summarize(ctx, self)
        return summary.title, summary_html(summary), summary.text()


def summary_html(summary: Summary) -> str:
    """The execution summary as a small HTML document (every value escaped)."""
    e = html.escape
    rows = "".join(f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in summary.facts())
    note = f"<p>{e(summary.custom_message)}</p>" if summary.custom_message else ""
    return (
        f"<html><body>{note}<h2><a href='{e(summary.link)}'>{e(summary.title)}</a></h2>"
        f"<p>{e(summary.outcome)}</p><table>{rows}</table>"
        f"<p><a href='{e(summary.link)}'>Open the execution</a></p></body></html>"
    )


def _addresses(text: str, prop: str) -> str:
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    pairs = getaddresses(parts)
    bad = [p for p, (_, address) in zip(parts, pairs, strict=True) if "@" not in address]
    if not parts or bad:
        raise TaskFailed(f"property '{prop}': {', '.join(bad) or 'no address'} is not an email address")
    return ", ".join(parts)


def _files(ctx: RunContext, value: list[Attachment] | str | None, prop: str) -> list[tuple[str, str, bytes]]:
    """(name, MIME type, content) of each file."""
    if value is None:
        return []
    if isinstance(value, str):
        rendered = ctx.render_string(value).strip()
        if not rendered:
            return []
        try:
            items = [Attachment.model_validate(i) for i in json.loads(rendered)]
        except (ValueError, TypeError) as exc:
            raise TaskFailed(
                f"property '{prop}' must be a list of {{name, uri, contentType}}: {exc}"
            ) from None
    else:
        items = value
    files = []
    for item in items:
        name, uri = ctx.render_string(item.name), ctx.render_string(item.uri)
        kind = ctx.render_string(item.contentType)
        if kind == "application/octet-stream":
            kind = mimetypes.guess_type(name)[0] or kind
        if "/" not in kind:
            raise TaskFailed(f"property '{prop}': {kind!r} is not a MIME type")
        with opened(ctx, uri) as handle:
            files.append((name, kind, handle.read()))
    return files


def _reason(raw: bytes | str) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
