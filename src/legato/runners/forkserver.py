"""The worker's side of the fork server (`zygote.py`): a small helper process, started on first use, that
forks the commands of the process runner (and the Python files of the warm Python runner) so that the
large worker process never forks. One helper per interpreter and helper path, shared by every event loop
of the worker; a reader thread hands its replies to the loop that asked. `legato.runners.isolated` starts
more of them, each inside a namespace's sandbox (`Launch`)."""

from __future__ import annotations

import array
import asyncio
import contextlib
import functools
import itertools
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legato.runners.base import RunnerError
from legato.runners.environment import script_environment

ZYGOTE = Path(__file__).with_name("zygote.py")
CONFINE = Path(__file__).with_name("confine.py")
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
    return _resolved(getattr(sys, "_base_executable", None) or sys.executable)


@functools.cache
def _resolved(path: str) -> str:
    """`path` with its links resolved (once per process: every script task's runner asks)."""
    return str(Path(path).resolve())


@dataclass(frozen=True)
class Launch:
    """How to start a fork server inside a sandbox: `argv` runs the interpreter in it (bubblewrap's command
    ending with `--`), with `{info}` standing for the number of the pipe bubblewrap reports the sandbox's
    first process on; `user` is the uid to start it as (None: the worker's); `network` is called with that
    process's pid once known and returns what to stop with the sandbox (its network helper), after the
    network is up."""

    argv: Sequence[str]
    user: int | None = None
    network: Callable[[int], subprocess.Popen[bytes]] | None = None
    environ: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _Pending:
    loop: asyncio.AbstractEventLoop
    started: asyncio.Future[int]
    ended: asyncio.Future[int]


class Child:
    """A command forked by the fork server: its pid (also its process group) and its exit code to come."""

    def __init__(self, pid: int, ended: asyncio.Future[int], server: ForkServer, ident: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._ended = ended
        self._server = server
        self._ident = ident

    def signal_group(self, number: int) -> None:
        """Signal the command's process group (through the fork server when it runs in a sandbox, whose PID
        namespace the worker cannot name processes in)."""
        if self._server.confined:
            self._server.signal(self._ident, number)
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, number)

    async def wait(self) -> int:
        # shielded: a timeout around wait() must not lose the exit code that is still to come
        self.returncode = await asyncio.shield(self._ended)
        return self.returncode


class ForkServer:
    """One running helper process."""

    def __init__(self, interpreter: str, pythonpath: Sequence[str] = (), launch: Launch | None = None) -> None:
        self.interpreter = interpreter
        self.version: tuple[int, int] = (0, 0)
        self.confined = launch is not None
        self.last_used = 0.0  # time.monotonic() of the last command (the sandbox pool stops idle ones)
        self._network: subprocess.Popen[bytes] | None = None
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = script_environment("/")
        if pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(pythonpath)
        argv = [interpreter, "-s", "-c", _BOOT, str(ZYGOTE), str(theirs.fileno())]
        info_r = info_w = -1
        if launch is not None:
            env.update(launch.environ)
            info_r, info_w = os.pipe()
            prefix = [a.replace("{info}", str(info_w)) for a in launch.argv]
            argv = [*prefix, *argv, json.dumps({"module": str(CONFINE)})]
        try:
            self._proc = subprocess.Popen(
                argv, pass_fds=[theirs.fileno()] + ([info_w] if launch else []), env=env, cwd="/",
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True,
                user=launch.user if launch else None, group=launch.user if launch else None,
                extra_groups=[] if launch and launch.user is not None else None,
            )
        except OSError as exc:
            self._sock.close()
            raise RunnerError(f"cannot start the fork server with {argv[0]}: {exc}") from None
        finally:
            theirs.close()
            if info_w >= 0:
                os.close(info_w)
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._dead = False
        self._hello = threading.Event()
        threading.Thread(target=self._read_loop, name="legato-forkserver", daemon=True).start()
        try:
            pid = self._sandbox_pid(info_r) if launch is not None else 0
            if not self._hello.wait(_START_SECONDS) or self._dead:
                raise RunnerError(f"the fork server did not start with {interpreter}{self._stderr()}")
            # only now: bubblewrap sets up the loopback before it starts the fork server, and two
            # configurations of one network namespace at once fail
            if launch is not None and launch.network is not None:
                self._network = launch.network(pid)
        except BaseException:
            self.close()
            raise

    def _sandbox_pid(self, info: int) -> int:
        """The pid of the sandbox's first process, which bubblewrap reports on the `info` pipe."""
        report = b""
        with os.fdopen(info, "rb", buffering=0) as stream:
            while b"}" not in report and (chunk := stream.read(4096)):  # a small JSON object over a few lines
                report += chunk
        try:
            return int(json.loads(report)["child-pid"])
        except (ValueError, KeyError, TypeError):
            raise RunnerError(f"the sandbox did not start{self._stderr()}") from None

    def _stderr(self) -> str:
        """The helper's exit, said when it failed to start."""
        code = self._proc.poll()
        return "" if code is None else f" (it exited with status {code})"

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
            pending.started.add_done_callback(lambda _: self.signal(ident, signal.SIGKILL))
            raise
        return Child(pid, pending.ended, self, ident)

    def signal(self, ident: int, number: int) -> None:
        """Signal the process group of command `ident` (from any thread; nothing happens once it has ended)."""
        if not self.confined:
            with self._lock:
                pending = self._pending.get(ident)
            started = pending.started if pending is not None else None
            if started is not None and started.done() and not started.cancelled() and started.exception() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(started.result(), number)
            return
        data = json.dumps({"signal": ident, "number": int(number)}).encode()
        with self._lock, contextlib.suppress(OSError):
            # once its exit is known the server has killed its group already (and would find no such command)
            if not self._dead and ident in self._pending:
                self._sock.sendall(struct.pack("!I", len(data)) + data)

    def close(self) -> None:
        """Stop the helper (it kills what it still runs when its socket closes)."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(2)
        if self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        if self._network is not None:
            self._network.kill()
            self._network.wait()

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
