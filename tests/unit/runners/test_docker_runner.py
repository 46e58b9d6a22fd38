"""The docker runner without an engine: the requests it builds, the files it stages and copies back, and a
whole run against FakeEngine (a stand-in for the Docker Engine API on a unix socket, recording requests and
answering as the engine does). The live test runs only where an engine answers."""

from __future__ import annotations

import asyncio
import io
import json
import socketserver
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from legato.runners.base import CommandSpec
from legato.runners.docker import (
    CONTAINER_WORKDIR,
    DockerOptions,
    DockerRunner,
    container_env,
    create_body,
    extract_workdir,
    parse_size,
    pull_query,
    registry_auth,
    stage_archive,
)
from legato.runners.docker_api import EngineAddress, EngineClient, demux, engine_address
from legato.runners.environment import script_environment
from tests.unit.runners.conftest import Lines


def _spec(workdir: Path, helpers: dict[str, list[Path]] | None = None) -> CommandSpec:
    env = script_environment(str(workdir), {"GREETING": "hi"}, output_dir=f"{workdir}/.outputs")
    return CommandSpec(argv=["/bin/sh", "-c", "echo hi"], workdir=workdir, env=env, helpers=helpers or {})


def test_create_body_maps_kestras_options(tmp_path: Path) -> None:
    options = DockerOptions(image="python:3.12-slim", user="1000:1000", entry_point=[], network_mode="none",
                            volumes=["/data:/data:ro"], cpus=1.5, memory="512Mb", memory_swap="1g",
                            shm_size="64m", extra_hosts=["db:10.0.0.2"])
    helpers = {"PYTHONPATH": [tmp_path / "py"]}
    body = create_body(options, _spec(tmp_path, helpers), "legato-x")
    assert body["Image"] == "python:3.12-slim"
    assert body["Cmd"] == ["/bin/sh", "-c", "echo hi"]
    assert body["WorkingDir"] == CONTAINER_WORKDIR and body["User"] == "1000:1000" and body["Entrypoint"] == []
    env = dict(item.split("=", 1) for item in body["Env"])
    assert env["GREETING"] == "hi" and "PATH" not in env  # the image's PATH, not the worker's
    assert env["HOME"] == env["WORKING_DIR"] == CONTAINER_WORKDIR
    assert env["OUTPUT_DIR"] == f"{CONTAINER_WORKDIR}/.outputs"
    assert env["PYTHONPATH"] == "/legato/helpers/PYTHONPATH/0"
    host = body["HostConfig"]
    assert host["NanoCpus"] == 1_500_000_000 and host["Memory"] == 512 << 20 and host["MemorySwap"] == 1 << 30
    assert host["ShmSize"] == 64 << 20 and host["NetworkMode"] == "none"
    assert host["Binds"] == ["/data:/data:ro"] and host["ExtraHosts"] == ["db:10.0.0.2"]
    assert body["Tty"] is False


def test_sizes_images_and_credentials() -> None:
    assert [parse_size(v) for v in ("512Mb", "1g", "256m", "100", "2GiB", 7)] == [512 << 20, 1 << 30, 256 << 20, 100, 2 << 30, 7]
    assert pull_query("ubuntu") == {"fromImage": "ubuntu", "tag": "latest"}
    assert pull_query("ghcr.io/kestra-io/pydata:1.2") == {"fromImage": "ghcr.io/kestra-io/pydata", "tag": "1.2"}
    assert pull_query("localhost:5000/img") == {"fromImage": "localhost:5000/img", "tag": "latest"}
    assert pull_query("img@sha256:abc") == {"fromImage": "img@sha256:abc"}
    import base64

    header = registry_auth({"username": "u", "password": "p", "registry": "ghcr.io"})
    assert header is not None
    assert json.loads(base64.urlsafe_b64decode(header)) == {"username": "u", "password": "p", "serveraddress": "ghcr.io"}
    assert registry_auth({}) is None
    assert container_env({"PATH": "/x", "PYTHONPATH": "mine"}, {"PYTHONPATH": [Path("/h")]})["PYTHONPATH"] == "/legato/helpers/PYTHONPATH/0:mine"


def test_engine_address() -> None:
    assert engine_address(None, {}) == EngineAddress(socket_path="/var/run/docker.sock")
    assert engine_address(None, {"DOCKER_HOST": "tcp://10.0.0.1:2376"}) == EngineAddress(host="10.0.0.1", port=2376)
    assert engine_address("unix:///run/user/1000/docker.sock", {"DOCKER_HOST": "tcp://x:1"}).socket_path == "/run/user/1000/docker.sock"


def test_staging_archive_holds_workdir_and_helpers(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "in.txt").write_text("input")
    (work / "sub" / "run.sh").write_text("echo")
    (work / "sub" / "run.sh").chmod(0o755)
    (work / "link").symlink_to("/etc/passwd")
    helper = tmp_path / "helper"
    helper.mkdir()
    (helper / "kestra.py").write_text("# helper")
    with tarfile.open(fileobj=io.BytesIO(stage_archive(work, {"PYTHONPATH": [helper]}))) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert tar.extractfile(members["legato/work/in.txt"]).read() == b"input"  # type: ignore[union-attr]
    assert "legato/helpers/PYTHONPATH/0/kestra.py" in members
    assert "legato/work/link" not in members  # links are not staged
    assert members["legato/work"].mode == 0o777 and members["legato/work/sub/run.sh"].mode & 0o111


