"""What isolating a script means on this host: the policy (which folders scripts never see, which network
they get, which uids they run as), whether the host can enforce it, and the bubblewrap command that starts a
namespace's sandbox. `legato.runners.isolated` runs commands in those sandboxes.

A sandbox shows the host's system read-only, with the data dir, the configuration file, /run (sockets of
local services: the Docker engine, PostgreSQL), /root, /home and the server's HOME replaced by empty
folders; the interpreters, Legato's helpers and its cache of virtualenvs are put back read-only. It has its
own PID, IPC, UTS and network namespaces: the network is a private one with outbound access through
slirp4netns (its loopback is its own, so the server's port and every service listening on the host's
loopback are out of reach), none at all, or the host's, as configured.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from legato.runners.base import RunnerError
from legato.runners.environment import cache_dir

Network = Literal["outbound", "none", "host"]
UNSAFE_ENV = "LEGATO_UNSAFE_PROCESS_RUNNER"
NETWORK_ENV = "LEGATO_SCRIPT_NETWORK"
UIDS_ENV = "LEGATO_SANDBOX_UIDS"
DEFAULT_UIDS = range(1_000_000_000, 1_000_065_536)  # far above the uids of real users and of subuid ranges
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)"
SLIRP_HINT = "install slirp4netns (Debian/Ubuntu: apt-get install slirp4netns)"
_ALWAYS_HIDDEN = ("/tmp", "/run", "/var/run", "/root", "/home")  # noqa: S108 - the host's /tmp is hidden
_SLIRP_DNS = "10.0.2.3"
_PROBE_SECONDS = 10.0


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Policy:
    """How sandboxes are made on this worker."""

    hidden: tuple[Path, ...] = ()
    network: Network = "outbound"
    uids: range = DEFAULT_UIDS
    work_root: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))
    idle_seconds: float = 300.0
    max_sandboxes: int = 32

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Policy:
        """The policy from the worker's settings: LEGATO_SCRIPT_NETWORK (outbound|none|host), LEGATO_SANDBOX_UIDS
        (first-last, used when the server runs as root), LEGATO_WORK_DIR, LEGATO_CONFIG (hidden too)."""
        network = environ.get(NETWORK_ENV, "outbound")
        if network not in ("outbound", "none", "host"):
            raise RunnerError(f"{NETWORK_ENV} must be outbound, none or host, not {network!r}")
        extra = [Path(environ["LEGATO_CONFIG"])] if environ.get("LEGATO_CONFIG") else []
        work_root = Path(environ.get("LEGATO_WORK_DIR") or tempfile.gettempdir())
        return cls(hidden=tuple(extra), network=network,  # type: ignore[arg-type]
                   uids=_uids(environ.get(UIDS_ENV)), work_root=work_root)


def _uids(text: str | None) -> range:
    if not text:
        return DEFAULT_UIDS
    try:
        first, last = (int(part) for part in text.split("-", 1))
    except ValueError:
        raise RunnerError(f"{UIDS_ENV} must be FIRST-LAST (e.g. 1000000000-1000065535), not {text!r}") from None
    if not 0 < first <= last < 2**31:
        raise RunnerError(f"{UIDS_ENV}: {text!r} is not a range of non-root uids")
    return range(first, last + 1)


def as_root() -> bool:
    """Whether the worker runs as root: scripts then get uids of their own from the policy's pool."""
    return os.geteuid() == 0


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def slirp_path() -> str | None:
    return shutil.which("slirp4netns")


