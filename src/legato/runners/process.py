"""The `process` runner: the command runs as a child process of the worker, in its own process group, in a
fresh working directory, with an allow-listed environment. Folders given as hidden (the data dir) are made
unreadable with Landlock where the kernel has it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from legato.runners import landlock
from legato.runners.base import CommandSpec, CommandTimedOut, LineSink
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
        ruleset = self._ruleset()
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.command(spec), cwd=spec.workdir, env=self.environment(spec),
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                start_new_session=True, preexec_fn=_restricter(ruleset),
            )
        finally:
            if ruleset is not None:
                os.close(ruleset)
        assert proc.stdout is not None and proc.stderr is not None
        readers = asyncio.gather(_pump(proc.stdout, False, on_line), _pump(proc.stderr, True, on_line))
        try:
            await asyncio.wait_for(proc.wait(), spec.timeout)
        except TimeoutError:
            await asyncio.shield(self._kill(proc))
            await _settle(readers)
            raise CommandTimedOut(spec.timeout or 0) from None
        except BaseException:
            await asyncio.shield(self._kill(proc))
            await _settle(readers)
            raise
        # whatever the command left running in its group dies with it
        _signal_group(proc.pid, signal.SIGKILL)
        await _settle(readers)
        assert proc.returncode is not None
        return proc.returncode

    def _ruleset(self) -> int | None:
        if not self.hidden:
            return None
        if not self._landlock:
            if self.require_hiding:
                raise OSError("this kernel has no Landlock, so the process runner cannot hide the data dir")
            return None
        return landlock.build_ruleset(self.hidden)

    async def _kill(self, proc: asyncio.subprocess.Process) -> None:
        """TERM the whole group, then KILL what is still there after the grace period."""
        _signal_group(proc.pid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), self.kill_grace)
        _signal_group(proc.pid, signal.SIGKILL)
        await proc.wait()


def _restricter(ruleset: int | None) -> Callable[[], None] | None:
    if ruleset is None:
        return None
    return lambda: landlock.restrict_self(ruleset)


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
