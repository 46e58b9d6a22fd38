"""The connection properties of Kestra's SFTP, FTP and FTPS tasks and triggers (the same names and defaults),
each able to open its remote file system."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import Frozen
from legato.plugins.context import TaskFailed
from legato.plugins.fs.remote import FtpFs, FtpSettings, RemoteFs, SftpFs
from legato.plugins.fs.sshconn import SshLogin, port_of

Render = Callable[[Any], Any]


def _text(render: Render, value: Any) -> str | None:
    if value is None:
        return None
    rendered = render(value)
    return None if rendered is None else str(rendered)


def _flag(render: Render, value: Any, prop: str) -> bool:
    rendered = render(value)
    if isinstance(rendered, bool):
        return rendered
    text = str(rendered).strip().lower()
    if text not in ("true", "false"):
        raise TaskFailed(f"property '{prop}': {rendered!r} is not true or false")
    return text == "true"


class Connection(Frozen):
    """Host, port and login of every remote file task."""

    SCHEME: ClassVar[str] = ""
    PROTOCOL: ClassVar[str] = ""  # the words used in descriptions: SFTP, FTP, FTPS
    REQUIRES: ClassVar[tuple[str, ...]] = ()

    host: str = Field(description="The server's host name or address.")
    port: str | int = Field(default="22", description="The server's port.")
    username: str | None = Field(default=None, description="The user to log in as.")
    password: str | None = Field(default=None, description="The password; use secret().")
    rootDir: bool | str = Field(default=True, description="Paths are taken from the user's home directory (true, the default) or from the server's root (false).")
    enableSshRsa1: bool | str = Field(default=False, description="Also allow the weak ssh-rsa (RSA/SHA-1) algorithm (SFTP only).")

    def open_fs(self, render: Render) -> RemoteFs:
        """A connected file system; close() it when done."""
        raise NotImplementedError

    def base_uri(self, render: Render) -> str:
        """scheme://host, what output URIs start with (no credentials, as Kestra's)."""
        return f"{self.SCHEME}://{_text(render, self.host)}"


class SftpConnection(Connection):
    SCHEME: ClassVar[str] = "sftp"
    PROTOCOL: ClassVar[str] = "SFTP"
    REQUIRES: ClassVar[tuple[str, ...]] = ("paramiko",)
    EXTRA: ClassVar[str] = "ssh"

    keyfile: str | None = Field(default=None, description="A private key (PEM or OpenSSH format) to log in with instead of a password; use secret().")
    passphrase: str | None = Field(default=None, description="The passphrase of `keyfile`.")
    proxyAddress: str | None = Field(default=None, description="Proxy host (not supported by Legato: a task that sets a proxyType fails, saying so).")
    proxyHost: str | None = Field(default=None, description="Deprecated: use proxyAddress.")
    proxyPort: str | int | None = Field(default=None, description="Proxy port.")
    proxyUsername: str | None = Field(default=None, description="Proxy user.")
    proxyUser: str | None = Field(default=None, description="Deprecated: use proxyUsername.")
    proxyPassword: str | None = Field(default=None, description="Proxy password.")
    proxyType: str | None = Field(default=None, description="SOCKS5, STREAM or HTTP.")
    keyExchangeAlgorithm: str | None = Field(default=None, description="Use only this key exchange algorithm (e.g. diffie-hellman-group14-sha256).")

    def open_fs(self, render: Render) -> RemoteFs:
        if self.proxyType:
            raise TaskFailed(f"property 'proxyType': SFTP through a {self.proxyType} proxy is not supported by Legato")
        if self.keyExchangeAlgorithm:
            raise TaskFailed("property 'keyExchangeAlgorithm' is not supported by Legato: the server and client negotiate one")
        login = SshLogin(
            host=str(_text(render, self.host)).strip(), port=port_of(_text(render, self.port)),
            username=_text(render, self.username), password=_text(render, self.password),
            private_key=_text(render, self.keyfile), passphrase=_text(render, self.passphrase),
            enable_ssh_rsa1=_flag(render, self.enableSshRsa1, "enableSshRsa1"),
        )
        return SftpFs(login, _flag(render, self.rootDir, "rootDir"))


