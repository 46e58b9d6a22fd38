"""MailSend and MailExecution against a real SMTP server (aiosmtpd on 127.0.0.1): TLS from the first byte and
STARTTLS with a login, plain SMTP, HTML and text bodies, cc, an attachment and an inline image from internal
storage; a refused login, a server without STARTTLS and an untrusted certificate fail with clear messages."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.notifications.flows import of, run, start
from tests.integration.notifications.smtp_server import PASSWORD, TOKEN, USER, certificate, smtp_server
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage
from legato.store import open_store
from legato.store.sql import SqlStore


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    return certificate(tmp_path_factory.mktemp("cert"))


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")


def mail(port: int, strategy: str, extra: str = "") -> str:
    return f"""
id: mail
type: io.kestra.plugin.notifications.mail.MailSend
host: 127.0.0.1
port: {port}
transportStrategy: {strategy}
from: legato@example.com
to: ops@example.com; data@example.com
subject: "Report of {{{{ inputs.day }}}}"
plainTextContent: "Plain report"
{extra}"""


@pytest.mark.usefixtures("opened")
def test_smtps_with_login_html_text_cc_attachment_and_inline_image(
    harness: Harness, tls: ssl.SSLContext, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path / "storage")
    execution = harness.execution()  # the files are the execution's own, as an earlier task's outputs would be
    prefix = f"kestra:///company/team/orders/executions/{execution.id}"
    csv_uri = storage.put(f"{prefix}/report.csv", b"id,total\n1,12.5\n")
    png_uri = storage.put(f"{prefix}/logo.png", b"\x89PNG fake")
    with smtp_server("ssl", tls, login=True) as (port, inbox):
        ctx = harness.context(storage=storage, execution=execution, inputs={"day": "2024-05-01"},
                              secrets={"PASS": PASSWORD})
        harness.run(
            mail(
                port,
                "SMTPS",
                f"""username: {USER}
password: "{{{{ secrets.PASS }}}}"
verifyServerIdentity: false
cc: boss@example.com
htmlTextContent: "<p>Report <img src='cid:logo.png'></p>"
attachments:
  - name: report.csv
    uri: {csv_uri}
    contentType: text/csv
embeddedImages:
  - name: logo.png
    uri: {png_uri}
    contentType: image/png
