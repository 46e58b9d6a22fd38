"""The worker's side of the fork server (`zygote.py`): a small helper process, started on first use, that
forks the commands of the process runner (and the Python files of the warm Python runner) so that the
large worker process never forks. One helper per interpreter and helper path, shared by every event loop
of the worker; a reader thread hands its replies to the loop that asked."""

from __future__ import annotations

import array
import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legato.runners.base import RunnerError
from legato.runners.environment import script_environment

ZYGOTE = Path(__file__).with_name("zygote.py")
# run from -c, not as `python zygote.py`: its folder first on sys.path would shadow the standard `select`
_BOOT = "import sys; path = sys.argv.pop(1); exec(compile(open(path).read(), path, 'exec'), {'__name__': '__main__'})"
_START_SECONDS = 15.0


class ForkServerGone(RunnerError):
    """The fork server stopped; the next command starts a new one."""


def default_interpreter() -> str:
    """The interpreter the helper runs on: LEGATO_PYTHON, else the one Legato runs on, outside any virtualenv."""
    configured = os.environ.get("LEGATO_PYTHON")
    if configured:
        return configured
    return str(Path(getattr(sys, "_base_executable", None) or sys.executable).resolve())


@dataclass
class _Pending:
    loop: asyncio.AbstractEventLoop
    started: asyncio.Future[int]
    ended: asyncio.Future[int]


class Child:
    """A command forked by the fork server: its pid (also its process group) and its exit code to come."""

    def __init__(self, pid: int, ended: asyncio.Future[int]) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._ended = ended

    async def wait(self) -> int:
        # shielded: a timeout around wait() must not lose the exit code that is still to come
        self.returncode = await asyncio.shield(self._ended)
        return self.returncode


class ForkServer:
    """One running helper process."""

    def __init__(self, interpreter: str, pythonpath: Sequence[str] = ()) -> None:
        self.interpreter = interpreter
        self.version: tuple[int, int] = (0, 0)
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = script_environment("/")
        if pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(pythonpath)
        try:
            self._proc = subprocess.Popen(
                [interpreter, "-s", "-c", _BOOT, str(ZYGOTE), str(theirs.fileno())], pass_fds=[theirs.fileno()], env=env,
                cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True,
            )
        except OSError as exc:
            self._sock.close()
            raise RunnerError(f"cannot start the fork server with {interpreter}: {exc}") from None
        finally:
            theirs.close()
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._dead = False
        self._hello = threading.Event()
        threading.Thread(target=self._read_loop, name="legato-forkserver", daemon=True).start()
        if not self._hello.wait(_START_SECONDS) or self._dead:
            self.close()
            raise RunnerError(f"the fork server did not start with {interpreter}")

    @property
    def alive(self) -> bool:
        return not self._dead

    async def spawn(self, request: Mapping[str, Any], fds: Sequence[int]) -> Child:
        """Fork one command (`request`: mode, cwd, env, and argv or script) with `fds` as its stdout, stderr
        and optional Landlock ruleset. The caller keeps its own copies of `fds` and closes them."""
        loop = asyncio.get_running_loop()
        pending = _Pending(loop, loop.create_future(), loop.create_future())
        with self._lock:
            if self._dead:
                raise ForkServerGone("the fork server has stopped")
            ident = next(self._ids)
            self._pending[ident] = pending
            data = json.dumps({**request, "id": ident}).encode()
            frame = struct.pack("!I", len(data)) + data
            try:
                sent = self._sock.sendmsg([frame], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
                if sent < len(frame):
                    self._sock.sendall(frame[sent:])
            except OSError as exc:
                self._pending.pop(ident, None)
                raise ForkServerGone(f"the fork server has stopped: {exc}") from None
        try:
            pid = await asyncio.shield(pending.started)
        except asyncio.CancelledError:
            pending.started.add_done_callback(_kill_when_started)
            raise
        return Child(pid, pending.ended)

    def close(self) -> None:
        """Stop the helper (it kills what it still runs when its socket closes)."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(2)

    def _read_loop(self) -> None:
        buffer = b""
        try:
            while chunk := self._sock.recv(1 << 16):
                buffer += chunk
                while len(buffer) >= 4:
                    (length,) = struct.unpack("!I", buffer[:4])
                    if len(buffer) < 4 + length:
                        break
                    self._dispatch(json.loads(buffer[4:4 + length]))
                    buffer = buffer[4 + length:]
        except OSError:
            pass
        self._gone()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "hello" in message:
            self.version = tuple(message["hello"]["version"])
            self._hello.set()
            return
        with self._lock:
            pending = self._pending.get(message["id"])
            if "exit" in message:
                self._pending.pop(message["id"], None)
        if pending is None:
            return
        if "pid" in message:
            _resolve(pending.loop, pending.started, message["pid"])
        elif "exit" in message:
            _resolve(pending.loop, pending.ended, message["exit"])

    def _gone(self) -> None:
        with self._lock:
            self._dead = True
            pending, self._pending = self._pending, {}
        self._hello.set()
        for entry in pending.values():
            for future in (entry.started, entry.ended):
                _resolve(entry.loop, future, ForkServerGone("the fork server stopped while a command was running"))


def _resolve(loop: asyncio.AbstractEventLoop, future: asyncio.Future[int], value: int | BaseException) -> None:
    def settle() -> None:
        if future.done():
            return
        if isinstance(value, BaseException):
            future.set_exception(value)
        else:
            future.set_result(value)

    with contextlib.suppress(RuntimeError):  # the loop that asked has closed: nobody is waiting any more
        loop.call_soon_threadsafe(settle)


def _kill_when_started(future: asyncio.Future[int]) -> None:
    """A command whose caller was cancelled before it started dies as soon as it has a pid."""
    if not future.cancelled() and future.exception() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(future.result(), signal.SIGKILL)


_servers: dict[tuple[str, tuple[str, ...]], ForkServer] = {}
_servers_lock = threading.Lock()


def shared(interpreter: str | None = None, pythonpath: Sequence[str] = ()) -> ForkServer:
    """The running fork server for `interpreter` and `pythonpath`, started (or restarted) when needed."""
    key = (interpreter or default_interpreter(), tuple(pythonpath))
    with _servers_lock:
        server = _servers.get(key)
        if server is None or not server.alive:
            server = _servers[key] = ForkServer(*key)
        return server


def started(interpreter: str | None = None, pythonpath: Sequence[str] = ()) -> bool:
    """Whether that fork server is already running (so that `shared` will not block)."""
    server = _servers.get((interpreter or default_interpreter(), tuple(pythonpath)))
    return server is not None and server.alive
