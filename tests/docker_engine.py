"""The Docker engine the tests use. An engine that already answers (DOCKER_HOST, /var/run/docker.sock) is used as
it is; otherwise, as root with Debian's `docker.io` installed (`make system-deps`), a private `dockerd` is started on
its own socket, data root and exec root, and stopped again by the last test session that used it. The images the
tests run (`python:3.11-slim`, `ubuntu:22.04`, `alpine:latest`...) are stand-ins made here, since no image registry
answers: see tests/docker_images.py. A missing engine skips a test locally and fails it in CI (CI=true).

`python -m tests.docker_engine up|down|status` does the same by hand (up prints the DOCKER_HOST to use)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

NAME = "legato-test-docker"


@dataclass(frozen=True)
class Paths:
    """Where a private engine keeps its socket, state and images (several may run: the bench starts a vfs one)."""

    name: str = NAME

    @property
    def socket(self) -> Path:
        return Path(f"/run/{self.name}.sock")

    @property
    def exec_root(self) -> Path:
        return Path(f"/run/{self.name}")  # short: containerd's sockets live under it

    @property
    def data_root(self) -> Path:
        return Path(f"/var/lib/{self.name}")  # kept between runs: the images stay built

    @property
    def pidfile(self) -> Path:
        return Path(f"/run/{self.name}.pid")

    @property
    def log(self) -> Path:
        return Path(f"/var/log/{self.name}.log")


TEST = Paths()
SOCKET = TEST.socket
LOG = TEST.log
START_LOCK = Path("/run/legato-test-docker.lock")  # one session starts the engine or builds images at a time
USERS = Path("/run/legato-test-docker.users")  # each session holds a shared lock; the last one stops the engine
DEFAULT_SOCKET = Path("/var/run/docker.sock")
START_SECONDS = 60.0


class EngineUnavailable(Exception):
    """No engine answers and none can be started here; the message says why."""


@dataclass(frozen=True)
class Engine:
    host: str  # a DOCKER_HOST value: unix:///path
    private: bool  # the test engine of this module (stopped by the last session), not the machine's own
    storage_driver: str

    @property
    def socket(self) -> str:
        return self.host.removeprefix("unix://")


def answers(host: str, timeout: float = 2.0) -> bool:
    """Whether the Docker engine at `host` (unix:// only) answers /_ping."""
    if not host.startswith("unix://") or not os.path.exists(host.removeprefix("unix://")):
        return False
    try:
        with _client(host, timeout) as client:
            return client.get("/_ping").status_code == 200
    except httpx.HTTPError:
        return False


def find() -> Engine | None:
    """The engine that answers already: DOCKER_HOST, the machine's default socket, or the private test engine."""
    candidates = [os.environ.get("DOCKER_HOST", ""), f"unix://{DEFAULT_SOCKET}", f"unix://{SOCKET}"]
    for host in dict.fromkeys(c for c in candidates if c):
        if answers(host):
            with _client(host, 10.0) as client:
                driver = client.get("/info").json().get("Driver", "?")
            return Engine(host=host, private=host == f"unix://{SOCKET}", storage_driver=driver)
    return None


def ensure() -> Engine:
    """An engine that answers, started if need be (the caller holds a USERS lock so that nobody stops it)."""
    found = find()
    if found is not None:
        return found
    with _locked(START_LOCK):
        found = find()
        if found is not None:
            return found
        return start()


def start(paths: Paths = TEST, driver: str | None = None) -> Engine:
    """Start a private engine: the overlay2 storage driver where the kernel offers it, else vfs (`driver`, or
    LEGATO_TEST_DOCKER_STORAGE, forces one)."""
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise EngineUnavailable("dockerd is not installed (Debian: apt-get install docker.io, or `make system-deps`)")
    if os.geteuid() != 0:
        raise EngineUnavailable("starting the test Docker engine needs root")
    forced = driver or os.environ.get("LEGATO_TEST_DOCKER_STORAGE")
    errors = []
    for choice in [forced] if forced else ["overlay2", "vfs"]:
        engine = _start_dockerd(dockerd, choice, paths)
        if engine is not None:
            return engine
        errors.append(f"{choice}: {_log_tail(paths)}")
    raise EngineUnavailable("dockerd did not start (" + "; ".join(errors) + f"); see {paths.log}")


def stop(paths: Paths = TEST) -> bool:
    """Stop a private engine if it runs; True when it was running."""
    pid = _pid(paths)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    paths.pidfile.unlink(missing_ok=True)
    return True


def hold() -> IO[str]:
    """Take a share of the engine without starting it: while held, no session stops the private engine (a
    parallel run's controller holds one, so that its workers do not stop and restart the engine between them).
    Give it back with `release`."""
    USERS.parent.mkdir(parents=True, exist_ok=True)
    users = open(USERS, "a")  # noqa: SIM115 - held until release()
    fcntl.flock(users, fcntl.LOCK_SH)
    return users


def release(users: IO[str]) -> None:
    """Give back a share taken with `hold`; the last one out stops the private engine."""
    try:
        _leave(users)
    finally:
        users.close()


@contextlib.contextmanager
def session() -> Iterator[Engine]:
    """An engine for the length of the block; the private one is stopped when the last user leaves."""
    USERS.parent.mkdir(parents=True, exist_ok=True)
    with open(USERS, "a") as users:
        fcntl.flock(users, fcntl.LOCK_SH)
        try:
            engine = ensure()
            from tests import docker_images

            with _locked(START_LOCK):
                docker_images.ensure(engine.host)
            yield engine
        finally:
            _leave(users)


def leftovers(host: str, label: str = "io.legato.managed") -> list[str]:
    """Names of the containers (running or not) that carry `label`."""
    with _client(host, 30.0) as client:
        found = client.get("/containers/json", params={"all": "1", "filters": f'{{"label": ["{label}"]}}'}).json()
    return [c["Names"][0].lstrip("/") if c.get("Names") else c["Id"][:12] for c in found]


def _clear_leftovers(host: str) -> None:
    """Remove the Legato containers a killed test session left in the private engine's data root: no session runs
    while it starts, and the tests name containers by execution ids that repeat from one session to the next."""
    with _client(host, 30.0) as client:
        found = client.get("/containers/json", params={"all": "1", "filters": '{"label": ["io.legato.managed"]}'}).json()
        for container in found:
            client.delete(f"/containers/{container['Id']}", params={"force": "1", "v": "1"})


def _leave(users: IO[str]) -> None:
    """Give up our share; when no other session holds one, stop the private engine."""
    try:
        fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return  # another session still uses the engine; it stops it when it leaves
    with _locked(START_LOCK):
        if answers(f"unix://{SOCKET}"):
            stop()


def _start_dockerd(dockerd: str, driver: str, paths: Paths) -> Engine | None:
    for folder in (paths.exec_root, paths.data_root, paths.log.parent):
        folder.mkdir(parents=True, exist_ok=True)
    paths.socket.unlink(missing_ok=True)
    argv = [
        dockerd, f"--host=unix://{paths.socket}", f"--data-root={paths.data_root}", f"--exec-root={paths.exec_root}",
        f"--pidfile={paths.pidfile}", f"--storage-driver={driver}",
        # no iptables here, and the machine has no outside network: containers get a loopback only (or the
        # host's network with networkMode: host)
        "--iptables=false", "--ip6tables=false", "--bridge=none", "--ip-masq=false",
        "--log-level=warn", f"--containerd-namespace={paths.name}", f"--containerd-plugins-namespace={paths.name}-plugins",
    ]
    with open(paths.log, "ab") as log:
        log.write(f"--- {time.ctime()} starting {' '.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        if answers(f"unix://{paths.socket}", timeout=1.0):
            _clear_leftovers(f"unix://{paths.socket}")
            return Engine(host=f"unix://{paths.socket}", private=True, storage_driver=driver)
        time.sleep(0.1)
    proc.kill()
    return None


def _pid(paths: Paths) -> int | None:
    try:
        pid = int(paths.pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # our own child (we started it): reap it
            return False
    return True


def _log_tail(paths: Paths, lines: int = 3) -> str:
    with contextlib.suppress(OSError):
        return " | ".join(paths.log.read_text(errors="replace").strip().splitlines()[-lines:])
    return "no log"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _client(host: str, timeout: float) -> httpx.Client:
    transport = httpx.HTTPTransport(uds=host.removeprefix("unix://"))
    return httpx.Client(transport=transport, base_url="http://docker", timeout=timeout)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "up":
        engine = ensure()
        from tests import docker_images

        with _locked(START_LOCK):
            docker_images.ensure(engine.host, log=lambda m: print(m, file=sys.stderr))
        print(engine.host)
        return 0
    if command == "down":
        return 0 if stop() else 1
    found = find()
    print(f"{found.host} ({found.storage_driver}{', private' if found.private else ''})" if found else "no engine answers")
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