def test_copy_back_refuses_escaping_entries(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in [("work/out.txt", b"result"), ("work/../../evil.txt", b"x"), ("/abs.txt", b"x")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("work/link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    work = tmp_path / "deep" / "work"
    work.mkdir(parents=True)
    assert extract_workdir(buffer.getvalue(), work) == ["out.txt"]
    assert (work / "out.txt").read_bytes() == b"result"
    assert not (tmp_path / "evil.txt").exists() and not (work / "link").exists()


def test_demux_splits_frames_across_chunks() -> None:
    frames = _frame(1, b"out line\n") + _frame(2, b"err line\n")
    chunks = iter([frames[:5], frames[5:13], frames[13:]])
    assert list(demux(chunks)) == [(False, b"out line\n"), (True, b"err line\n")]


def _frame(kind: int, payload: bytes) -> bytes:
    return bytes([kind, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload


class FakeEngine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Fake: answers the Docker Engine API calls the runner makes; the "container" prints two lines, adds
    result.txt to its working dir and exits with `exit_code`."""

    daemon_threads = True

    def __init__(self, path: str, exit_code: int = 0) -> None:
        self.requests: list[tuple[str, str, dict[str, list[str]], bytes]] = []
        self.exit_code = exit_code
        self.staged = b""
        super().__init__(path, _FakeHandler)


class _FakeHandler(BaseHTTPRequestHandler):
    server: FakeEngine
    protocol_version = "HTTP/1.1"

    def address_string(self) -> str:
        return "fake"

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.requests.append((self.command, url.path, parse_qs(url.query), body))
        route = (self.command, url.path)
        if route == ("GET", "/_ping"):
            self._answer(200, b"OK", "text/plain")
        elif url.path.startswith("/images/") and self.command == "GET":
            self._answer(404, b'{"message": "No such image"}')
        elif route == ("POST", "/images/create"):
            self._answer(200, b'{"status": "pulled"}')
        elif route == ("POST", "/containers/create"):
            self._answer(201, b'{"Id": "c0ffee", "Warnings": []}')
        elif route == ("PUT", "/containers/c0ffee/archive"):
            self.server.staged = body
            self._answer(200, b"")
        elif route in {("POST", "/containers/c0ffee/start"), ("POST", "/containers/c0ffee/kill")}:
            self._answer(204, b"")
        elif route == ("GET", "/containers/c0ffee/logs"):
            self._answer(200, _frame(1, b"hello from the container\n") + _frame(2, b"a warning\n"),
                         "application/vnd.docker.multiplexed-stream")
        elif route == ("POST", "/containers/c0ffee/wait"):
            self._answer(200, json.dumps({"StatusCode": self.server.exit_code}).encode())
        elif route == ("GET", "/containers/c0ffee/archive"):
            self._answer(200, _work_archive(self.server.staged), "application/x-tar")
        elif route == ("DELETE", "/containers/c0ffee"):
            self._answer(204, b"")
        else:
            self._answer(404, b'{"message": "unexpected call"}')

    do_GET = do_POST = do_PUT = do_DELETE = _handle


def _work_archive(staged: bytes) -> bytes:
    """What GET /archive?path=/legato/work returns: the staged working dir as `work/...`, plus result.txt."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(staged)) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            if member.name.startswith("legato/work/") and member.isfile():
                data = src.extractfile(member).read()  # type: ignore[union-attr]
                member.name = "work/" + member.name.removeprefix("legato/work/")
                dst.addfile(member, io.BytesIO(data))
        info = tarfile.TarInfo("work/result.txt")
        info.size = 6
        dst.addfile(info, io.BytesIO(b"result"))
    return out.getvalue()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[FakeEngine]:
    server = FakeEngine(str(tmp_path / "docker.sock"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_run_against_the_engine_api(engine: FakeEngine, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "in.txt").write_text("input")
    client = EngineClient(EngineAddress(socket_path=engine.server_address))  # type: ignore[arg-type]
    assert client.reachable()
    runner = DockerRunner(DockerOptions(image="python:3.12-slim", memory="256m"), client)
    lines = Lines()
    code = asyncio.run(runner.run(_spec(work), lines))
    assert code == 0
    assert lines.out == ["hello from the container"] and lines.err == ["a warning"]
    assert (work / "result.txt").read_text() == "result"  # copied back
    calls = [(method, path) for method, path, _, _ in engine.requests]
    assert calls[:5] == [("GET", "/_ping"), ("GET", "/images/python:3.12-slim/json"), ("POST", "/images/create"),
                         ("POST", "/containers/create"), ("PUT", "/containers/c0ffee/archive")]
    assert calls[-1] == ("DELETE", "/containers/c0ffee")
    pull = next(q for m, p, q, _ in engine.requests if p == "/images/create")
    assert pull == {"fromImage": ["python"], "tag": ["3.12-slim"]}
    created = json.loads(next(b for m, p, _, b in engine.requests if p == "/containers/create"))
    assert created["HostConfig"]["Memory"] == 256 << 20
    with tarfile.open(fileobj=io.BytesIO(engine.staged)) as tar:
        assert "legato/work/in.txt" in tar.getnames()


def test_an_unreachable_engine_is_reported(tmp_path: Path) -> None:
    client = EngineClient(EngineAddress(socket_path=str(tmp_path / "missing.sock")))
    assert client.reachable() is False


@pytest.mark.skipif(not EngineClient(engine_address()).reachable(), reason="no Docker engine reachable (DOCKER_HOST or /var/run/docker.sock)")
def test_live_engine(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    runner = DockerRunner(DockerOptions(image="busybox:latest"))
    spec = CommandSpec(argv=["/bin/sh", "-c", "echo live; echo out > result.txt"], workdir=work,
                       env=script_environment(str(work)))
    lines = Lines()
    assert asyncio.run(runner.run(spec, lines)) == 0
    assert lines.out == ["live"] and (work / "result.txt").read_text() == "out\n"
