"""Legato's fork server, run by `legato.runners.forkserver` with the number of its socket as argument.

A small, single-threaded process that forks on request, so that starting a script costs the fork of this
small process instead of the fork of the large worker (which Landlock forces: it must be applied between
fork and exec). It even forks each command's process ahead, while the previous command runs: the child waits
on a socket pair of its own for its request and descriptors, so that a command does not wait for its fork
(a millisecond or two here). Each request names a command to exec (`exec`) or a Python file to run in the forked
interpreter itself (`python`, the warm Python runner). The child always starts a new session, gets the
task's stdout/stderr pipes and environment, applies the Landlock ruleset it was sent, then runs.

Started with a second argument (JSON: the path of `confine.py`), it runs inside a namespace's sandbox (see
`legato.runners.isolated`): every child is confined by `confine.confine` with the request's `confine`
part, and since the worker cannot name processes of the sandbox's PID namespace, it asks for signals
(`{"signal": id, "number": n}`) instead of sending them.

Standard library only, and no Legato import: it runs under the scripts' interpreter and every forked child
inherits its modules. Requests come as a 4-byte length, a JSON object, and file descriptors (stdout, stderr,
and optionally a Landlock ruleset) attached with SCM_RIGHTS; replies are `{"id", "pid"}` once forked and
`{"id", "exit"}` when the child ends (a negative exit is the signal that killed it).
"""

import array
import contextlib
import ctypes
import gc
import json
import os
import runpy
import select
import signal
import socket
import struct
import sys
import traceback
from typing import Any, NoReturn

_MAX_FDS = 3
_RESTRICT_SELF = 446
_PR_SET_NO_NEW_PRIVS = 38
_libc = ctypes.CDLL(None, use_errno=True)


def _preload() -> None:
    """Modules most scripts import, so forked Python children find them loaded (pkgutil: runpy.run_path's
    own import, 1 ms of every warm run otherwise)."""
    for name in ("json", "logging", "pkgutil", "legato_helpers", "kestra"):
        with contextlib.suppress(ImportError):
            __import__(name)


