"""The docker runner's pure parts: the create request it builds from Kestra's options, the mount rules, the
files it stages and copies back, the output stream's framing and the owner labels. Runs against the real engine
are in tests/integration/docker/."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from legato.runners import docker_reaper
from legato.runners.base import CommandSpec, RunnerError
from legato.runners.container_files import CONTAINER_WORKDIR, container_env, extract_workdir, stage_archive
from legato.runners.docker import DockerRunner, mounts_workdir
from legato.runners.docker_api import EngineAddress, demux, engine_address
from legato.runners.docker_options import DockerOptions, check_mounts, create_body, parse_size, port_bindings
from legato.runners.docker_pull import pull_query, registry_auth
from legato.runners.environment import script_environment

LOCAL = EngineAddress(socket_path="/var/run/docker.sock")
REMOTE = EngineAddress(host="10.0.0.1", port=2375)


def _spec(workdir: Path, helpers: dict[str, list[Path]] | None = None) -> CommandSpec:
    env = script_environment(str(workdir), {"GREETING": "hi"}, output_dir=f"{workdir}/.outputs")
    return CommandSpec(argv=["/bin/sh", "-c", "echo hi"], workdir=workdir, env=env, helpers=helpers or {})


def test_create_body_maps_kestras_options_when_files_are_copied(tmp_path: Path) -> None:
    options = DockerOptions(image="python:3.12-slim", user="1000:1000", entry_point=[], network_mode="none",
                            volumes=["/data:/data:ro"], cpus=1.5, memory="512Mb", memory_swap="1g",
                            memory_reservation="256m", memory_swappiness=10, oom_kill_disable=False,
                            shm_size="64m", extra_hosts=["db:10.0.0.2"], port_bindings=["127.0.0.1:8080:80"])
    body = create_body(options, _spec(tmp_path, {"PYTHONPATH": [tmp_path / "py"]}), "python:3.12-slim",
                       {"io.legato.managed": "true"}, mount=False)
    assert body["Image"] == "python:3.12-slim" and body["Labels"] == {"io.legato.managed": "true"}
    assert body["Cmd"] == ["/bin/sh", "-c", "echo hi"]
    assert body["WorkingDir"] == CONTAINER_WORKDIR and body["User"] == "1000:1000" and body["Entrypoint"] == []
    env = dict(item.split("=", 1) for item in body["Env"])
    assert env["GREETING"] == "hi" and "PATH" not in env  # the image's PATH, not the worker's
    assert env["HOME"] == env["WORKING_DIR"] == CONTAINER_WORKDIR
    assert env["OUTPUT_DIR"] == f"{CONTAINER_WORKDIR}/.outputs"
    assert env["PYTHONPATH"] == "/legato/helpers/PYTHONPATH/0"
    host = body["HostConfig"]
    assert host["NanoCpus"] == 1_500_000_000 and host["Memory"] == 512 << 20 and host["MemorySwap"] == 1 << 30
    assert host["MemoryReservation"] == 256 << 20 and host["MemorySwappiness"] == 10 and host["OomKillDisable"] is False
    assert host["ShmSize"] == 64 << 20 and host["NetworkMode"] == "none" and "Privileged" not in host
    assert host["Binds"] == ["/data:/data:ro"] and host["ExtraHosts"] == ["db:10.0.0.2"]
    assert host["PortBindings"] == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}
    assert body["ExposedPorts"] == {"80/tcp": {}} and body["Tty"] is False


def test_a_mounted_working_dir_keeps_its_path_and_helpers_are_read_only(tmp_path: Path) -> None:
    helper = tmp_path / "helpers"
    body = create_body(DockerOptions(), _spec(tmp_path, {"PYTHONPATH": [helper]}), "ubuntu:24.04", {}, mount=True)
    assert body["WorkingDir"] == str(tmp_path) and body["Entrypoint"] == [""]  # Kestra's default entry point
    assert body["HostConfig"]["Binds"] == [f"{tmp_path}:{tmp_path}", f"{helper}:/legato/helpers/PYTHONPATH/0:ro"]
    env = dict(item.split("=", 1) for item in body["Env"])
    assert env["WORKING_DIR"] == env["HOME"] == str(tmp_path) and env["OUTPUT_DIR"] == f"{tmp_path}/.outputs"


def test_where_files_go_depends_on_the_engine_the_worker_and_the_task() -> None:
    root = os.geteuid() == 0
    assert mounts_workdir(DockerOptions(), LOCAL) is root
    assert mounts_workdir(DockerOptions(), REMOTE) is False
    assert mounts_workdir(DockerOptions(user="1000"), LOCAL) is False  # copied in, so that user can write it
    assert mounts_workdir(DockerOptions(file_handling="VOLUME"), LOCAL) is False
    assert mounts_workdir(DockerOptions(file_handling="MOUNT", user="1000"), LOCAL) is True
    with pytest.raises(RunnerError, match="MOUNT needs an engine on this machine"):
        mounts_workdir(DockerOptions(file_handling="MOUNT"), REMOTE)
    assert DockerRunner(DockerOptions(file_handling="VOLUME"), LOCAL).visible_workdir(Path("/w")) == CONTAINER_WORKDIR
    assert DockerRunner(DockerOptions(file_handling="MOUNT"), LOCAL).visible_workdir(Path("/w")) == "/w"


def test_the_data_dir_is_never_mounted(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "storage").mkdir(parents=True)
    hidden = (data,)
    for volume in (f"{data}:/d", f"{data}/storage:/s:ro", f"{tmp_path}:/all"):
        with pytest.raises(RunnerError, match="scripts must not see"):
            check_mounts(DockerOptions(volumes=[volume], hidden=hidden), None)
    with pytest.raises(RunnerError, match="the working directory"):
        check_mounts(DockerOptions(hidden=hidden), tmp_path)  # a working dir holding the data dir
    check_mounts(DockerOptions(volumes=["cache:/cache", f"{tmp_path / 'other'}:/o"], hidden=hidden), data / "work")


def test_sizes_ports_images_and_credentials() -> None:
    assert [parse_size(v) for v in ("512Mb", "1g", "256m", "100", "2GiB", 7)] == [512 << 20, 1 << 30, 256 << 20, 100, 2 << 30, 7]
    with pytest.raises(RunnerError, match="invalid size"):
        parse_size("lots")
    assert port_bindings(["8080:80/udp", "9000"])[1] == {"80/udp": [{"HostIp": "", "HostPort": "8080"}],
                                                          "9000/tcp": [{"HostIp": "", "HostPort": ""}]}
    with pytest.raises(RunnerError, match="invalid port binding"):
        port_bindings(["eighty"])
    assert pull_query("ubuntu") == {"fromImage": "ubuntu", "tag": "latest"}
    assert pull_query("ghcr.io/kestra-io/pydata:1.2") == {"fromImage": "ghcr.io/kestra-io/pydata", "tag": "1.2"}
    assert pull_query("localhost:5000/img") == {"fromImage": "localhost:5000/img", "tag": "latest"}
    assert pull_query("img@sha256:abc") == {"fromImage": "img@sha256:abc"}
    header = registry_auth({"username": "u", "password": "p", "registry": "https://ghcr.io/v2/"})
    assert header is not None
    assert json.loads(base64.urlsafe_b64decode(header)) == {"username": "u", "password": "p", "serveraddress": "ghcr.io"}
    from_auth = registry_auth({"auth": base64.b64encode(b"me:secret").decode(), "registry": "127.0.0.1:5000"})
    assert from_auth is not None and json.loads(base64.urlsafe_b64decode(from_auth))["password"] == "secret"
    assert registry_auth({}) is None
    assert container_env({"PATH": "/x", "PYTHONPATH": "mine"}, {"PYTHONPATH": [Path("/h")]})["PYTHONPATH"] == "/legato/helpers/PYTHONPATH/0:mine"


def test_engine_address() -> None:
    assert engine_address(None, {}) == EngineAddress(socket_path="/var/run/docker.sock")
    assert engine_address(None, {"DOCKER_HOST": "tcp://10.0.0.1:2376"}) == EngineAddress(host="10.0.0.1", port=2376)
    assert engine_address("unix:///run/user/1000/docker.sock", {"DOCKER_HOST": "tcp://x:1"}).socket_path == "/run/user/1000/docker.sock"
    assert engine_address("/run/docker.sock", {}).local and not engine_address("tcp://h:1", {}).local


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

    async def chunks() -> AsyncIterator[bytes]:
        for part in (frames[:5], frames[5:13], frames[13:]):
            yield part

    async def collect() -> list[tuple[bool, bytes]]:
        return [frame async for frame in demux(chunks())]

    assert asyncio.run(collect()) == [(False, b"out line\n"), (True, b"err line\n")]


def test_owner_labels_name_this_process_and_a_gone_one_is_an_orphan() -> None:
    labels = docker_reaper.labels({"io.legato.execution": "e1"}, keep=True)
    assert labels[docker_reaper.MANAGED] == "true" and labels[docker_reaper.KEEP] == "true"
    assert labels["io.legato.execution"] == "e1"
    assert docker_reaper.owner_alive(labels[docker_reaper.OWNER]) is True
    host, boot, pid, started = labels[docker_reaper.OWNER].split("/")
    assert int(pid) == os.getpid()
    assert docker_reaper.owner_alive(f"{host}/{boot}/{pid}/{int(started) + 1}") is False  # a reused pid
    assert docker_reaper.owner_alive(f"{host}/another-boot/{pid}/{started}") is False
    assert docker_reaper.owner_alive(f"elsewhere/{boot}/{pid}/{started}") is None  # another host's: left alone
    assert docker_reaper.owner_alive("garbage") is None


def _frame(kind: int, payload: bytes) -> bytes:
    return bytes([kind, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload
