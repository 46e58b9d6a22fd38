"""Run computations that cannot be interrupted in-thread (jq programs, backtracking regexes) in a child process
that is killed when its caller's deadline passes.

A jq program or a regex on a backtracking engine runs in C: no deadline check can stop it, and it holds the
GIL, so in a thread it would freeze the whole server. Here it runs in a small pool of child processes
(legato/offload_child.py), each with its own address-space cap. A request that overruns its deadline gets
its child SIGKILLed (the next request starts a fresh one); a child that dies of its memory cap is reported as
such. Waiting for a child releases the GIL, so the server's other threads keep answering meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

CHILD = Path(__file__).with_name("offload_child.py")
_HEADER = struct.Struct(">I")
MAX_CHILDREN = 4  # children running at once per process; more callers wait (on their own deadline)
MAX_IDLE = 2  # children kept for the next calls (each holds ~20 MB)
CHILD_MEMORY = 512 * 1024 * 1024  # address space of one child


class OffloadError(Exception):
    """The computation failed; `limit` names the limit it hit (time, memory, size, depth), or is None."""

    def __init__(self, message: str, limit: str | None = None, invalid: bool = False) -> None:
        self.limit = limit
        self.invalid = invalid  # the program or pattern itself is wrong (not its run)
        super().__init__(message)


class _Child:
    def __init__(self) -> None:
        # -I: no environment variables, no user site, no current directory on the path; and no
        # environment at all, so nothing of the server's (database URL, keys) is there to be read.
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(CHILD), str(CHILD_MEMORY)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={},
            close_fds=True, start_new_session=True)

    def call(self, request: bytes, deadline: float) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._write(_HEADER.pack(len(request)) + request, deadline)
        header = self._read(_HEADER.size, deadline)
        answer: dict[str, Any] = json.loads(self._read(_HEADER.unpack(header)[0], deadline))
        return answer

    def _write(self, data: bytes, deadline: float) -> None:
        fd = self.proc.stdin.fileno()  # type: ignore[union-attr]
        view = memoryview(data)
        while view:
            _wait(fd, deadline, write=True)
            try:
                written = os.write(fd, view[:65536])
            except BrokenPipeError:
                raise _Died() from None
            view = view[written:]

    def _read(self, n: int, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        chunks, left = [], n
        while left:
            _wait(fd, deadline, write=False)
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise _Died()
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


class _Died(Exception):
    pass


class _Timeout(Exception):
    pass


def _wait(fd: int, deadline: float, *, write: bool) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Timeout()
    ready = select.select([], [fd], [], left) if write else select.select([fd], [], [], left)
    if not (ready[1] if write else ready[0]):
        raise _Timeout()


class Pool:
    """Children kept between calls, at most MAX_CHILDREN busy at once."""

    def __init__(self, size: int = MAX_CHILDREN) -> None:
        self.size = size
        self.idle: list[_Child] = []
        self.busy = 0
        self.cond = threading.Condition()

    def run(self, request: dict[str, Any], deadline: float) -> Any:
        """The `ok` value of the child's answer; OffloadError naming the limit if it did not finish."""
        data = json.dumps(request, ensure_ascii=False).encode()
        child = self._take(deadline)
        healthy = False
        try:
            answer = child.call(data, deadline)
            healthy = True
        except _Timeout:
            raise OffloadError("ran past the time limit", "time") from None
        except _Died:
            raise OffloadError(f"ran out of its memory limit of {CHILD_MEMORY // (1024 * 1024)} MB",
                               "memory") from None
        finally:
            self._give(child, healthy)
        if "error" in answer:
            raise OffloadError(str(answer["error"]), answer.get("limit"), bool(answer.get("invalid")))
        return answer["ok"]

    def _take(self, deadline: float) -> _Child:
        with self.cond:
            while self.busy >= self.size:
                left = deadline - time.monotonic()
                if left <= 0 or not self.cond.wait(left):
                    raise OffloadError("waited past the time limit for a free jq/regex process", "time")
            self.busy += 1
            if self.idle:
                return self.idle.pop()
        try:
            return _Child()
        except BaseException:
            with self.cond:
                self.busy -= 1
                self.cond.notify()
            raise

    def _give(self, child: _Child, healthy: bool) -> None:
        if not healthy:
            child.kill()  # mid-request: its state is unknown, and it may be spinning
        with self.cond:
            self.busy -= 1
            if healthy and len(self.idle) < MAX_IDLE:
                self.idle.append(child)
                child = None  # type: ignore[assignment]
            self.cond.notify()
        if healthy and child is not None:
            child.kill()  # more idle children than needed

    def close(self) -> None:
        with self.cond:
            idle, self.idle = self.idle, []
        for child in idle:
            child.kill()


_pool = Pool()


def run(request: dict[str, Any], deadline: float) -> Any:
    """Run `request` ({"kind": "jq" | "regex", ...}, see offload_child) in a child, by `deadline`
    (time.monotonic()); OffloadError if it fails or does not finish in time."""
    return _pool.run(request, deadline)
