"""The `sandbox` runner: the process runner's command wrapped in bubblewrap. The system is mounted read-only,
the working dir is the only writable host folder, /tmp is private, the data dir is replaced by an empty
folder, the command sees only its own processes, and the network is off unless asked for."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from legato.runners.base import CommandSpec, LineSink, RunnerError
from legato.runners.process import ProcessRunner

INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)"


def bwrap_path() -> str | None:
    """Where bubblewrap is, or None when it is not installed."""
    return shutil.which("bwrap")


class SandboxRunner(ProcessRunner):
    """Runs commands under bubblewrap (`bwrap`)."""

    name = "sandbox"

    def __init__(self, *, hidden: Sequence[Path] = (), network: bool = False, kill_grace: float = 1.0,
                 bwrap: str | None = None) -> None:
        super().__init__(hidden=(), kill_grace=kill_grace)
        self.hidden_in_sandbox = tuple(hidden)
        self.network = network
        self.bwrap = bwrap or bwrap_path()

    async def run(self, spec: CommandSpec, on_line: LineSink) -> int:
        if self.bwrap is None:
            raise RunnerError(f"the sandbox runner needs bubblewrap, which is not installed on this worker: {INSTALL_HINT}")
        return await super().run(spec, on_line)

    def command(self, spec: CommandSpec) -> list[str]:
        assert self.bwrap is not None
        workdir = str(spec.workdir)
        args = [
            self.bwrap, "--die-with-parent", "--new-session",
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--cap-drop", "ALL",
            "--ro-bind", "/", "/",
            "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",  # noqa: S108 - a fresh private /tmp inside the sandbox
        ]
        for path in self.hidden_in_sandbox:
            args += _hide(path)
        # tools the command needs (interpreter shims, cached virtualenvs, helpers) may sit under /tmp
        # or the data dir; put them back, read-only
        for folder in [*spec.path_prefix, *(f for fs in spec.helpers.values() for f in fs), *_under_tmp(spec.env)]:
            if folder.exists():
                args += ["--ro-bind", str(folder), str(folder)]
        args += ["--bind", workdir, workdir, "--chdir", workdir]
        if not self.network:
            args.append("--unshare-net")
        return [*args, "--", *spec.argv]


def _under_tmp(env: Mapping[str, str]) -> list[Path]:
    """The folders of the command's PATH that the private /tmp would hide (interpreters installed under /tmp),
    with the folders their symbolic links lead to (npm's .bin links into node_modules)."""
    tmp = Path("/tmp")  # noqa: S108 - the sandbox's private /tmp hides the host's
    folders: dict[Path, None] = {}
    for entry in env.get("PATH", "").split(os.pathsep):
        folder = Path(entry)
        if not entry or tmp not in folder.parents or not folder.is_dir():
            continue
        folders[folder] = None
        for item in folder.iterdir():
            target = item.resolve()
            if item.is_symlink() and tmp in target.parents:
                folders[target.parent] = None
    return list(folders)


def _hide(path: Path) -> list[str]:
    resolved = path.resolve()
    if resolved.is_dir():
        return ["--tmpfs", str(resolved)]
    if resolved.exists():
        return ["--ro-bind", "/dev/null", str(resolved)]
    return []
