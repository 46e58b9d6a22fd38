"""The SSRF guard of the HTTP tasks: a flow may not reach the worker's own network (loopback, private,
link-local, cloud metadata, ...) unless the operator allows those addresses with LEGATO_HTTP_ALLOWED_NETWORKS
(comma-separated CIDRs, e.g. `127.0.0.1/32,10.0.0.0/8`, or `*` for everything). The HTTP tasks get it in the
transport of `httpclient`; socket clients (SMTP, SSH) through `guarded_connect`.

The check happens where the connection is made: the host is resolved once, every address is checked, and
the socket connects to a checked address, so a name that resolves differently on a second lookup (DNS
rebinding) or a redirect to an internal address gets no further."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from legato.plugins.context import TaskFailed

ENV_ALLOWED = "LEGATO_HTTP_ALLOWED_NETWORKS"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def allowed_networks(value: str | None = None) -> list[Network]:
    """The operator's allowed networks (LEGATO_HTTP_ALLOWED_NETWORKS unless `value` is given)."""
    text = os.environ.get(ENV_ALLOWED, "") if value is None else value
    networks: list[Network] = []
    for part in (p.strip() for p in text.split(",")):
        if part == "*":
            networks += [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
        elif part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise TaskFailed(f"{ENV_ALLOWED} holds {part!r}, which is not a network (write CIDRs like 10.0.0.0/8)") from None
    return networks


def internal(address: IPAddress) -> bool:
    """Whether `address` belongs to a network a flow must not reach by default."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def check(address: IPAddress, allowed: Sequence[Network], host: str) -> None:
    if internal(address) and not any(address in net for net in allowed if net.version == address.version):
        raise TaskFailed(
            f"refusing to connect to {host} ({address}): it is a private, loopback or otherwise internal address; "
            f"an operator can allow it with {ENV_ALLOWED}"
        )


def check_all(addresses: Iterable[str], allowed: Sequence[Network], host: str) -> None:
    """`check` for each address `host` resolved to."""
    for address in addresses:
        check(ipaddress.ip_address(address), allowed, host)


def resolve_checked(host: str, port: int, what: str = "") -> list[str]:
    """The addresses of `host`, every one checked against the operator's allowed networks; `what` names the
    host in the error when it does not resolve ("the Git host ")."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise TaskFailed(f"cannot resolve {what}{host}: {exc.strerror or exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    check_all(addresses, allowed_networks(), host)
    return addresses


def guarded_connect(allowed: Sequence[Network]) -> Callable[..., socket.socket]:
    """A replacement for socket.create_connection that only connects to checked addresses."""

    def connect(address: tuple[str, int], timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
                source_address: Any = None) -> socket.socket:
        host, port = address
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise TaskFailed(f"cannot resolve {host}: {exc.strerror}") from None
        check_all((str(sockaddr[0]) for *_, sockaddr in infos), allowed, host)
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                error = exc
                sock.close()
        raise error or OSError(f"no address to connect to for {host}")

    return connect
