"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1, plain, with STARTTLS, or with TLS from the first
byte, optionally requiring a login; a self-signed certificate made with openssl."""

from __future__ import annotations

import base64
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

USER, PASSWORD, TOKEN = "mailer", "s3cret-pass", "ya29.oauth-token"


class Inbox:
    """The handler: keeps every envelope the server accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        """Google's and Microsoft's XOAUTH2: `user=<login>^Aauth=Bearer <token>^A^A`, base64, in one line."""
        expected = f"user={USER}\x01auth=Bearer {TOKEN}\x01\x01".encode()
        blob = base64.b64decode(args[1]) if len(args) > 1 else b""
        return AuthResult(success=blob == expected, handled=False)

    def last(self) -> tuple[Envelope, EmailMessage]:
        assert self.envelopes, "the SMTP server received no mail"
        envelope = self.envelopes[-1]
        data = envelope.original_content or b""
        parsed = message_from_bytes(data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return envelope, parsed


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def certificate(folder: Path) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(
    mode: str, tls: ssl.SSLContext | None = None, *, login: bool = False
) -> Iterator[tuple[int, Inbox]]:
    """mode: plain, starttls (required) or ssl. Yields (port, inbox)."""
    inbox = Inbox()
    options: dict[str, Any] = {}
    if login:
        # implicit TLS is encrypted from the first byte: aiosmtpd only counts STARTTLS as TLS for AUTH
        options.update(authenticator=_check_login, auth_require_tls=mode == "starttls")
    if mode == "starttls":
        options.update(tls_context=tls, require_starttls=True)
    elif mode == "ssl":
        options.update(ssl_context=tls)
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), **options)
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()
