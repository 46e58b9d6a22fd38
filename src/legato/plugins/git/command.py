"""Running `git` for a task: the remote's credentials travel in the child's environment (never on its command line
or in the repository's config), only network transports are allowed (no `file://`, local paths or `ext::`), the
remote's addresses pass the same SSRF guard as the HTTP tasks, and nothing of the worker's own git configuration or
credential helpers applies."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from legato.plugins.context import TaskFailed
from legato.plugins.core import netguard

_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?!//)(?P<path>.+)$")
_HELPER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")


class GitError(TaskFailed):
    """A git command failed: its (credential-free) message."""


@dataclass(frozen=True)
class Remote:
    """Where a repository lives and how to authenticate to it."""

    url: str
    username: str | None = None
    password: str | None = None
    private_key: str | None = None
    passphrase: str | None = None
    trusted_ca_pem_path: str | None = None
    no_proxy: bool = False
    read_timeout_ms: int = 60_000
    config: Mapping[str, str] = field(default_factory=dict)
    addresses: tuple[str, ...] = ()  # the host's addresses the guard checked (check_address)

    def host(self) -> tuple[str, int]:
        """The remote's host and port; refuses what is not a network remote."""
        if _HELPER.match(self.url):
            raise TaskFailed(
                f"property 'url': {shown(self.url)!r} names a git remote helper (<transport>::…), which "
                "is not allowed; write https://…, ssh://… or user@host:path"
            )
        if "://" not in self.url:
            match = _SCP_LIKE.match(self.url)
            if match is None:
                raise TaskFailed(
                    f"property 'url': {shown(self.url)!r} is not a Git remote (write https://…, ssh://… "
                    "or user@host:path); local paths are not allowed"
                )
            return match["host"], 22
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https", "ssh", "git"):
            raise TaskFailed(
                f"property 'url': the {parts.scheme}:// transport is not allowed (use https://, ssh:// "
                "or git://)"
            )
        if not parts.hostname:
            raise TaskFailed(f"property 'url': {shown(self.url)!r} names no host")
        default = {"http": 80, "https": 443, "ssh": 22, "git": 9418}[parts.scheme]
        try:
            return parts.hostname, parts.port or default
        except ValueError:
            raise TaskFailed(f"property 'url': {shown(self.url)!r} has an invalid port") from None

    def check_address(self) -> Remote:
        """This remote with the addresses of its host, every one passed by the SSRF guard
        (LEGATO_HTTP_ALLOWED_NETWORKS)."""
        host, port = self.host()
        return replace(self, addresses=tuple(netguard.resolve_checked(host, port, "the Git host ")))

    def pinned(self) -> str | None:
        """curl's resolve entry (`host:port:addr,...`, git's http.curloptResolve) that makes git connect to the
        checked addresses of an http(s) remote's host; None for other transports or a host given as an address."""
        parts = urlsplit(self.url) if "://" in self.url else None
        if parts is None or parts.scheme not in ("http", "https") or not self.addresses:
            return None
        host, port = self.host()
        try:
            ipaddress.ip_address(host)
            return None
        except ValueError:
            pass
        return f"{host}:{port}:" + ",".join(f"[{a}]" if ":" in a else a for a in self.addresses)


_REDIRECTED = re.compile(r"returned error: 30[12378]\b")


def shown(text: str) -> str:
    """`text` with any user:password@ of a URL in it removed."""
    return _URL_CREDENTIALS.sub("", text)