@functools.cache
def probe() -> str | None:
    """Why sandboxes cannot be made on this host, or None when they can (bubblewrap runs a command in new
    namespaces). Checked once per process."""
    bwrap = bwrap_path()
    if bwrap is None:
        return f"bubblewrap is not installed: {INSTALL_HINT}"
    command = [bwrap, *_namespaces(network=False), "--ro-bind", "/", "/", "--proc", "/proc", "--", "true"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=_PROBE_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap cannot run here: {exc}"
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip()
        return f"bubblewrap cannot create namespaces here (user namespaces disabled?): {said}"
    return None


def effective_network(policy: Policy) -> Network:
    """The network scripts get: `outbound` needs slirp4netns, without which they get none."""
    if policy.network == "outbound" and slirp_path() is None:
        return "none"
    return policy.network


def describe(policy: Policy, unsafe: bool) -> list[str]:
    """What the start-up message says about script isolation (one line per fact)."""
    if unsafe:
        return [f"WARNING: {UNSAFE_ENV} is set: script tasks of the process and python-warm runners run UNISOLATED: "
                f"a flow's script can read the database, internal storage and other executions' files, and call "
                f"this server"]
    reason = probe()
    if reason is not None:
        return [f"script tasks are refused: they must run isolated and {reason} "
                f"(or set {UNSAFE_ENV}=true to run them unisolated, which lets any flow author reach the server)"]
    who = (f"as uids {policy.uids.start}-{policy.uids.stop - 1}, one per run" if as_root()
           else f"as uid {os.geteuid()} in a user namespace")
    lines = [f"script tasks run isolated in a sandbox per namespace ({who})"]
    network = effective_network(policy)
    if network != policy.network:
        lines.append(f"WARNING: script tasks have no network: {SLIRP_HINT} for outbound access, or set "
                     f"{NETWORK_ENV}=host (scripts then reach this server's port and every local service)")
    elif network == "host":
        lines.append(f"WARNING: {NETWORK_ENV}=host: scripts share this host's network and can reach this server's "
                     f"port and every service listening on its loopback")
    return lines


def hidden_paths(policy: Policy) -> list[Path]:
    """Every folder or file a sandbox replaces with an empty one, outermost first, without those inside
    another (hidden with it)."""
    home = os.environ.get("HOME")
    candidates = [*policy.hidden, *(Path(p) for p in _ALWAYS_HIDDEN), *([Path(home)] if home else [])]
    resolved = sorted({p.resolve() for p in candidates if p.exists() and p.resolve() != Path("/")})
    return [p for p in resolved if not any(p != q and p.is_relative_to(q) for q in resolved)]


def visible(path: Path, hidden: Iterable[Path], exposed: Iterable[Path]) -> bool:
    """Whether `path` shows in a sandbox that hides `hidden` and puts `exposed` back."""
    path = path.resolve()
    if any(path.is_relative_to(e) for e in exposed):
        return not any(path.is_relative_to(h) and h.is_relative_to(e) and h != e for e in exposed for h in hidden)
    return not any(path.is_relative_to(h) for h in hidden)


def tool_folders(interpreter: str, environ: Mapping[str, str]) -> list[Path]:
    """Folders every sandbox needs from the host: the interpreter's installation, Legato's package (the fork
    server and the script helpers), its cache (shims, virtualenvs of `dependencies:`), and the folders of
    the worker's PATH with the folders their links lead to."""
    real = Path(interpreter).resolve()
    folders = [real.parent.parent, Path(sys.base_prefix), Path(sys.prefix), Path(__file__).resolve().parents[1],
               cache_dir(environ)]
    for entry in environ.get("PATH", "").split(os.pathsep):
        folder = Path(entry)
        if not entry or not folder.is_dir():
            continue
        folders.append(folder)
        folders += (Path(os.path.dirname(os.path.realpath(link))) for link in _links(folder))
    # each folder once: /usr/bin alone holds hundreds of links into itself
    return [f for f in dict.fromkeys(folders) if f.exists()]


def _links(folder: Path) -> list[str]:
    """The symbolic links in `folder` that lead out of it (scandir's entry types: no stat per entry). A link to a
    name in the same folder is left out: where that name leads, if anywhere, is listed as its own link."""
    try:
        with os.scandir(folder) as entries:
            return [e.path for e in entries if e.is_symlink() and "/" in _target(e.path)]
    except OSError:
        return []


def _target(link: str) -> str:
    try:
        return os.readlink(link)
    except OSError:
        return "/"  # resolved as before, whatever it is


def exposures(folders: Iterable[Path], hidden: Sequence[Path]) -> list[Path]:
    """The folders to put back: those a hidden folder covers, outermost only."""
    resolved = {f.resolve() for f in dict.fromkeys(folders)}
    wanted = sorted(f for f in resolved if any(f.is_relative_to(h) for h in hidden))
    return [f for f in wanted if not any(f != g and f.is_relative_to(g) for g in wanted)]


def _namespaces(*, network: bool) -> list[str]:
    # no --die-with-parent: it fires when the thread that started the sandbox ends, and the sandbox outlives
    # it; the fork server ends when the worker's end of its socket closes, and the whole sandbox with it
    args = ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if not as_root():
        args += ["--unshare-user", "--uid", str(os.geteuid()), "--gid", str(os.getegid())]
    if not network:
        args.append("--unshare-net")
    return args


def sandbox_command(policy: Policy, hidden: Sequence[Path], exposed: Sequence[Path], resolv: Path | None) -> list[str]:
    """bubblewrap's command for a sandbox, ending with `--` (the fork server's command follows). `{info}` is
    left for the number of the pipe it reports its first process on."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise RunnerError(f"script tasks run in a sandbox, which needs bubblewrap: {INSTALL_HINT}")
    network = effective_network(policy)
    args = [bwrap, *_namespaces(network=network == "host"), "--cap-add", "ALL", "--info-fd", "{info}",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for path in hidden:
        args += ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
    for folder in exposed:
        cover = max((h for h in hidden if folder.is_relative_to(h)), key=lambda h: len(h.parts), default=None)
        if cover is not None:  # folders on the way are made searchable (bubblewrap would make them private)
            way = [a for a in folder.parents if a.is_relative_to(cover) and a != cover]
            for ancestor in reversed(way):
                args += ["--perms", "0755", "--dir", str(ancestor)]
        args += ["--ro-bind", str(folder), str(folder)]
    for path in hidden:  # hidden again where a put-back folder holds it
        if any(path.is_relative_to(e) for e in exposed):
            args += ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
    root = policy.work_root.resolve()
    if not any(root.is_relative_to(h) for h in hidden):
        args += ["--tmpfs", str(root)]  # other runs' working dirs: each command mounts its own over it
    args += ["--bind", str(root), "/run/legato/work"]
    if resolv is not None:
        args += ["--ro-bind", str(resolv), "/etc/resolv.conf"]
    for path in hidden:  # read-only: no folder shared by the sandbox's commands is writable
        if path.is_dir() and path != Path("/run"):
            args += ["--remount-ro", str(path)]
    return [*args, "--chdir", "/", "--"]


def resolv_conf(directory: Path) -> Path:
    """A resolv.conf naming slirp4netns's DNS forwarder (the host's may name a loopback resolver)."""
    path = directory / "resolv.conf"
    if not path.exists():
        path.write_text(f"nameserver {_SLIRP_DNS}\n")
        path.chmod(0o644)
    return path


def slirp_command(pid: int, ready_fd: int, exit_fd: int) -> list[str]:
    """slirp4netns giving the sandbox of process `pid` outbound access, the host's loopback excluded."""
    slirp = slirp_path()
    if slirp is None:
        raise RunnerError(f"outbound network for scripts needs slirp4netns: {SLIRP_HINT}")
    return [slirp, "--configure", "--mtu=65520", "--disable-host-loopback", "--ready-fd", str(ready_fd),
            "--exit-fd", str(exit_fd), str(pid), "tap0"]