class FtpOptions(Frozen):
    """Kestra's FTP client timeouts."""

    connectionTimeout: Duration = Field(default=timedelta(seconds=30), description="Time to open the control connection.")
    dataTimeout: Duration = Field(default=timedelta(seconds=30), description="Time to open a data connection.")
    socketTimeout: Duration = Field(default=timedelta(seconds=30), description="Read and write timeout once connected.")
    controlKeepAliveTimeout: Duration = Field(default=timedelta(seconds=30), description="Accepted for compatibility.")
    controlKeepAliveReplyTimeout: Duration = Field(default=timedelta(seconds=30), description="Accepted for compatibility.")


class FtpConnection(Connection):
    SCHEME: ClassVar[str] = "ftp"
    PROTOCOL: ClassVar[str] = "FTP"

    port: str | int = Field(default="21", description="The server's port.")
    proxyHost: str | None = Field(default=None, description="Proxy host (not supported by Legato: a task that sets it fails, saying so).")
    proxyPort: str | int | None = Field(default=None, description="Proxy port.")
    proxyType: Literal["DIRECT", "HTTP", "SOCKS"] | None = Field(default=None, description="Proxy type.")
    passiveMode: bool | str = Field(default=True, description="Passive data connections (the default); false for active mode.")
    remoteIpVerification: bool | str = Field(default=True, description="Data connections go to the control connection's host (the standard library always does so).")
    options: FtpOptions = Field(default_factory=FtpOptions, description="Timeouts.")

    def settings(self, render: Render) -> FtpSettings:
        if self.proxyHost and self.proxyType not in (None, "DIRECT"):
            raise TaskFailed("property 'proxyHost': FTP through a proxy is not supported by Legato")
        return FtpSettings(
            host=str(_text(render, self.host)).strip(), port=port_of(_text(render, self.port)),
            username=_text(render, self.username), password=_text(render, self.password),
            passive=_flag(render, self.passiveMode, "passiveMode"),
            timeout=max(self.options.connectionTimeout, self.options.socketTimeout).total_seconds(),
        )

    def open_fs(self, render: Render) -> RemoteFs:
        return FtpFs(self.settings(render), _flag(render, self.rootDir, "rootDir"))


class FtpsConnection(FtpConnection):
    SCHEME: ClassVar[str] = "ftps"
    PROTOCOL: ClassVar[str] = "FTPS"

    port: str | int = Field(default="990", description="The server's port.")
    mode: Literal["EXPLICIT", "IMPLICIT"] = Field(default="EXPLICIT", description="EXPLICIT (AUTH TLS on a plain connection) or IMPLICIT (TLS from the start).")
    dataChannelProtectionLevel: Literal["C", "S", "E", "P"] = Field(default="P", description="PROT level of data connections: P (encrypted, the default) or C (clear).")
    insecureTrustAllCertificates: bool | str | None = Field(default=None, description="Accept any server certificate (testing only: no protection against a man in the middle).")

    def open_fs(self, render: Render) -> RemoteFs:
        base = self.settings(render)
        trust_all = self.insecureTrustAllCertificates is not None and _flag(render, self.insecureTrustAllCertificates, "insecureTrustAllCertificates")
        settings = FtpSettings(**{**base.__dict__, "tls": True, "implicit": self.mode == "IMPLICIT",
                                  "protect_data": self.dataChannelProtectionLevel != "C", "verify": not trust_all})
        return FtpFs(settings, _flag(render, self.rootDir, "rootDir"))


PROTOCOLS: dict[str, type[Connection]] = {"sftp": SftpConnection, "ftp": FtpConnection, "ftps": FtpsConnection}
