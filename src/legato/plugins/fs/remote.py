"""The remote file systems the SFTP, FTP and FTPS tasks work on, behind one small interface: list a directory
(recursively), fetch and store a file, delete, rename, make directories. Paths are the flow's POSIX paths
(`/in/a.csv`); with `rootDir` (Kestra's default) the server is asked for them from the login's home directory."""

from __future__ import annotations

import ftplib
import posixpath
import re
import ssl
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from legato.plugins.context import TaskFailed
from legato.plugins.core import netguard
from legato.plugins.fs.sshconn import SshLogin, connect

if TYPE_CHECKING:
    import paramiko


@dataclass(frozen=True)
class Entry:
    """One file or folder found on the server (Kestra's File model)."""

    path: str
    is_dir: bool
    size: int | None = None
    modified: datetime | None = None
    accessed: datetime | None = None
    uid: int | None = None
    gid: int | None = None
    mode: int | None = None
    link: bool = False

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    def as_output(self, path: str | None = None) -> dict[str, Any]:
        """Kestra's File: path, name, fileType, symbolicLink, size, ids, permissions and dates."""
        return {
            "path": path if path is not None else self.path, "name": self.name,
            "fileType": "FOLDER" if self.is_dir else "FILE", "symbolicLink": self.link,
            "size": None if self.is_dir else self.size, "userId": self.uid, "groupId": self.gid,
            "permissions": self.mode, "flags": None,
            "accessDate": self.accessed.isoformat().replace("+00:00", "Z") if self.accessed else None,
            "updatedDate": self.modified.isoformat().replace("+00:00", "Z") if self.modified else None,
        }


class RemoteFs(Protocol):
    scheme: str

    def stat(self, path: str) -> Entry | None: ...
    def listdir(self, path: str) -> list[Entry]: ...
    def fetch(self, path: str, target: Path) -> None: ...
    def store(self, source: Path, path: str) -> None: ...
    def remove(self, path: str) -> None: ...
    def rmdir(self, path: str) -> None: ...
    def rename(self, source: str, target: str) -> None: ...
    def mkdir(self, path: str) -> None: ...
    def close(self) -> None: ...


