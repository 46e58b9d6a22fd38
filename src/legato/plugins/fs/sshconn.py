"""Opening an SSH session for the SSH and SFTP tasks (paramiko): password or private-key login, an optional
local ProxyCommand, host key checking as Kestra's `strictHostKeyChecking`, and the same SSRF guard as the
HTTP tasks (a flow reaches loopback or private addresses only where the operator allows them with
LEGATO_HTTP_ALLOWED_NETWORKS)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from legato.plugins.context import TaskFailed
from legato.plugins.core import netguard

if TYPE_CHECKING:
    import paramiko

CONNECT_TIMEOUT = 10.0  # seconds, as Kestra's SFTP session timeout
_SAFE = re.compile(r"^[A-Za-z0-9._@-]+$")  # what %h and %r may hold in a proxy command


@dataclass(frozen=True)
class SshLogin:
    """Where to connect and how to log in."""

    host: str
    port: int
    username: str | None
    password: str | None = None
    private_key: str | None = None
    passphrase: str | None = None
    strict_host_key_checking: str = "no"
    enable_ssh_rsa1: bool = False
    proxy_command: str | None = None


def port_of(value: Any, prop: str = "port") -> int:
    """A port given as Kestra does (a string) or as a number."""
    try:
        port = int(str(value).strip())
    except ValueError:
        raise TaskFailed(f"property '{prop}': {value!r} is not a port number") from None
    if not 0 < port < 65536:
        raise TaskFailed(f"property '{prop}': {port} is not a port number (1-65535)")
    return port


def load_key(text: str, passphrase: str | None) -> paramiko.PKey:
    """A private key (OpenSSH or PEM; RSA, ECDSA or Ed25519) from its text."""
    import paramiko

    data = text.strip() + "\n"
    errors: list[str] = []
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            key: paramiko.PKey = kind.from_private_key(io.StringIO(data), password=passphrase)
            return key
        except paramiko.PasswordRequiredException:
            raise TaskFailed("the private key is encrypted: set its passphrase") from None
        except (paramiko.SSHException, ValueError) as exc:
            errors.append(str(exc))
    if any("passphrase" in e.lower() or "decrypt" in e.lower() or "password" in e.lower() for e in errors):
        raise TaskFailed("cannot decrypt the private key: wrong passphrase")
    raise TaskFailed("the private key is not an RSA, ECDSA or Ed25519 key in OpenSSH or PEM format")


def _socket(login: SshLogin) -> Any:
    """The transport's socket: the proxy command's pipes, or a TCP connection to a checked address."""
    import paramiko

    if login.proxy_command:
        values = {"%h": login.host, "%r": login.username or ""}
        for what, value in (("host", login.host), ("username", login.username or "")):
            if value and not _SAFE.match(value):
                raise TaskFailed(f"with a proxyCommand, the {what} may hold only letters, digits, '.', '_', '@' "
                                 f"and '-', not {value!r}")
        command = login.proxy_command.strip()
        for token, value in {**values, "%p": str(login.port)}.items():
            command = command.replace(token, value)
        return paramiko.ProxyCommand(command)
    connect = netguard.guarded_connect(netguard.allowed_networks())
    try:
        return connect((login.host, login.port), CONNECT_TIMEOUT)
    except OSError as exc:
        raise TaskFailed(f"cannot connect to {login.host}:{login.port}: {exc.strerror or exc}") from None


def connect(login: SshLogin) -> paramiko.SSHClient:
    """An authenticated SSH client; TaskFailed with the reason when the server refuses it."""
    import paramiko

    client = paramiko.SSHClient()
    if login.strict_host_key_checking.strip().lower() == "no":
        # Kestra's default (strictHostKeyChecking: no): any host key is accepted
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # noqa: S507
    else:  # yes, ask: only hosts in the worker's known_hosts (nobody is there to answer a question)
        client.load_system_host_keys()
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
    key = load_key(login.private_key, login.passphrase) if login.private_key else None
    disabled = {} if login.enable_ssh_rsa1 else {"pubkeys": ["ssh-rsa"], "keys": ["ssh-rsa"]}
    sock = _socket(login)
    try:
        client.connect(login.host, login.port, username=login.username, password=login.password, pkey=key,
                       sock=sock, timeout=CONNECT_TIMEOUT, banner_timeout=CONNECT_TIMEOUT,
                       auth_timeout=CONNECT_TIMEOUT, look_for_keys=False, allow_agent=False,
                       disabled_algorithms=disabled)
    except paramiko.AuthenticationException:
        client.close()
        how = "private key" if key is not None else "password"
        raise TaskFailed(f"SSH authentication to {login.host}:{login.port} as {login.username!r} with a {how} "
                         "failed") from None
    except paramiko.BadHostKeyException:
        client.close()
        raise TaskFailed(f"the host key of {login.host} does not match the worker's known_hosts") from None
    except (TimeoutError, paramiko.SSHException, OSError) as exc:
        client.close()
        raise TaskFailed(f"SSH connection to {login.host}:{login.port} failed: {exc}") from None
    return client