class Server:
    def __init__(self, fd: int, confinement: dict[str, Any] | None = None) -> None:
        self.sock = socket.socket(fileno=fd)
        self.sock.setblocking(True)
        self.children: dict[int, int] = {}  # pid -> request id
        self.pids: dict[int, int] = {}  # request id -> pid
        self.users: dict[int, int] = {}  # pid -> the uid its run was given (confined, as root)
        self.spare: tuple[int, socket.socket] | None = None  # a child forked ahead, waiting for its request
        self.confine: Any = None
        self.ruleset: int | None = None
        if confinement is not None:
            self.confine = _load(confinement["module"])
            self.ruleset = self.confine.prepare()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode()
        self.sock.sendall(struct.pack("!I", len(data)) + data)

    def serve(self) -> dict[str, Any] | None:
        """Serve requests until the worker goes away; in a forked child, return what the child must run."""
        self.send({"hello": {"version": list(sys.version_info[:2]), "pid": os.getpid()}})
        child = self.prefork()
        if child is not None:
            return child
        while True:
            ready, _, _ = select.select([self.sock.fileno(), self.wake_r], [], [])
            if self.wake_r in ready:
                os.read(self.wake_r, 4096)
                self.reap()
            if self.sock.fileno() in ready:
                request = self.receive()
                if request is None:
                    self.shutdown()
                    return None
                if "signal" in request[0]:
                    self.signal(request[0])
                    continue
                child = self.fork(*request)
                if child is not None:
                    return child

    def receive(self) -> tuple[dict[str, Any], list[int]] | None:
        return _receive(self.sock)

    def fork(self, request: dict[str, Any], fds: list[int]) -> dict[str, Any] | None:
        """Hand the request to the child forked ahead (or fork one now), then fork the next one ahead: a fork
        costs a millisecond or two that the command then does not wait for. In the child, what it must run."""
        pid = self._hand_over(request, fds)
        if pid is None:
            pid = os.fork()
            if pid == 0:
                self.leave()
                return self.become(request, fds)
        for fd in fds:
            os.close(fd)
        self.children[pid] = request["id"]
        self.pids[request["id"]] = pid
        if request.get("confine", {}).get("uid") is not None:
            self.users[pid] = request["confine"]["uid"]
        self.send({"id": request["id"], "pid": pid})
        return self.prefork()

    def prefork(self) -> dict[str, Any] | None:
        """Fork the next command's process ahead; it waits for its request (in it: the request, once there)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            ours.close()
            self.leave()
            received = _receive(theirs)
            if received is None:  # the server stopped before giving it a request
                os._exit(0)
            theirs.close()
            return self.become(*received)
        theirs.close()
        self.spare = (pid, ours)
        return None

    def _hand_over(self, request: dict[str, Any], fds: list[int]) -> int | None:
        """The pid of the child forked ahead, given `request` and its descriptors; None when there is none."""
        if self.spare is None:
            return None
        (pid, channel), self.spare = self.spare, None
        data = json.dumps(request).encode()
        message = struct.pack("!I", len(data)) + data
        try:
            sent = channel.sendmsg([message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
            if sent < len(message):  # never an empty send: the child may have closed its end once it has all
                channel.sendall(message[sent:])
        except OSError:  # it died before it had the whole request (and so runs nothing): a fresh fork runs it
            return None
        finally:
            channel.close()
        return pid

    def signal(self, request: dict[str, Any]) -> None:
        """Signal the process group of a running request (the worker cannot name it in this PID namespace)."""
        pid = self.pids.get(request["signal"])
        if pid is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, request["number"])

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.spare is not None and pid == self.spare[0]:  # the child forked ahead died waiting
                self.spare[1].close()
                self.spare = None
                continue
            ident = self.children.pop(pid, None)
            if ident is None:
                continue  # an orphan of some run, adopted by this subreaper
            self.pids.pop(ident, None)
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)  # what the command left in its group dies with it
            uid = self.users.pop(pid, None)
            if uid is not None and uid not in self.users.values():
                self.confine.kill_user(uid, signal.SIGKILL)  # and so does what it detached
            self.send({"id": ident, "exit": os.waitstatus_to_exitcode(status)})

    def shutdown(self) -> None:
        """The worker is gone: nothing it started may outlive it (the child forked ahead ends, never given a
        request)."""
        if self.spare is not None:
            self.spare[1].close()
        for pid in self.children:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)

    def leave(self) -> None:
        """In a forked child: let go of the server's socket and signal handling (the worker must see the
        server's end when the server ends, whatever children wait)."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.close(self.sock.detach())  # detached: the object must not close a reused number later
        os.close(self.wake_r)
        os.close(self.wake_w)

    def become(self, request: dict[str, Any], fds: list[int]) -> dict[str, Any]:
        """In the forked child: take the task's session, streams, restrictions and environment."""
        os.setsid()
        stdout, stderr = fds[0], fds[1]
        os.dup2(stdout, 1)
        os.dup2(stderr, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        try:
            if self.confine is not None:
                self.confine.confine(request["confine"], self.ruleset)
            elif len(fds) > 2:
                _restrict(fds[2])
            os.closerange(3, 1 << 16)
            os.chdir(request["cwd"])
        except OSError as exc:
            _die(f"legato: cannot prepare the command: {exc}")
        env = request["env"]
        if request["mode"] == "exec":
            argv = request["argv"]
            try:
                os.execvpe(argv[0], argv, env)  # noqa: S606 - the task's own command, as the process runner runs it
            except OSError as exc:
                _die(f"legato: cannot run {argv[0]}: {exc.strerror}")
        os.environ.clear()
        os.environ.update(env)
        return request


def _receive(sock: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    """One request from `sock`: a 4-byte length, JSON, and descriptors; None at the end of the stream."""
    fds: list[int] = []
    header = _read(sock, 4, fds)
    if header is None:
        return None
    (length,) = struct.unpack("!I", header)
    payload = _read(sock, length, fds)
    if payload is None:
        return None
    return json.loads(payload), fds


def _read(sock: socket.socket, size: int, fds: list[int]) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk, ancdata, _, _ = sock.recvmsg(size - len(data), socket.CMSG_SPACE(_MAX_FDS * 4))
        if not chunk:
            return None
        for level, kind, cdata in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                got = array.array("i")
                got.frombytes(cdata[: len(cdata) - len(cdata) % got.itemsize])
                fds.extend(got)
        data += chunk
    return data


def _load(path: str) -> Any:
    """A standard-library module next to this file, loaded without putting its folder on sys.path."""
    import types

    module = types.ModuleType("legato_confine")
    with open(path) as source:
        exec(compile(source.read(), path, "exec"), module.__dict__)  # noqa: S102 - Legato's own file
    return module


def _restrict(ruleset_fd: int) -> None:
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if _libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset_fd), ctypes.c_uint32(0)) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")


def _die(message: str) -> NoReturn:
    os.write(2, (message + "\n").encode())
    os._exit(127)


def run_python(request: dict[str, Any]) -> NoReturn:
    """Run the request's Python file as `python file args...` would, in this forked interpreter."""
    cwd = request["cwd"]
    path = request["script"]  # relative to the working dir, as `python script.py` names it
    extra = [p for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = [cwd, *[p for p in extra if p not in sys.path], *sys.path[1:]]
    if request.get("site"):
        import site

        known = list(sys.path)
        for folder in request["site"]:
            site.addsitedir(folder)
        # the task's virtualenv comes before the interpreter's own packages, as under its own interpreter
        added = [p for p in sys.path if p not in known]
        sys.path[:] = [sys.path[0], *added, *[p for p in sys.path[1:] if p not in added]]
    sys.argv = [request["script"], *request.get("args", [])]
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        runpy.run_path(path, run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except BaseException as exc:
        tb = exc.__traceback__
        # start the traceback at the script, as `python script.py` shows it
        while tb is not None and tb.tb_frame.f_code.co_filename != path:
            tb = tb.tb_next
        traceback.print_exception(type(exc), exc, tb or exc.__traceback__)
        code = 1
    _finish(code)


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)
    return 1


def _finish(code: int) -> NoReturn:
    """End as the interpreter would (threads joined, atexit run, streams flushed) without tearing down every
    module, which costs several times the script itself."""
    if "threading" in sys.modules:
        sys.modules["threading"]._shutdown()
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120
    os._exit(code & 0xFF)

if __name__ == "__main__":
    _preload()
    server = Server(int(sys.argv[1]), json.loads(sys.argv[2]) if len(sys.argv) > 2 else None)
    # what is loaded now lives as long as the server: the collector of a forked child leaves it alone, rather
    # than write to (and so copy) every page of it
    gc.freeze()
    task = server.serve()
    if task is None:
        sys.exit(0)
    run_python(task)
