"""The `process` runner: the command runs as a child process of the worker, in its own process group, in a
fresh working directory, with an allow-listed environment. Folders given as hidden (the data dir) are made
unreadable with Landlock where the kernel has it. Landlock must be applied between fork and exec, which
rules out vfork; so that the large worker never forks, such commands are forked by a small fork server
(`legato.runners.forkserver`), and only commands with nothing to hide are spawned from the worker."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from legato.runners import forkserver, landlock
from legato.runners.base import CommandSpec, CommandTimedOut, LineSink, RunnerError
from legato.runners.environment import with_helpers, with_path_prefix

log = logging.getLogger("legato.runners")

_CHUNK = 1 << 16
_MAX_LINE = 1 << 24  # a longer line is cut into pieces rather than held in memory without bound
_DRAIN_SECONDS = 2.0  # after exit, how long a pipe held open by an escaped grandchild may delay the result


class ProcessRunner:
    """Runs commands as local child processes."""

    name = "process"

    def __init__(self, *, hidden: Sequence[Path] = (), kill_grace: float = 1.0, require_hiding: bool = False) -> None:
        self.hidden = tuple(hidden)
        self.kill_grace = kill_grace
        self.require_hiding = require_hiding
        self._landlock = landlock.abi_version() > 0

    def visible_workdir(self, workdir: Path) -> str:
        return str(workdir)

    def command(self, spec: CommandSpec) -> list[str]:
        """The argv actually started (the sandbox runner wraps it)."""
        return list(spec.argv)

    def environment(self, spec: CommandSpec) -> dict[str, str]:
        return with_helpers(with_path_prefix(spec.env, spec.path_prefix), spec.helpers)

    async def run(self, spec: CommandSpec, on_line: LineSink) -> int:
        private = _private_tmp(spec, self.hidden) if self._landlock and self.hidden else None
        try:
            if private is not None:
                spec = dataclasses.replace(spec, env={**spec.env, "TMPDIR": str(private)})
            ruleset = self._ruleset()  # after the private temp dir exists: it is granted with the rest
            if ruleset is None:
                return await self._run_direct(spec, on_line, None)
            try:
                server = await _fork_server()
                if server is None:
                    return await self._run_direct(spec, on_line, ruleset)
                request = {"mode": "exec", "argv": self.command(spec), "cwd": str(spec.workdir), "env": self.environment(spec)}
                return await self.run_forked(server, request, spec, on_line, ruleset)
            finally:
                os.close(ruleset)
        finally:
            if private is not None:
                await asyncio.to_thread(shutil.rmtree, private, True)

    async def run_forked(self, server: forkserver.ForkServer, request: dict[str, Any], spec: CommandSpec,
                         on_line: LineSink, ruleset: int | None) -> int:
        """Run `request` through the fork server, with the same streaming, timeout and kill as a direct child."""
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        try:
            child = await server.spawn(request, [out_w, err_w] if ruleset is None else [out_w, err_w, ruleset])
        except BaseException:
            os.close(out_r)
            os.close(err_r)
            raise
        finally:
            os.close(out_w)
            os.close(err_w)
        stdout, stderr = await _stream(out_r), await _stream(err_r)
        return await self._supervise(child, asyncio.gather(_pump(stdout, False, on_line), _pump(stderr, True, on_line)), spec)

    async def _run_direct(self, spec: CommandSpec, on_line: LineSink, ruleset: int | None) -> int:
        proc = await asyncio.create_subprocess_exec(
            *self.command(spec), cwd=spec.workdir, env=self.environment(spec),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True, preexec_fn=_restricter(ruleset),
        )
        assert proc.stdout is not None and proc.stderr is not None
        return await self._supervise(proc, asyncio.gather(_pump(proc.stdout, False, on_line), _pump(proc.stderr, True, on_line)), spec)

    async def _supervise(self, proc: _Child, readers: asyncio.Future[Any], spec: CommandSpec) -> int:
        try:
            code = await asyncio.wait_for(proc.wait(), spec.timeout)
        except TimeoutError:
            await asyncio.shield(self._kill(proc))
            await _settle(readers)
            raise CommandTimedOut(spec.timeout or 0) from None
        except BaseException:
            await asyncio.shield(self._kill(proc))
            await _settle(readers)
            raise
        # whatever the command left running in its group dies with it
        _signal(proc, signal.SIGKILL)
        await _settle(readers)
        return code

    def _ruleset(self) -> int | None:
        if not self.hidden:
            return None
        if not self._landlock:
            if self.require_hiding:
                raise OSError("this kernel has no Landlock, so the process runner cannot hide the data dir")
            return None
        return _cached_ruleset(self.hidden)

    async def _kill(self, proc: _Child) -> None:
        """TERM the whole group, then KILL what is still there after the grace period."""
        _signal(proc, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), self.kill_grace)
        _signal(proc, signal.SIGKILL)
        await proc.wait()


class _Child(Protocol):
    """A started command: an asyncio subprocess, or a child of the fork server."""

    pid: int

    async def wait(self) -> int: ...


_rulesets: dict[tuple[Path, ...], tuple[tuple[object, ...], int]] = {}
_rulesets_lock = threading.Lock()
_no_fork_server = False


def _cached_ruleset(hidden: tuple[Path, ...]) -> int | None:
    """A ruleset hiding `hidden` (a duplicate descriptor the caller closes), rebuilt only when the folders
    on the way to a hidden one have changed."""
    mark = landlock.fingerprint(hidden)
    with _rulesets_lock:
        cached = _rulesets.get(hidden)
        if cached is None or cached[0] != mark:
            fd = landlock.build_ruleset(hidden)
            if fd is None:
                return None
            if cached is not None:
                os.close(cached[1])
            cached = _rulesets[hidden] = (mark, fd)
        return os.dup(cached[1])


async def _fork_server() -> forkserver.ForkServer | None:
    """The shared fork server, or None (fork from the worker instead) when it cannot start here."""
    global _no_fork_server
    if _no_fork_server:
        return None
    try:
        if forkserver.started():
            return forkserver.shared()
        return await asyncio.to_thread(forkserver.shared)
    except RunnerError as exc:
        _no_fork_server = True
        log.warning("%s; commands are forked from the worker instead, which is slower", exc)
        return None


async def _stream(fd: int) -> asyncio.StreamReader:
    """An asyncio reader over the read end of a pipe (closed with the transport)."""
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0))
    return reader


def _private_tmp(spec: CommandSpec, hidden: Sequence[Path]) -> Path | None:
    """A fresh temp dir for the command when its temp dir is on the way to a hidden folder, else None.

    Landlock grants what existed beside that way when the ruleset was built, so a folder the command makes in
    such a temp dir (Go's build dir, R's session dir, `mktemp -d`) would be unreadable to the command itself.
    A folder made beside the way before the ruleset is built is granted; the caller removes it after the run."""
    temp = Path(spec.env.get("TMPDIR") or tempfile.gettempdir()).resolve()
    if not any(p.resolve().is_relative_to(temp) for p in hidden):
        return None
    return Path(tempfile.mkdtemp(prefix="legato-tmp-", dir=temp))


def _restricter(ruleset: int | None) -> Callable[[], None] | None:
    if ruleset is None:
        return None
    return lambda: landlock.restrict_self(ruleset)


def _signal(proc: _Child, sig: signal.Signals) -> None:
    """Signal the command's process group: directly, or through the fork server that started it."""
    group = getattr(proc, "signal_group", None)
    if group is not None:
        group(sig)
    else:
        _signal_group(proc.pid, sig)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def _settle(readers: asyncio.Future[Any]) -> None:
    """Let the readers reach end of file; give up on a pipe an escaped process keeps open."""
    try:
        await asyncio.wait_for(asyncio.shield(readers), _DRAIN_SECONDS)
    except TimeoutError:
        readers.cancel()
        log.warning("a process outside the task's process group kept its output open; stopped reading it")
    except asyncio.CancelledError:
        readers.cancel()
        raise


async def _pump(stream: asyncio.StreamReader, is_stderr: bool, on_line: LineSink) -> None:
    """Hand every line of `stream` to `on_line` as it arrives (split on \\n, \\r\\n, or at _MAX_LINE bytes)."""
    pending = b""
    while chunk := await stream.read(_CHUNK):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            on_line(_text(line), is_stderr)
        while len(pending) >= _MAX_LINE:
            on_line(_text(pending[:_MAX_LINE]), is_stderr)
            pending = pending[_MAX_LINE:]
    if pending:
        on_line(_text(pending), is_stderr)


def _text(raw: bytes) -> str:
    return raw.removesuffix(b"\r").decode("utf-8", errors="replace")
