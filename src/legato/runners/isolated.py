"""The default runner: every command of a script task runs isolated in its namespace's sandbox.

A sandbox (`legato.runners.isolation`) is started on the first command of a namespace and kept warm: it
holds a fork server (`zygote.py`) that forks each command, confines it (`confine.py`: its own mounts with
only its own working dir, no privileges, a uid of its own where the server runs as root, a Landlock domain
of its own), then execs it or, for `python <file>.py` under `python-warm`, runs it in the forked
interpreter. So a task pays a fork and a few mounts, not a sandbox start. Sandboxes are never shared between
namespaces, stop after a while unused, and their number is bounded (the least recently used idle one goes).

A worker also keeps one spare sandbox started ahead (`Sandboxes.prepare`), for no namespace yet: the next
namespace whose sandbox is not running takes it rather than waiting ~0.1 s for a start, and another spare is
started behind it once the worker's commands pause (a start takes ~0.1 s of CPU the flow that took the spare
would otherwise wait for), at the latest a few seconds later, or at once when another namespace asks for it.
Nothing runs in a spare before a namespace takes it, so none is ever shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legato.runners import forkserver, isolation
from legato.runners.base import CommandSpec, LineSink, RunnerError
from legato.runners.process import ProcessRunner
from legato.runners.warm import _virtualenv_site, python_entry

_NETWORK_START_SECONDS = 10.0
_TMP = Path("/tmp")  # noqa: S108 - each command's /tmp is its own
_PLACED_MAX = 4096  # paths whose placement a pool remembers
_REFILL_IDLE_SECONDS = 0.5  # a spare is started behind a taken one once no command has started for this long,
_REFILL_LATEST_SECONDS = 5.0  # or this long after it was taken at the latest



@dataclass(frozen=True)
class SandboxKey:
    """What makes two commands able to share a sandbox: the same namespace, interpreter, helper path and
    extra folders shown."""

    namespace: str
    interpreter: str
    pythonpath: tuple[str, ...]
    extra: tuple[Path, ...]

    @property
    def shape(self) -> tuple[str, tuple[str, ...], tuple[Path, ...]]:
        """All but the namespace: what a sandbox is started with (a spare fits any namespace of its shape)."""
        return self.interpreter, self.pythonpath, self.extra


_Shape = tuple[str, tuple[str, ...], tuple[Path, ...]]


class _Spare:
    """A spare sandbox being started (or waiting to be: `now` says to start it without waiting for a pause)."""

    def __init__(self) -> None:
        self.future: Future[forkserver.ForkServer] = Future()
        self.now = threading.Event()
        self.cancelled = False

    def cancel(self) -> None:
        """Never start it if it has not started; stop it once started if it has."""
        self.cancelled = True
        self.now.set()
        self.future.add_done_callback(_close_started)


class Sandboxes:
    """The worker's sandboxes, one per key, started on demand."""

    def __init__(self, policy: isolation.Policy) -> None:
        self.policy = policy
        self.hidden = isolation.hidden_paths(policy)
        self._lock = threading.Lock()
        self._running: dict[SandboxKey, forkserver.ForkServer] = {}
        self._uids = itertools.count()
        self._exposed: dict[tuple[str, tuple[Path, ...]], list[Path]] = {}
        self._exposing = threading.Lock()
        self._placed: dict[tuple[str, Path], tuple[Path, bool]] = {}
        self._private = Path(tempfile.mkdtemp(prefix="legato-sandboxes-"))
        os.chmod(self._private, 0o755)  # noqa: S103 - the resolv.conf in it is bound into sandboxes run under other uids
        self._prepared: dict[_Shape, int] = {}  # shapes kept with a spare sandbox -> how many workers asked
        self._spares: dict[_Shape, _Spare] = {}
        self._last_command = time.monotonic()

    def exposed(self, interpreter: str, extra: Sequence[Path] = ()) -> list[Path]:
        """The folders a sandbox for `interpreter` puts back (worked out once: it reads every PATH folder)."""
        key = (interpreter, tuple(extra))
        found = self._exposed.get(key)
        if found is None:
            with self._exposing:  # a task asking while the spare's start works it out waits for that
                found = self._exposed.get(key)
                if found is None:
                    folders = [*isolation.tool_folders(interpreter, os.environ), *extra]
                    found = self._exposed[key] = isolation.exposures(folders, self.hidden)
        return found

    def placement(self, interpreter: str, path: Path) -> tuple[Path, bool] | None:
        """`path` resolved and whether a sandbox for `interpreter` shows it; None while it does not exist.
        Remembered once it exists (tool folders, helpers and virtualenvs stay where they are): every task asks."""
        key = (interpreter, path)
        found = self._placed.get(key)
        if found is None and path.exists():
            if len(self._placed) >= _PLACED_MAX:
                self._placed.clear()
            real = path.resolve()
            found = self._placed[key] = (real, isolation.visible(real, self.hidden, self.exposed(interpreter)))
        return found

    def server(self, key: SandboxKey) -> forkserver.ForkServer:
        """The running fork server of `key`'s sandbox: a spare one, or started (or restarted) when needed."""
        with self._lock:
            self._last_command = time.monotonic()
            server = self._running.get(key)
            if server is None or not server.alive:
                self._evict()
                server = self._running[key] = self._take_spare(key.shape) or self._start(key)
                if key.shape in self._prepared:
                    self._refill(key.shape, deferred=True)
            server.last_used = time.monotonic()
            return server

    def prepare(self, interpreter: str, pythonpath: tuple[str, ...] = ()) -> None:
        """Keep a spare sandbox for commands of `interpreter` with helpers on `pythonpath` from now on (one is
        started now, in the background): a worker calls this once it starts, for its default runner."""
        shape: _Shape = (interpreter, pythonpath, ())
        with self._lock:
            self._prepared[shape] = self._prepared.get(shape, 0) + 1
            self._refill(shape)

    def release(self, interpreter: str, pythonpath: tuple[str, ...] = ()) -> None:
        """Undo a `prepare` (a worker stopping): the spare stops once no worker of this process wants it."""
        shape: _Shape = (interpreter, pythonpath, ())
        with self._lock:
            wanted = self._prepared.get(shape, 0) - 1
            if wanted > 0:
                self._prepared[shape] = wanted
                return
            self._prepared.pop(shape, None)
            spare = self._spares.pop(shape, None)
        if spare is not None:
            spare.cancel()

    def spares_ready(self, timeout: float) -> bool:
        """Wait until every spare asked for has started (a worker that has finished starting): True if so."""
        deadline = time.monotonic() + timeout
        for spare in list(self._spares.values()):
            spare.now.set()
            try:
                spare.future.exception(max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return False
        return True

    def _refill(self, shape: _Shape, *, deferred: bool = False) -> None:
        """Start a spare of `shape` in a thread of its own, unless one is there (under the lock); `deferred`, once
        the worker's commands pause (see the module's docstring)."""
        if shape in self._spares:
            return
        spare = self._spares[shape] = _Spare()
        if not deferred:
            spare.now.set()

        def start() -> None:
            latest = time.monotonic() + _REFILL_LATEST_SECONDS
            while not spare.now.is_set():
                now = time.monotonic()
                wait = min(self._last_command + _REFILL_IDLE_SECONDS, latest) - now
                if wait <= 0:
                    break
                spare.now.wait(wait)
            if spare.cancelled:
                spare.future.set_exception(RunnerError("the spare sandbox was released before it started"))
                return
            try:
                spare.future.set_result(self._start(SandboxKey("", *shape)))
            except BaseException as exc:  # said by the start a namespace then makes itself
                spare.future.set_exception(exc)

        threading.Thread(target=start, name="legato-spare-sandbox", daemon=True).start()

    def _take_spare(self, shape: _Shape) -> forkserver.ForkServer | None:
        """The spare of `shape` (started now if it was waiting for a pause, and waited for), or None."""
        pending = self._spares.pop(shape, None)
        if pending is None:
            return None
        pending.now.set()
        if pending.future.exception() is not None:
            return None
        spare = pending.future.result()
        if not spare.alive:
            spare.close()
            return None
        return spare

    def started(self, key: SandboxKey) -> bool:
        server = self._running.get(key)
        return server is not None and server.alive

    def run_uid(self) -> int | None:
        """A uid for the next run (the pool's next one) when running as root, else None."""
        if not isolation.as_root():
            return None
        uids = self.policy.uids
        return uids[next(self._uids) % len(uids)]

    def close(self) -> None:
        with self._lock:
            servers, self._running = list(self._running.values()), {}
            spares, self._spares = list(self._spares.values()), {}
            self._prepared.clear()
        for server in servers:
            server.close()
        for spare in spares:  # one still starting stops once started
            spare.cancel()

    def _evict(self) -> None:
        """Stop sandboxes unused for the idle time, and the least recently used beyond the bound."""
        now = time.monotonic()
        for key, server in list(self._running.items()):
            if not server.alive or now - server.last_used > self.policy.idle_seconds:
                self._running.pop(key).close()
        while len(self._running) >= self.policy.max_sandboxes:
            key = min(self._running, key=lambda k: self._running[k].last_used)
            self._running.pop(key).close()

    def _start(self, key: SandboxKey) -> forkserver.ForkServer:
        network = isolation.effective_network(self.policy)
        resolv = isolation.resolv_conf(self._private) if network == "outbound" else None
        argv = isolation.sandbox_command(self.policy, self.hidden, self.exposed(key.interpreter, key.extra), resolv)
        launch = forkserver.Launch(argv=argv, network=_slirp if network == "outbound" else None)
        return forkserver.ForkServer(key.interpreter, key.pythonpath, launch)


def _close_started(future: Future[forkserver.ForkServer]) -> None:
    if future.exception() is None:
        future.result().close()


def _slirp(pid: int) -> subprocess.Popen[bytes]:
    """slirp4netns for the sandbox of `pid`, once its network is up; it stops when the worker does."""
    ready_r, ready_w = os.pipe()
    exit_r, exit_w = os.pipe2(os.O_CLOEXEC)  # the write end stays with the worker, closed when it exits
    try:
        proc = subprocess.Popen(isolation.slirp_command(pid, ready_w, exit_r), pass_fds=[ready_w, exit_r],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    finally:
        os.close(ready_w)
        os.close(exit_r)
    _keep_open.append(exit_w)
    with os.fdopen(ready_r, "rb") as ready:
        if not _ready(ready, proc):
            proc.kill()
            said = proc.communicate()[1].decode(errors="replace").strip()
            raise RunnerError(f"the sandbox's network did not start (slirp4netns: {said or 'no answer'})")
    return proc


def _ready(stream: Any, proc: subprocess.Popen[bytes]) -> bool:
    import select

    ready, _, _ = select.select([stream], [], [], _NETWORK_START_SECONDS)
    return bool(ready) and stream.read(1) == b"1" and proc.poll() is None


_keep_open: list[int] = []  # exit pipes of network helpers: never closed while the worker lives
_shared: dict[isolation.Policy, Sandboxes] = {}
_shared_lock = threading.Lock()


def sandboxes(policy: isolation.Policy) -> Sandboxes:
    """The worker's sandboxes for `policy` (one set per process and policy)."""
    with _shared_lock:
        pool = _shared.get(policy)
        if pool is None:
            pool = _shared[policy] = Sandboxes(policy)
        return pool


class IsolatedRunner(ProcessRunner):
    """Runs commands in their namespace's sandbox; Python files forked warm when `warm`."""

    isolated = True  # nothing it runs shares writable host folders (a shared build cache, for one)

    def __init__(self, pool: Sandboxes, *, warm: bool, kill_grace: float = 1.0, interpreter: str | None = None) -> None:
        super().__init__(kill_grace=kill_grace)
        self.name = "python-warm" if warm else "process"
        self.pool = pool
        self.warm = warm
        self.interpreter = interpreter or forkserver.default_interpreter()

    async def run(self, spec: CommandSpec, on_line: LineSink) -> int:
        reason = isolation.probe()
        if reason is not None:
            raise RunnerError(f"script tasks run isolated, and {reason} (or the operator sets "
                              f"{isolation.UNSAFE_ENV}=true to run them unisolated)")
        source = self._source(spec.workdir)
        pythonpath = tuple(str(p) for p in spec.helpers.get("PYTHONPATH", ()))
        key = SandboxKey(spec.namespace or "", self.interpreter, pythonpath, self._extra(spec))
        server = self.pool.server(key) if self.pool.started(key) else await asyncio.to_thread(self.pool.server, key)
        uid = self.pool.run_uid()
        if uid is not None:
            await asyncio.to_thread(_chown_tree, spec.workdir, uid)
        request = self._request(spec, server)
        request["confine"] = {"source": source, "workdir": str(spec.workdir), "uid": uid, "gid": uid,
                              "roots": self._roots(), "keep": [str(p) for p in self._kept(key)]}
        return await self.run_forked(server, request, spec, on_line, None)

    def _request(self, spec: CommandSpec, server: forkserver.ForkServer) -> dict[str, Any]:
        entry = python_entry(spec) if self.warm else None
        site = _virtualenv_site(spec.env.get("VIRTUAL_ENV"), server.version) if entry is not None else None
        if entry is None or site is False:  # a virtualenv of another Python: only its own interpreter runs it
            return {"mode": "exec", "argv": self.command(spec), "cwd": str(spec.workdir), "env": self.environment(spec)}
        return {"mode": "python", "script": entry[0], "args": entry[1], "cwd": str(spec.workdir),
                "env": self.environment(spec), "site": [site] if site else []}

    def _source(self, workdir: Path) -> str:
        """The working dir relative to the work root the sandbox sees; it must hold no hidden folder."""
        root = self.pool.policy.work_root.resolve()
        real = workdir.resolve()
        if not real.is_relative_to(root) or real == root:
            raise RunnerError(f"the isolated runner runs commands in working dirs under {root}, not in {workdir}")
        if any(h.is_relative_to(real) for h in self.pool.hidden):
            raise RunnerError(f"the working dir {workdir} holds a folder scripts must not see")
        return str(real.relative_to(root))

    def _roots(self) -> list[str]:
        root = self.pool.policy.work_root.resolve()
        return [] if root.is_relative_to(_TMP) else [str(root)]

    def _kept(self, key: SandboxKey) -> list[Path]:
        """Folders put back under /tmp, which each command gets afresh: they are carried over."""
        return [f for f in self.pool.exposed(key.interpreter, key.extra) if f.is_relative_to(_TMP)]

    def _extra(self, spec: CommandSpec) -> tuple[Path, ...]:
        """Folders the command needs that the sandbox would not show (a virtualenv outside the cache)."""
        needed = [*spec.path_prefix, *(f for fs in spec.helpers.values() for f in fs)]
        if spec.env.get("VIRTUAL_ENV"):
            needed.append(Path(spec.env["VIRTUAL_ENV"]))
        workdir = spec.workdir.resolve()
        missing = set()
        for path in needed:
            if path.is_relative_to(spec.workdir):  # bound in with the working dir
                continue
            placed = self.pool.placement(self.interpreter, path)
            if placed is not None and not placed[1] and not placed[0].is_relative_to(workdir):
                missing.add(placed[0])
        return tuple(sorted(missing))


def _chown_tree(root: Path, uid: int) -> None:
    """Give the run's uid the working dir and what was staged in it (symbolic links themselves, not targets)."""
    os.chown(root, uid, uid)
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            with contextlib.suppress(FileNotFoundError):
                os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)