def _when(seconds: float | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def on_server(path: str, root_dir: bool) -> str:
    """The path as the server is asked for it: from the home directory with `root_dir`."""
    clean = user_path(path).lstrip("/")
    if root_dir:
        return clean or "."
    return "/" + clean


def user_path(path: str) -> str:
    """A path as the flow wrote it, made absolute and normal (`in/a.csv` -> `/in/a.csv`)."""
    return posixpath.normpath("/" + path.strip().lstrip("/"))


def walk(fs: RemoteFs, root: str, recursive: bool) -> Iterator[Entry]:
    """The files under `root` (sub-folders' files too with `recursive`); folders are not listed."""
    for entry in fs.listdir(root):
        if entry.is_dir:
            if recursive and not entry.link:
                yield from walk(fs, entry.path, recursive)
        else:
            yield entry


def makedirs(fs: RemoteFs, path: str) -> None:
    """Create `path` and its missing parents."""
    if path in ("", ".", "/"):
        return
    existing = fs.stat(path)
    if existing is not None:
        if not existing.is_dir:
            raise TaskFailed(f"'{path}' exists on the server and is not a directory")
        return
    makedirs(fs, posixpath.dirname(path.rstrip("/")))
    fs.mkdir(path)


class SftpFs:
    """SFTP over a paramiko session."""

    scheme = "sftp"

    def __init__(self, login: SshLogin, root_dir: bool) -> None:
        self._client = connect(login)
        try:
            self._sftp: paramiko.SFTPClient = self._client.open_sftp()
        except Exception as exc:
            self._client.close()
            raise TaskFailed(f"the server refused the SFTP subsystem: {exc}") from None
        self.root_dir = root_dir

    def _p(self, path: str) -> str:
        return on_server(path, self.root_dir)

    def _entry(self, path: str, attrs: Any, link: bool = False) -> Entry:
        return Entry(path=path, is_dir=stat.S_ISDIR(attrs.st_mode or 0), size=attrs.st_size,
                     modified=_when(attrs.st_mtime), accessed=_when(attrs.st_atime), uid=attrs.st_uid,
                     gid=attrs.st_gid, mode=attrs.st_mode, link=link)

    def stat(self, path: str) -> Entry | None:
        try:
            return self._entry(path, self._sftp.stat(self._p(path)))
        except FileNotFoundError:
            return None

    def listdir(self, path: str) -> list[Entry]:
        try:
            found = self._sftp.listdir_attr(self._p(path))
        except FileNotFoundError:
            raise TaskFailed(f"directory '{path}' does not exist on the server") from None
        entries = []
        for attrs in found:
            child = posixpath.join(path, attrs.filename)
            link = stat.S_ISLNK(attrs.st_mode or 0)
            if link:
                try:
                    attrs = self._sftp.stat(self._p(child))
                except FileNotFoundError:
                    continue  # a dangling link
            entries.append(self._entry(child, attrs, link))
        return entries

    def fetch(self, path: str, target: Path) -> None:
        try:
            self._sftp.get(self._p(path), str(target))
        except FileNotFoundError:
            raise TaskFailed(f"file '{path}' does not exist on the server") from None

    def store(self, source: Path, path: str) -> None:
        self._sftp.put(str(source), self._p(path), confirm=True)

    def remove(self, path: str) -> None:
        self._sftp.remove(self._p(path))

    def rmdir(self, path: str) -> None:
        self._sftp.rmdir(self._p(path))

    def rename(self, source: str, target: str) -> None:
        try:
            self._sftp.posix_rename(self._p(source), self._p(target))  # replaces an existing target
        except OSError:
            self._sftp.rename(self._p(source), self._p(target))

    def mkdir(self, path: str) -> None:
        self._sftp.mkdir(self._p(path))

    def close(self) -> None:
        self._sftp.close()
        self._client.close()


@dataclass(frozen=True)
class FtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    passive: bool = True
    timeout: float = 30.0
    tls: bool = False
    implicit: bool = False
    protect_data: bool = True  # PROT P
    verify: bool = True


class _ImplicitFTPS(ftplib.FTP_TLS):
    """FTPS whose control connection is TLS from the first byte (port 990)."""


def _open(ftp: ftplib.FTP, host: str, port: int) -> None:
    """ftplib's connect, to an address of `host` the SSRF guard checked: one lookup, so a second answer (DNS
    rebinding) cannot send the connection elsewhere. TLS (implicit, or AUTH TLS at login) still checks the
    certificate against `host`; passive data connections go to the control connection's peer address."""
    ftp.host, ftp.port = host, port
    raw = netguard.guarded_connect(netguard.allowed_networks())((host, port), ftp.timeout)
    ftp.sock = raw
    if isinstance(ftp, _ImplicitFTPS):
        ftp.sock = ftp.context.wrap_socket(raw, server_hostname=host)
    ftp.af = ftp.sock.family
    ftp.file = ftp.sock.makefile("r", encoding=ftp.encoding)
    ftp.welcome = ftp.getresp()


_MLSD_TIME = re.compile(r"^(\d{14})(?:\.\d+)?$")


class FtpFs:
    """FTP, or FTPS (explicit AUTH TLS or implicit), over the standard library's ftplib."""

    def __init__(self, settings: FtpSettings, root_dir: bool) -> None:
        self.scheme = "ftps" if settings.tls else "ftp"
        self.root_dir = root_dir
        ftp: ftplib.FTP
        if settings.tls:
            context = ssl.create_default_context()
            if not settings.verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            ftp = (_ImplicitFTPS if settings.implicit else ftplib.FTP_TLS)(context=context, timeout=settings.timeout)
        else:
            ftp = ftplib.FTP(timeout=settings.timeout)  # noqa: S321 - plain FTP is what the ftp.* tasks are for
        try:
            _open(ftp, settings.host, settings.port)
            ftp.login(settings.username or "anonymous", settings.password or "")
            if isinstance(ftp, ftplib.FTP_TLS):
                if settings.protect_data:
                    ftp.prot_p()
                else:
                    ftp.prot_c()
            ftp.set_pasv(settings.passive)
        except ftplib.error_perm as exc:
            ftp.close()
            raise TaskFailed(f"FTP login to {settings.host}:{settings.port} as {settings.username!r} failed: {exc}") from None
        except (OSError, ftplib.Error, EOFError) as exc:
            ftp.close()
            raise TaskFailed(f"FTP connection to {settings.host}:{settings.port} failed: {exc}") from None
        except TaskFailed:
            ftp.close()
            raise
        self._ftp = ftp

    def _p(self, path: str) -> str:
        return on_server(path, self.root_dir)

    def _facts(self, path: str, facts: dict[str, str]) -> Entry:
        modified = None
        if (match := _MLSD_TIME.match(facts.get("modify", ""))) is not None:
            modified = datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        size = facts.get("size")
        mode = facts.get("unix.mode")
        return Entry(path=path, is_dir=facts.get("type", "").lower() in ("dir", "cdir", "pdir"),
                     size=int(size) if size else None, modified=modified, mode=int(mode, 8) if mode else None)

    def stat(self, path: str) -> Entry | None:
        parent, name = posixpath.split(self._p(path).rstrip("/"))
        if not name or name == ".":
            return Entry(path=path, is_dir=True)
        try:
            for found, facts in self._ftp.mlsd(parent or ("/" if not self.root_dir else ".")):
                if found == name:
                    return self._facts(path, facts)
        except ftplib.error_perm:
            return None
        return None

    def listdir(self, path: str) -> list[Entry]:
        try:
            listing = list(self._ftp.mlsd(self._p(path)))
        except ftplib.error_perm:
            raise TaskFailed(f"directory '{path}' does not exist on the server") from None
        return [self._facts(posixpath.join(path, name), facts) for name, facts in listing
                if facts.get("type", "").lower() not in ("cdir", "pdir") and name not in (".", "..")]

    def fetch(self, path: str, target: Path) -> None:
        with target.open("wb") as out:
            try:
                self._ftp.retrbinary(f"RETR {self._p(path)}", out.write)
            except ftplib.error_perm as exc:
                raise TaskFailed(f"cannot download '{path}': {exc}") from None

    def store(self, source: Path, path: str) -> None:
        with source.open("rb") as data:
            self._ftp.storbinary(f"STOR {self._p(path)}", data)

    def remove(self, path: str) -> None:
        self._ftp.delete(self._p(path))

    def rmdir(self, path: str) -> None:
        self._ftp.rmd(self._p(path))

    def rename(self, source: str, target: str) -> None:
        self._ftp.rename(self._p(source), self._p(target))

    def mkdir(self, path: str) -> None:
        self._ftp.mkd(self._p(path))

    def close(self) -> None:
        try:
            self._ftp.quit()
        except (OSError, ftplib.Error, EOFError):
            self._ftp.close()