class Git:
    """`git` for one remote, with a private HOME and configuration."""

    def __init__(self, remote: Remote) -> None:
        self.remote = remote
        self._home = Path(tempfile.mkdtemp(prefix="legato-git-"))
        os.chmod(self._home, 0o700)
        self.env = self._environment()

    def close(self) -> None:
        shutil.rmtree(self._home, ignore_errors=True)

    def __enter__(self) -> Git:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _environment(self) -> dict[str, str]:
        remote = self.remote
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self._home),
            "LANG": "C.UTF-8",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_ALLOW_PROTOCOL": "http:https:ssh:git",
        }
        if not remote.no_proxy:
            env.update(
                {
                    k: v
                    for k, v in os.environ.items()
                    if k.lower() in ("http_proxy", "https_proxy", "no_proxy")
                }
            )
        config: dict[str, str] = {
            "safe.directory": "*",  # a WorkingDirectory's folder may belong to the uid its scripts ran as
            "init.defaultBranch": "main",
            "advice.detachedHead": "false",
            "http.lowSpeedLimit": "1",
            "http.lowSpeedTime": str(max(1, remote.read_timeout_ms // 1000)),
        }
        if remote.username is not None or remote.password is not None:
            token = base64.b64encode(f"{remote.username or ''}:{remote.password or ''}".encode()).decode()
            config["http.extraHeader"] = f"Authorization: Basic {token}"
        if remote.trusted_ca_pem_path:
            config["http.sslCAInfo"] = remote.trusted_ca_pem_path
        config.update(remote.config)
        if (resolve := remote.pinned()) is not None:
            config["http.curloptResolve"] = resolve
        config["http.followRedirects"] = "false"  # a redirect to another host would reach an unchecked address
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for i, (key, value) in enumerate(config.items()):
            env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
        env["GIT_SSH_COMMAND"] = self._ssh_command(env)
        return env

    def _ssh_command(self, env: dict[str, str]) -> str:
        known_hosts = self._home / "known_hosts"
        command = [
            "ssh",
            "-F",
            os.devnull,
            "-o",
            "BatchMode=no" if self.remote.passphrase else "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            f"UserKnownHostsFile={known_hosts}",
        ]
        if self.remote.private_key:
            key = self._home / "id_key"
            key.write_text(self.remote.private_key.strip() + "\n")
            key.chmod(0o600)
            command += ["-i", str(key), "-o", "IdentitiesOnly=yes"]
        if self.remote.passphrase:
            askpass = self._home / "askpass"
            askpass.write_text('#!/bin/sh\nprintf "%s\\n" "$LEGATO_GIT_PASSPHRASE"\n')
            askpass.chmod(0o700)
            env.update(
                {
                    "SSH_ASKPASS": str(askpass),
                    "SSH_ASKPASS_REQUIRE": "force",
                    "LEGATO_GIT_PASSPHRASE": self.remote.passphrase,
                    "DISPLAY": ":0",
                }
            )
        return " ".join(command)

    async def run(self, args: Sequence[str], cwd: Path, *, check: bool = True) -> str:
        """Run `git args` in `cwd`; its standard output, or GitError with its message."""
        code, out, err = await self._exec(args, cwd)
        if check and code != 0:
            said = shown(err.strip() or out.strip())
            if _REDIRECTED.search(said):
                said += " (redirects are not followed, as they could lead past the checked address: use the URL it moved to)"
            raise GitError(f"git {args[0]} failed: {said}")
        return out

    async def output(self, args: Sequence[str], cwd: Path) -> tuple[int, str]:
        """The exit code and standard output of `git args`, failing or not."""
        code, out, _ = await self._exec(args, cwd)
        return code, out

    async def _exec(self, args: Sequence[str], cwd: Path) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            "git", *args, cwd=cwd, env=self.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await process.communicate()
        except asyncio.CancelledError:  # the task was killed or timed out: git goes with it
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise
        return process.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


def http_url(url: str) -> str:
    """A browsable https:// address for the remote (Kestra builds commit links from it), without credentials."""
    match = _SCP_LIKE.match(url) if "://" not in url else None
    if match is not None:
        url = f"https://{match['host']}/{match['path']}"
    parts = urlsplit(url)
    scheme = "https" if parts.scheme in ("ssh", "git") else parts.scheme
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port and parts.scheme in ("http", "https") else ""
    return urlunsplit((scheme, host + port, parts.path.removesuffix(".git"), "", ""))


@contextlib.contextmanager
def scratch_directory(root: str) -> Iterator[Path]:
    """A directory removed afterwards (a task outside a WorkingDirectory has nowhere to keep a clone)."""
    path = Path(tempfile.mkdtemp(prefix="legato-git-work-", dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