""",
            ),
            ctx,
        )
        envelope, message = inbox.last()
    assert envelope.mail_from == "legato@example.com"
    assert sorted(envelope.rcpt_tos) == ["boss@example.com", "data@example.com", "ops@example.com"]
    assert message["Subject"] == "Report of 2024-05-01" and message["Cc"] == "boss@example.com"
    text_part, html_part = message.get_body(("plain",)), message.get_body(("html",))
    assert text_part is not None and text_part.get_content().strip() == "Plain report"
    assert html_part is not None and "cid:logo.png" in html_part.get_content()
    attachments = {p.get_filename(): p for p in message.iter_attachments()}
    assert attachments["report.csv"].get_content_type() == "text/csv"
    assert attachments["report.csv"].get_payload(decode=True) == b"id,total\n1,12.5\n"
    [image] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<logo.png>" and image.get_payload(decode=True) == b"\x89PNG fake"
    assert PASSWORD not in " ".join(m for _, m in harness.messages(ctx))


@pytest.mark.usefixtures("opened")
def test_starttls_with_login_and_trusted_hosts(harness: Harness, tls: ssl.SSLContext) -> None:
    with smtp_server("starttls", tls, login=True) as (port, inbox):
        harness.run(
            mail(port, "SMTP_TLS", f"username: {USER}\npassword: {PASSWORD}\ntrustedHosts: [127.0.0.1]\n"),
            harness.context(inputs={"day": "d"}),
        )
        _, message = inbox.last()
        assert message["To"] == "ops@example.com, data@example.com"
        with pytest.raises(TaskFailed, match="refused the login: 535"):
            harness.run(
                mail(port, "SMTP_TLS", f"username: {USER}\npassword: wrong\nverifyServerIdentity: false\n"),
                harness.context(inputs={"day": "d"}),
            )
        with pytest.raises(TaskFailed, match=r"TLS with 127\.0\.0\.1:\d+ failed: CERTIFICATE_VERIFY_FAILED"):
            harness.run(
                mail(port, "SMTP_TLS", f"username: {USER}\npassword: {PASSWORD}\n"),
                harness.context(inputs={"day": "d"}),
            )
        with pytest.raises(TaskFailed, match="not among the trustedHosts"):
            harness.run(
                mail(port, "SMTP_TLS", "trustedHosts: [mail.example.com]\n"),
                harness.context(inputs={"day": "d"}),
            )
    assert len(inbox.envelopes) == 1


@pytest.mark.usefixtures("opened")
def test_oauth2_sends_an_xoauth2_token_after_starttls(harness: Harness, tls: ssl.SSLContext) -> None:
    with smtp_server("starttls", tls, login=True) as (port, inbox):
        oauth = f"username: {USER}\npassword: {TOKEN}\nverifyServerIdentity: false\n"
        harness.run(mail(port, "SMTP_OAUTH2", oauth), harness.context(inputs={"day": "d"}))
        assert len(inbox.envelopes) == 1
        with pytest.raises(TaskFailed, match="refused the login: 535"):
            harness.run(
                mail(port, "SMTP_OAUTH2", oauth.replace(TOKEN, "expired")),
                harness.context(inputs={"day": "d"}),
            )


@pytest.mark.usefixtures("opened")
def test_plain_smtp_and_a_server_without_starttls(harness: Harness) -> None:
    with smtp_server("plain") as (port, inbox):
        harness.run(mail(port, "SMTP"), harness.context(inputs={"day": "d"}))
        _, message = inbox.last()
        assert message.get_content_type() == "text/plain" and message.get_content().strip() == "Plain report"
        with pytest.raises(TaskFailed, match="does not offer STARTTLS, which SMTP_TLS requires"):
            harness.run(mail(port, "SMTP_TLS"), harness.context(inputs={"day": "d"}))


def test_bad_addresses_and_the_guard(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEGATO_HTTP_ALLOWED_NETWORKS", raising=False)
    with pytest.raises(TaskFailed, match="property 'to': nobody is not an email address"):
        harness.run(
            mail(25, "SMTP").replace("to: ops@example.com; data@example.com", "to: nobody"),
            harness.context(inputs={"day": "d"}),
        )
    with pytest.raises(TaskFailed, match="private, loopback or otherwise internal"):
        harness.run(mail(25, "SMTP"), harness.context(inputs={"day": "d"}))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqlStore]:
    monkeypatch.setenv("LEGATO_URL", "https://legato.example.com")
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    yield store
    store.close()


def test_mail_execution_in_errors_sends_the_summary(store: SqlStore) -> None:
    with smtp_server("plain") as (port, inbox):
        flow = f"""
id: payroll
namespace: notify.mail
tasks:
  - id: compute
    type: io.kestra.plugin.core.execution.Fail
errors:
  - id: email
    type: io.kestra.plugin.notifications.mail.MailExecution
    host: 127.0.0.1
    port: {port}
    transportStrategy: SMTP
    from: legato@example.com
    to: payroll@example.com
    customMessage: "<b>Payroll</b> needs a look"
    customFields:
      Owner: finance
"""
        execution = start(store, [flow], "notify.mail", "payroll")
        run(store, lambda: bool(inbox.envelopes))
        _, message = inbox.last()
    [ended] = of(store, "payroll")
    assert ended.state.value == "FAILED"
    link = f"https://legato.example.com/ui/executions/{execution.id}"
    assert message["Subject"] == "[notify.mail] payroll ➛ FAILED"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert "Failed on task `compute` after " in text.get_content() and f"Link: {link}" in text.get_content()
    assert "Owner: finance" in text.get_content()
    page = html.get_content()
    assert (
        f"<a href='{link}'>" in page and "&lt;b&gt;Payroll&lt;/b&gt;" in page and "<td>finance</td>" in page
    )
